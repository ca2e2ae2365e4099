package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bulwark-security/bulwark/internal/ecosystem/all"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

func newDBCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Update, inspect, export and import the vulnerability database",
		Long: `The vulnerability database is one file, <cache-dir>/db/bulwark.db (--db overrides),
built from vendor feeds by "db update" or brought in by "db import". Scans read it
without network access. See docs/vulndb.md.`,
	}
	path := &dbPathFlag{}
	cmd.PersistentFlags().StringVar(&path.path, "db", "", "vulnerability DB file (default <cache-dir>/db/bulwark.db)")
	cmd.AddCommand(
		newDBUpdateCmd(g, path, all.Feeds),
		newDBStatusCmd(g, path, all.Feeds),
		newDBExportCmd(g, path),
		newDBImportCmd(g, path),
	)
	return cmd
}

// dbPathFlag is --db: empty means the DB in the cache directory.
type dbPathFlag struct{ path string }

func (f *dbPathFlag) resolve(g *globals) string {
	if f.path != "" {
		return f.path
	}
	return vulndb.DefaultPath(g.cacheDir)
}

// keyDir is where export keeps its signing key and import its pinned keys.
func keyDir(g *globals) string { return filepath.Join(g.cacheDir, "keys") }

// vulnDBOptions are the flags of every command that reads the DB to match
// (scan): where the DB is and how old it may be.
type vulnDBOptions struct {
	dbPathFlag
	maxAge ageValue
}

// addFlags registers --db and --max-db-age.
func (o *vulnDBOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.path, "db", "", "vulnerability DB file (default <cache-dir>/db/bulwark.db)")
	fs.Var(&o.maxAge, "max-db-age", `fail with exit code 3 when the vulnerability DB is older than this ("72h", "7d"); 0 allows any age`)
}

// staleWarnAge is when a scan without --max-db-age starts warning.
const staleWarnAge = 7 * 24 * time.Hour

// open opens the DB for matching: a missing, unreadable or too old DB is an
// operational error (exit 3).
func (o *vulnDBOptions) open(g *globals) (*vulndb.DB, error) {
	db, err := vulndb.Open(o.resolve(g))
	if err != nil {
		return nil, opErr(err)
	}
	if err := db.CheckAge(time.Duration(o.maxAge)); err != nil {
		db.Close()
		return nil, opErr(err)
	}
	if o.maxAge == 0 && db.Age() > staleWarnAge && g.log != nil {
		g.log.Warn("vulnerability DB is old; run bulwark db update", "age", vulndb.FormatAge(db.Age()), "path", db.Path())
	}
	return db, nil
}

// ageValue is a duration flag that also takes days ("7d"), the unit
// people think of DB age in.
type ageValue time.Duration

func (a *ageValue) String() string {
	if *a == 0 {
		return "0"
	}
	return time.Duration(*a).String()
}

func (a *ageValue) Type() string { return "duration" }

func (a *ageValue) Set(s string) error {
	d, err := parseAge(s)
	if err != nil {
		return err
	}
	*a = ageValue(d)
	return nil
}

func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad age %q: want e.g. 7d or 36h", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad age %q: want e.g. 7d or 36h", s)
	}
	return d, nil
}

// describeKeptDB says which DB stays in place after a failed update or
// import, for the warning the user sees.
func describeKeptDB(path string) string {
	db, err := vulndb.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "no vulnerability DB is in place at " + path + "; scans need one"
		}
		return "the file at " + path + " is not usable either: " + err.Error()
	}
	defer db.Close()
	return fmt.Sprintf("keeping the vulnerability DB at %s, built %s ago (%s)", path, vulndb.FormatAge(db.Age()), db.BuiltAt().UTC().Format(time.RFC3339))
}

// formatBytes renders a size in binary units.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
