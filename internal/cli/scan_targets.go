package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/image"
)

func newScanImageCmd(g *globals) *cobra.Command {
	var o scanOptions
	var platform string
	var insecure []string
	cmd := &cobra.Command{
		Use:   "image REF",
		Short: "Scan a container image",
		Long: `Scan a container image. REF takes the same forms as "bulwark sbom" (docker-archive:,
oci:, oci-archive:, docker:, registry:, dir: or a plain image reference).`,
		Example: `  bulwark scan image app:sha-1f2e --fail-on high
  bulwark scan image docker-archive:app.tar --policy bulwark.yaml \
     --format table --format sarif=out.sarif --format junit=out.xml --format cyclonedx=sbom.cdx.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := o.load(g)
			if err != nil {
				return err
			}
			ctx, cancel := o.withTimeout(cmd.Context())
			defer cancel()
			inv, err := inventory(ctx, g, args[0], image.Options{Platform: platform, InsecureRegistries: insecure})
			if err != nil {
				l.db.Close()
				return timedOut(ctx, err)
			}
			return timedOut(ctx, o.run(ctx, g, l, inv))
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&platform, "platform", "", "platform to pick from a multi-arch image: os/arch[/variant] (default: this host's)")
	cmd.Flags().StringArrayVar(&insecure, "insecure-registry", nil, "allow plain HTTP and unverified TLS for this registry host[:port] (repeatable; loopback registries are always allowed plain HTTP)")
	return cmd
}

func newScanFSCmd(g *globals) *cobra.Command {
	var o scanOptions
	cmd := &cobra.Command{
		Use:     "fs DIR",
		Short:   "Scan a directory: lock files, installed packages and binaries",
		Example: `  bulwark scan fs . --fail-on high`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if st, err := os.Stat(args[0]); err != nil || !st.IsDir() {
				return usageErr(fmt.Errorf("%s: not a directory", args[0]))
			}
			l, err := o.load(g)
			if err != nil {
				return err
			}
			ctx, cancel := o.withTimeout(cmd.Context())
			defer cancel()
			inv, err := inventory(ctx, g, "dir:"+args[0], image.Options{})
			if err != nil {
				l.db.Close()
				return timedOut(ctx, err)
			}
			return timedOut(ctx, o.run(ctx, g, l, inv))
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

func newScanSBOMCmd(g *globals) *cobra.Command {
	var o scanOptions
	cmd := &cobra.Command{
		Use:   "sbom FILE",
		Short: "Scan the packages listed in a CycloneDX or SPDX SBOM (Bulwark's or another tool's)",
		Long: `Scan the packages listed in an SBOM: CycloneDX JSON, SPDX 2.3 JSON, or Bulwark's
own JSON inventory. An image and its SBOM give the same findings.`,
		Example: `  bulwark sbom app:1.4 -f cyclonedx -o app.cdx.json
  bulwark scan sbom app.cdx.json --fail-on critical`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usageErr(fmt.Errorf("sbom: %w", err))
			}
			inv, err := decodeInventory(data)
			if err != nil {
				return usageErr(fmt.Errorf("%s: %w", args[0], err))
			}
			l, err := o.load(g)
			if err != nil {
				return err
			}
			ctx, cancel := o.withTimeout(cmd.Context())
			defer cancel()
			return timedOut(ctx, o.run(ctx, g, l, inv))
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}
