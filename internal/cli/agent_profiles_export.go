package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/runtime"
)

func newAgentProfilesExportCmd(g *globals, dir *string) *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "export DIGEST|NAME",
		Short: "Write one profile as YAML or JSON, for review or another node",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := runtime.Format(format)
			if f != runtime.YAML && f != runtime.JSON {
				return usageErr(fmt.Errorf("--format %q: want yaml or json", format))
			}
			p, err := findProfile(*dir, args[0])
			if err != nil {
				return err
			}
			out, err := runtime.MarshalProfile(p, f)
			if err != nil {
				return opErr(err)
			}
			if output == "" || output == "-" {
				_, err = g.stdout.Write(out)
				return err
			}
			if err := os.WriteFile(output, out, 0o644); err != nil {
				return opErr(fmt.Errorf("export profile: %w", err))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "yaml", "yaml or json")
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write (default stdout)")
	return cmd
}
