package cli

import (
	"crypto/ed25519"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/vulndb"
)

func newDBImportCmd(g *globals, path *dbPathFlag) *cobra.Command {
	var trusted []string
	var requireTrusted bool
	cmd := &cobra.Command{
		Use:   "import FILE.tar.zst",
		Short: "Verify a signed database export and swap it in",
		Long: `Verify an archive written by "db export" and swap its database in atomically.

The manifest's signature must verify against a trusted public key: those given
with --trusted-key, those listed in BULWARK_DB_TRUSTED_KEYS (files separated by
":" or ","), this cache's own export key and keys pinned in
<cache-dir>/keys/trusted/. The database must match the manifest's size and
SHA-256 and have a schema this bulwark reads. Anything else is refused and the
current database stays.

When no trusted key is configured at all, the archive is accepted if it verifies
against the key it carries, with a warning, and that key is pinned so that later
imports must be signed by it. --require-trusted-key refuses instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files := append(vulndb.SplitKeyList(os.Getenv("BULWARK_DB_TRUSTED_KEYS")), trusted...)
			var keys []ed25519.PublicKey
			for _, f := range files {
				k, err := vulndb.LoadPublicKey(f)
				if err != nil {
					return usageErr(err)
				}
				keys = append(keys, k)
			}
			local, err := vulndb.LoadTrustedKeys(keyDir(g))
			if err != nil {
				return usageErr(err)
			}
			keys = append(keys, local...)

			in, err := os.Open(args[0])
			if err != nil {
				return usageErr(fmt.Errorf("db import: %w", err))
			}
			defer in.Close()
			dbPath := path.resolve(g)
			res, err := vulndb.Import(cmd.Context(), in, dbPath, vulndb.Trust{Keys: keys, FirstUseUnsafe: !requireTrusted})
			if err != nil {
				fmt.Fprintf(g.stderr, "bulwark: warning: %s not imported; %s\n", args[0], describeKeptDB(dbPath))
				return opErr(fmt.Errorf("db import %s: %w", args[0], err))
			}
			if res.FirstUse {
				pinned, err := vulndb.PinTrustedKey(keyDir(g), res.Signer)
				if err != nil {
					return opErr(err)
				}
				fmt.Fprintf(g.stderr, "bulwark: warning: no trusted key was configured; accepted key %s carried by the archive and pinned it as %s. "+
					"Check the key id with the exporting site; later imports must be signed by it or by a key given with --trusted-key.\n",
					vulndb.KeyID(res.Signer), pinned)
			}
			if !g.quiet {
				m := res.Manifest
				fmt.Fprintf(g.stdout, "imported %s into %s: DB built %s, schema %d, %d sources, signed by key %s\n",
					args[0], dbPath, m.BuiltAt.UTC().Format("2006-01-02T15:04:05Z"), m.Schema, len(m.Sources), vulndb.KeyID(res.Signer))
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&trusted, "trusted-key", nil, "trusted ed25519 public key file (PEM); repeatable (env BULWARK_DB_TRUSTED_KEYS adds more)")
	cmd.Flags().BoolVar(&requireTrusted, "require-trusted-key", false, "refuse the archive unless a configured key signed it (no first-use acceptance)")
	return cmd
}
