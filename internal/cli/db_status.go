package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// dbStatus is the --json form of db status.
type dbStatus struct {
	Path    string              `json:"path"`
	Schema  int                 `json:"schema"`
	BuiltAt time.Time           `json:"builtAt"`
	AgeSecs int64               `json:"ageSeconds"`
	Size    int64               `json:"size"`
	Counts  vulndb.Counts       `json:"counts"`
	Sources []vulndb.SourceMeta `json:"sources"`
	// Missing are sources this build knows that the DB does not hold.
	Missing []string `json:"missing,omitempty"`
}

func newDBStatusCmd(g *globals, path *dbPathFlag, feeds func() []feed.Feed) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the database's age, schema and per-source state",
		Long: `Show where the vulnerability database is, when it was built, its schema and size,
and per source: records, newest advisory, when it was fetched and its fingerprint.
Exits 3 when there is no usable database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dbPath := path.resolve(g)
			db, err := vulndb.Open(dbPath)
			if err != nil {
				return opErr(err)
			}
			defer db.Close()
			st := dbStatus{Path: dbPath, Schema: db.Schema(), BuiltAt: db.BuiltAt(), AgeSecs: int64(db.Age() / time.Second),
				Size: db.Size(), Counts: db.Counts(), Sources: db.Sources()}
			have := map[string]bool{}
			for _, s := range st.Sources {
				have[s.Name] = true
			}
			for _, f := range feeds() {
				if !have[f.Name()] {
					st.Missing = append(st.Missing, f.Name())
				}
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			printStatus(g, &st, db.Age())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

func printStatus(g *globals, st *dbStatus, age time.Duration) {
	w := g.stdout
	fmt.Fprintf(w, "DB:      %s\n", st.Path)
	fmt.Fprintf(w, "schema:  %d\n", st.Schema)
	fmt.Fprintf(w, "built:   %s (%s ago)\n", st.BuiltAt.UTC().Format(time.RFC3339), vulndb.FormatAge(age))
	fmt.Fprintf(w, "size:    %s\n", formatBytes(st.Size))
	c := st.Counts
	fmt.Fprintf(w, "content: %d vulnerabilities (%d more ids as aliases), %d affected entries for %d packages in %d namespaces\n\n",
		c.Vulnerabilities, c.Aliases, c.Affected, c.Packages, c.Namespaces)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tRECORDS\tAFFECTED\tNEWEST ADVISORY\tFETCHED AT\tCHECKED AT\tFINGERPRINT")
	for _, s := range st.Sources {
		newest := "-"
		if !s.NewestAdvisory.IsZero() {
			newest = s.NewestAdvisory.UTC().Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Name, s.Records, s.Affected, newest,
			s.FetchedAt.UTC().Format(time.RFC3339), s.CheckedAt.UTC().Format(time.RFC3339), shortFingerprint(s.Fingerprint))
	}
	for _, m := range st.Missing {
		fmt.Fprintf(tw, "%s\t-\t-\t-\tnot in this DB\t-\t-\n", m)
	}
	tw.Flush()
}

// shortFingerprint keeps status lines readable; the cut still tells two
// fetches apart, and --json shows the whole value.
func shortFingerprint(fp string) string {
	if len(fp) > 40 {
		return fp[:40] + "…"
	}
	return fp
}
