package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/server"
)

func newAffectedCmd(g *globals) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "affected VULN-ID",
		Short: "Ask a Bulwark server which images and running workloads a vulnerability affects, with fixed versions",
		Long: `Affected asks the server for every stored image whose latest report has an
unsuppressed finding for the vulnerability (by id or any alias), the package and
version that carry it, the fixed versions, and the workloads reported running
each image.`,
		Example: `  bulwark affected CVE-2024-3094 --server https://bulwark:8080 --token $BULWARK_TOKEN`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			var resp server.AffectedResponse
			if err := c.do(cmd.Context(), "GET", "/api/v1/vulnerabilities/"+url.PathEscape(args[0])+"/affected", nil, &resp); err != nil {
				return opErr(fmt.Errorf("affected by %s: %w", args[0], err))
			}
			if f.format == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(resp)
			}
			title := resp.ID
			if len(resp.Aliases) > 0 {
				title += " (" + strings.Join(resp.Aliases, ", ") + ")"
			}
			if resp.Summary != "" {
				title += ": " + resp.Summary
			}
			fmt.Fprintln(g.stdout, title)
			if len(resp.Images) == 0 {
				fmt.Fprintln(g.stdout, "no stored image is affected")
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "IMAGE\tREPO\tPACKAGE\tVERSION\tFIXED IN\tSEVERITY\tRUNNING")
			running := 0
			for _, im := range resp.Images {
				where := make([]string, 0, len(im.Workloads))
				for _, w := range im.Workloads {
					// cluster/namespace/pod, then the owning workload
					// ("Deployment/web") that a fix is rolled out to.
					s := strings.Trim(w.Cluster+"/"+w.Namespace+"/"+w.Pod, "/")
					if w.Workload != "" && w.Workload != "Pod/"+w.Pod {
						s += " (" + w.Workload + ")"
					}
					where = append(where, s)
				}
				running += len(im.Workloads)
				for _, p := range im.Packages {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", shortDigest(im.Digest), dash(im.Repo), p.Package, p.Version,
						dash(strings.Join(p.FixedVersions, ", ")), p.Severity, dash(strings.Join(where, ", ")))
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%d image(s), %d running container(s)\n", len(resp.Images), running)
			return nil
		},
	}
	f.add(cmd)
	return cmd
}
