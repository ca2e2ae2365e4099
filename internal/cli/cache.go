package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/catalog"
)

func newCacheCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Manage the local cache",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "clean",
		Short: "Remove cached per-layer scan results",
		Long:  "Remove cached per-layer scan results from the cache directory (--cache-dir, BULWARK_CACHE_DIR). The vulnerability database is kept.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := &catalog.Cache{Dir: g.cacheDir}
			n, size, err := c.Clean()
			if err != nil {
				return opErr(err)
			}
			fmt.Fprintf(g.stdout, "removed %d cached layer results (%s) from %s\n", n, formatBytes(size), c.Dir)
			return nil
		},
	})
	return cmd
}
