package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/store"
)

// clientFlags are --server, --token and --format for the commands that
// query a server.
type clientFlags struct {
	server, token, format string
}

func (f *clientFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.server, "server", "", "Bulwark server URL (env BULWARK_SERVER)")
	fl.StringVar(&f.token, "token", "", "API token with the read scope (env BULWARK_TOKEN)")
	fl.StringVar(&f.format, "format", "table", "output format: table or json")
}

func (f *clientFlags) client() (*serverClient, error) {
	if f.format != "table" && f.format != "json" {
		return nil, usageErr(fmt.Errorf("--format %q: want table or json", f.format))
	}
	if f.server == "" {
		f.server = os.Getenv("BULWARK_SERVER")
	}
	if f.server == "" {
		return nil, usageErr(fmt.Errorf("--server is required (or env BULWARK_SERVER)"))
	}
	c, err := newServerClient(f.server, f.token)
	if err != nil {
		return nil, usageErr(err)
	}
	return c, nil
}

func newImagesCmd(g *globals) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List the images a Bulwark server knows: digest, repo/tags, distro, last scan, findings by severity, policy verdict",
		Example: `  bulwark images --server https://bulwark:8080 --token $BULWARK_TOKEN
  bulwark images --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			var imgs []store.ImageSummary
			if err := c.do(cmd.Context(), "GET", "/api/v1/images", nil, &imgs); err != nil {
				return opErr(fmt.Errorf("images from %s: %w", f.server, err))
			}
			if f.format == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(imgs)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DIGEST\tREPO\tTAGS\tDISTRO\tLAST SCANNED\tCRIT\tHIGH\tMED\tLOW\tPOLICY")
			for _, im := range imgs {
				verdict := "-"
				if im.Pass != nil {
					verdict = map[bool]string{true: "pass", false: "fail"}[*im.Pass]
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", shortDigest(im.Digest), dash(im.Repo), dash(strings.Join(im.Tags, ",")),
					dash(im.Distro), im.LastScanned.Local().Format(time.DateTime), im.Counts.Critical, im.Counts.High, im.Counts.Medium, im.Counts.Low, verdict)
			}
			return tw.Flush()
		},
	}
	f.add(cmd)
	return cmd
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
