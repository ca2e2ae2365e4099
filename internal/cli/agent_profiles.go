package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/runtime"
)

func newAgentProfilesCmd(g *globals, dir *string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "Show, export, import, edit and seed runtime profiles",
		Long: `Runtime profiles are plain YAML files, one per image digest, in --profiles.
They list the executables an image may run, identified by content hash.
See docs/runtime.md for the format.`,
	}
	cmd.AddCommand(
		newAgentProfilesShowCmd(g, dir),
		newAgentProfilesExportCmd(g, dir),
		newAgentProfilesImportCmd(g, dir),
		newAgentProfilesEditCmd(g, dir),
		newAgentProfilesSeedCmd(g, dir),
	)
	return cmd
}

// findProfile returns the profile whose digest, digest hex prefix (at
// least 6 characters) or image name matches ref.
func findProfile(dir, ref string) (*runtime.Profile, error) {
	all, err := runtime.Dir(dir).Load()
	if err != nil {
		return nil, opErr(err)
	}
	var hits []*runtime.Profile
	hex := strings.TrimPrefix(ref, "sha256:")
	for _, p := range all {
		ph := strings.TrimPrefix(p.ImageDigest, "sha256:")
		if p.ImageDigest == ref || (len(hex) >= 6 && strings.HasPrefix(ph, hex)) || p.ImageName == ref {
			hits = append(hits, p)
		}
	}
	switch len(hits) {
	case 0:
		return nil, usageErr(fmt.Errorf("no profile for %q in %s", ref, dir))
	case 1:
		return hits[0], nil
	}
	return nil, usageErr(fmt.Errorf("%q matches %d profiles; give the digest", ref, len(hits)))
}
