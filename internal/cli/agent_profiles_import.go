package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/runtime"
)

func newAgentProfilesImportCmd(g *globals, dir *string) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Validate profile files and add them to the profile directory",
		Long: `Parse each file strictly (unknown fields, bad hashes and unknown versions are
errors) and save it under its image digest. A profile with a lower revision than
the one already there is refused unless --force is given.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d := runtime.Dir(*dir)
			existing, err := d.Load()
			if err != nil {
				return opErr(err)
			}
			have := map[string]int{}
			for _, p := range existing {
				have[p.ImageDigest] = p.Revision
			}
			var parsed []*runtime.Profile
			for _, name := range args {
				data, err := os.ReadFile(name)
				if err != nil {
					return usageErr(fmt.Errorf("import profile: %w", err))
				}
				p, err := runtime.ParseProfile(name, data)
				if err != nil {
					return usageErr(err)
				}
				if rev, ok := have[p.ImageDigest]; ok && rev > p.Revision && !force {
					return usageErr(fmt.Errorf("%s: revision %d is older than the installed revision %d of %s (use --force)", name, p.Revision, rev, p.ImageDigest))
				}
				parsed = append(parsed, p)
			}
			for _, p := range parsed {
				if err := d.Save(p); err != nil {
					return opErr(err)
				}
				fmt.Fprintf(g.stderr, "imported %s revision %d (%d executables)\n", p.ImageDigest, p.Revision, len(p.Executables))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace a newer installed revision")
	return cmd
}
