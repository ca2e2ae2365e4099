package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/runtime"
)

func newAgentProfilesShowCmd(g *globals, dir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "show [DIGEST|NAME]",
		Short: "List profiles, or print one",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				p, err := findProfile(*dir, args[0])
				if err != nil {
					return err
				}
				out, err := runtime.MarshalProfile(p, runtime.YAML)
				if err != nil {
					return opErr(err)
				}
				_, err = g.stdout.Write(out)
				return err
			}
			all, err := runtime.Dir(*dir).Load()
			if err != nil {
				return opErr(err)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DIGEST\tIMAGE\tMODE\tREVISION\tEXECUTABLES\tLEARNED")
			for _, p := range all {
				mode := string(p.Mode)
				if mode == "" {
					mode = "(default)"
				}
				learned := "-"
				if !p.LearnCompleted.IsZero() {
					learned = p.LearnCompleted.Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", strings.TrimPrefix(p.ImageDigest, "sha256:")[:12],
					p.ImageName, mode, p.Revision, len(p.Executables), learned)
			}
			return tw.Flush()
		},
	}
}
