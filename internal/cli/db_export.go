package cli

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/vulndb"
)

func newDBExportCmd(g *globals, path *dbPathFlag) *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "export FILE.tar.zst",
		Short: "Write the database to one signed file for air-gapped sites",
		Long: `Write the vulnerability database, a manifest with its SHA-256 and a detached
ed25519 signature over the manifest into one zstd-compressed tar.

The signing key is --key (a PEM PKCS #8 ed25519 key, e.g. from
"openssl genpkey -algorithm ed25519") or <cache-dir>/keys/db-signing.key, created
on first export. Give its public half (db-signing.pub beside it) to the sites
that import: they pass it with --trusted-key or BULWARK_DB_TRUSTED_KEYS.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var key ed25519.PrivateKey
			var err error
			created := false
			if keyFile != "" {
				key, err = vulndb.LoadSigningKey(keyFile)
			} else {
				key, created, err = vulndb.LoadOrCreateSigningKey(keyDir(g))
			}
			if err != nil {
				return usageErr(err)
			}
			if created {
				fmt.Fprintf(g.stderr, "bulwark: created signing key %s (key id %s); give %s to the sites that import\n",
					filepath.Join(keyDir(g), vulndb.SigningKeyFile), vulndb.KeyID(key.Public().(ed25519.PublicKey)),
					filepath.Join(keyDir(g), vulndb.PublicKeyFile))
			}
			out := args[0]
			// Written beside the target and renamed, so a failed export
			// never leaves a truncated archive under the final name.
			f, err := os.CreateTemp(filepath.Dir(out), ".bulwark-export-*")
			if err != nil {
				return opErr(err)
			}
			tmp := f.Name()
			defer os.Remove(tmp)
			m, err := vulndb.Export(cmd.Context(), path.resolve(g), f, key)
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Chmod(tmp, 0o644)
			}
			if err == nil {
				err = os.Rename(tmp, out)
			}
			if err != nil {
				return opErr(err)
			}
			if !g.quiet {
				st, _ := os.Stat(out)
				fmt.Fprintf(g.stdout, "exported %s (%s; DB built %s, schema %d, sha256 %s) signed by key %s\n",
					out, formatBytes(st.Size()), m.BuiltAt.UTC().Format("2006-01-02T15:04:05Z"), m.Schema, m.SHA256[:16], m.KeyID)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "ed25519 signing key (PEM PKCS #8); default <cache-dir>/keys/db-signing.key, created if absent")
	return cmd
}
