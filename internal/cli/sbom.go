package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/image"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report"
	"github.com/bulwark-security/bulwark/internal/scan"
)

func newSBOMCmd(g *globals) *cobra.Command {
	var (
		format   string
		output   string
		platform string
		insecure []string
	)
	cmd := &cobra.Command{
		Use:   "sbom REF",
		Short: "List the packages in an image or directory (an SBOM)",
		Long: `List every package in an image or directory, with the layer that added it.

REF is one of:
  docker-archive:FILE     docker save output
  oci:DIR[:TAG]           OCI image layout
  oci-archive:FILE[:TAG]  tar of an OCI image layout
  docker:NAME[:TAG]       image in the local Docker Engine (DOCKER_HOST honoured)
  registry:HOST/REPO:TAG  image in a registry (auth from ~/.docker/config.json)
  dir:PATH                unpacked root filesystem or project directory
  NAME[:TAG]              registry when NAME starts with a host, else the local
                          Docker Engine first, then the registry`,
		Example: `  bulwark sbom docker-archive:app.tar -f cyclonedx -o app.cdx.json
  bulwark sbom registry.example.com/team/app:1.4 --platform linux/arm64`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := report.New(format, report.Options{SBOMOnly: true, Color: output == "" && isTerminal(g.stdout) && os.Getenv("NO_COLOR") == ""})
			if err != nil {
				return usageErr(err)
			}
			inv, err := inventory(cmd.Context(), g, args[0], image.Options{Platform: platform, InsecureRegistries: insecure})
			if err != nil {
				return err
			}
			rep := &model.Report{Schema: model.ReportSchema, Inventory: *inv, Findings: []model.Finding{}, CreatedAt: inv.CreatedAt}
			return writeOutput(g.stdout, output, func(out io.Writer) error { return w.Write(out, rep) })
		},
	}
	f := cmd.Flags()
	f.StringVarP(&format, "format", "f", "table", "output format: cyclonedx, spdx, json or table")
	f.StringVarP(&output, "output", "o", "", "write to FILE (atomically) instead of stdout")
	f.StringVar(&platform, "platform", "", "platform to pick from a multi-arch image: os/arch[/variant] (default: this host's)")
	f.StringArrayVar(&insecure, "insecure-registry", nil, "allow plain HTTP and unverified TLS for this registry host[:port] (repeatable; loopback registries are always allowed plain HTTP)")
	return cmd
}

// inventory runs the scan with the progress display and maps errors to
// exit codes.
func inventory(ctx context.Context, g *globals, ref string, imgOpts image.Options) (*model.Inventory, error) {
	progress, done := progressFor(g)
	start := time.Now()
	inv, err := scan.Inventory(ctx, ref, scan.Options{
		Image:    imgOpts,
		CacheDir: g.cacheDir,
		Progress: progress,
		Scanner:  model.Tool{Name: "bulwark", Version: Version},
	})
	done()
	if err != nil {
		return nil, scanErr(err)
	}
	g.log.Debug("inventory done", "ref", ref, "source", inv.Image.Source, "packages", len(inv.Packages), "elapsed", time.Since(start))
	if !g.quiet {
		for _, st := range inv.Status {
			if st.State != model.PluginOK {
				g.log.Warn("plugin incomplete", "plugin", st.Name, "state", string(st.State), "warnings", len(st.Warnings))
			}
		}
	}
	return inv, nil
}

// scanErr maps scan errors to exit codes: bad or missing input is a usage
// error (2), an unreachable daemon or registry or an I/O failure is
// operational (3).
func scanErr(err error) error {
	switch {
	case errors.Is(err, image.ErrBadReference), errors.Is(err, image.ErrNotFound), errors.Is(err, image.ErrInvalid), errors.Is(err, catalog.ErrCorrupt):
		return usageErr(err)
	default:
		return opErr(err)
	}
}

// writeOutput writes to stdout, or to file through a temporary file in the
// same directory that is renamed into place only when complete.
func writeOutput(stdout io.Writer, file string, write func(io.Writer) error) error {
	if file == "" || file == "-" {
		if err := write(stdout); err != nil {
			return opErr(err)
		}
		return nil
	}
	dir := filepath.Dir(file)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return usageErr(fmt.Errorf("output %s: %w", file, err))
	}
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return opErr(fmt.Errorf("output %s: %w", file, err))
	}
	return nil
}
