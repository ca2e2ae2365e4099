package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
)

func newEventsCmd(g *globals) *cobra.Command {
	var (
		f                                clientFlags
		image, namespace, verdict, since string
		typ                              string
		limit                            int
	)
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List the runtime events node agents sent to a Bulwark server, newest first",
		Long: `Events lists what node agents (bulwark agent --server …) reported: execs outside
a profile, drift, denied execs and the agents' own state, newest first. Filters
combine; --since takes a duration back from now (1h, 30m) or an RFC 3339 time.`,
		Example: `  bulwark events --server https://bulwark:8080 --token $BULWARK_TOKEN --since 1h
  bulwark events --image sha256:4f3c… --verdict deny --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			if since != "" {
				if _, err := server.ParseSince(since, time.Now()); err != nil {
					return usageErr(fmt.Errorf("--since: %w", err))
				}
			}
			if limit < 1 || limit > store.MaxRuntimeEvents {
				return usageErr(fmt.Errorf("--limit %d: want 1 to %d", limit, store.MaxRuntimeEvents))
			}
			q := url.Values{}
			for k, v := range map[string]string{"image": image, "namespace": namespace, "verdict": verdict, "type": typ, "since": since} {
				if v != "" {
					q.Set(k, v)
				}
			}
			q.Set("limit", strconv.Itoa(limit))
			var evs []store.RuntimeEvent
			if err := c.do(cmd.Context(), "GET", "/api/v1/runtime/events?"+q.Encode(), nil, &evs); err != nil {
				return opErr(fmt.Errorf("events from %s: %w", f.server, err))
			}
			if f.format == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(evs)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tTYPE\tVERDICT\tIMAGE\tNAMESPACE/POD\tCONTAINER\tPATH\tREASON")
			for _, e := range evs {
				where := strings.Trim(e.Namespace+"/"+e.Pod, "/")
				what, reason := e.Path, e.Reason
				if e.Type != "exec" {
					what, reason = e.Message, dash(e.Reason)
				}
				if e.Drift {
					reason = "drift: " + reason
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format(time.DateTime), e.Type, dash(e.Verdict),
					dash(shortDigest(e.ImageDigest)), dash(where), dash(e.ContainerName), dash(what), dash(reason))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(evs) == limit {
				fmt.Fprintf(g.stdout, "%d events shown; there may be more (raise --limit or narrow the filters)\n", len(evs))
			}
			return nil
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&image, "image", "", "only events of this image digest (sha256:…)")
	fl.StringVar(&namespace, "namespace", "", "only events of this Kubernetes namespace")
	fl.StringVar(&verdict, "verdict", "", "only this verdict: allow, alert or deny")
	fl.StringVar(&typ, "type", "", "only this event type: exec or agent")
	fl.StringVar(&since, "since", "", "only events since a duration ago (1h) or an RFC 3339 time")
	fl.IntVar(&limit, "limit", 100, fmt.Sprintf("at most this many events (1 to %d)", store.MaxRuntimeEvents))
	return cmd
}
