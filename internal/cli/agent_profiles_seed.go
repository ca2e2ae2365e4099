package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/agent"
	"github.com/bulwark-security/bulwark/internal/image"
	"github.com/bulwark-security/bulwark/internal/runtime"
)

func newAgentProfilesSeedCmd(g *globals, dir *string) *cobra.Command {
	var (
		paths, insecure  []string
		platform, output string
		format           string
	)
	cmd := &cobra.Command{
		Use:   "seed IMAGE",
		Short: "Start a profile from the executables an image's packages own",
		Long: `Read the image's layers and write a profile listing every executable its
packages own (dpkg and apk file lists), each with the SHA-256 of the file in the
image and its path with symlinks resolved, plus the ELF and #! interpreters they
need. Seeded entries name their package; they allow exactly the shipped file, as
a learned entry would. Learning later adds what the image runs beyond them.

The profile is merged into the one in --profiles for the image (nothing is
removed), or written to --output for review. IMAGE is any reference bulwark scan
accepts (docker-archive:FILE, oci:DIR, docker:REF, a registry reference).`,
		Example: `  bulwark agent profiles seed docker-archive:app.tar
  bulwark agent profiles seed registry.example/app:1.4 --paths '/usr/sbin/*' --paths /usr/bin/python3.11
  bulwark agent profiles seed docker:app:1.4 -o app.profile.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := runtime.Format(format)
			if f != runtime.YAML && f != runtime.JSON {
				return usageErr(fmt.Errorf("--format %q: want yaml or json", format))
			}
			// Engine exports are spooled next to the scan cache, as bulwark
			// scan does.
			tmp := filepath.Join(g.cacheDir, "tmp")
			if err := os.MkdirAll(tmp, 0o700); err != nil {
				return opErr(fmt.Errorf("seed: %w", err))
			}
			img, err := image.Open(cmd.Context(), args[0], image.Options{Platform: platform, InsecureRegistries: insecure, TempDir: tmp})
			if err != nil {
				return scanErr(err)
			}
			defer img.Close()
			seeded, st, err := agent.Seed(cmd.Context(), img, agent.SeedOptions{Paths: paths})
			if err != nil {
				return opErr(err)
			}
			if len(seeded.Executables) == 0 {
				return usageErr(fmt.Errorf("seed %s: no owned executable matches --paths %q", args[0], paths))
			}
			if output != "" {
				out, err := runtime.MarshalProfile(seeded, f)
				if err != nil {
					return opErr(err)
				}
				if output == "-" {
					_, err = g.stdout.Write(out)
					return err
				}
				if err := os.WriteFile(output, out, 0o644); err != nil {
					return opErr(fmt.Errorf("seed profile: %w", err))
				}
				fmt.Fprintf(g.stderr, "wrote %s: %d entries from %d packages (%d owned executables)\n", output, len(seeded.Executables), st.Packages, st.Owned)
				return nil
			}
			d := runtime.Dir(*dir)
			all, err := d.Load()
			if err != nil {
				return opErr(err)
			}
			p, added := seeded, len(seeded.Executables)
			for _, have := range all {
				if have.ImageDigest == seeded.ImageDigest {
					p = have
					if added = p.Merge(seeded.Executables); added > 0 {
						p.Revision++
					}
				}
			}
			if err := d.Save(p); err != nil {
				return opErr(err)
			}
			fmt.Fprintf(g.stderr, "seeded %s revision %d: %d entries added or completed, %d in total (%d packages, %d owned executables)\n",
				p.ImageDigest, p.Revision, added, len(p.Executables), st.Packages, st.Owned)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&paths, "paths", nil, "only owned executables whose path matches this glob, e.g. '/usr/sbin/*' (repeatable; default all)")
	fl.StringVarP(&output, "output", "o", "", "write the seeded profile to this file (- for stdout) instead of merging it into --profiles")
	fl.StringVar(&format, "format", "yaml", "format for --output: yaml or json")
	fl.StringVar(&platform, "platform", "", "platform to pick from a multi-arch image: os/arch[/variant] (default: this host's)")
	fl.StringArrayVar(&insecure, "insecure-registry", nil, "allow plain HTTP and unverified TLS for this registry host[:port] (repeatable)")
	return cmd
}
