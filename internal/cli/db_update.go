package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

func newDBUpdateCmd(g *globals, path *dbPathFlag, feeds func() []feed.Feed) *cobra.Command {
	var sources []string
	var mirror string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Fetch the vulnerability feeds and swap in a new database",
		Long: `Fetch every enabled feed (or those named with --source), build a new database,
verify it and swap it in atomically. A source whose upstream fingerprint has not
changed is copied from the current database without download or parse. When
any feed fails the current database stays in place and the command exits 3.

--mirror reads every feed from a feed bundle instead of upstream: a directory
(file:///srv/feeds) or an http(s) URL laid out as described in docs/feed-bundle.md.`,
		Example: `  bulwark db update
  bulwark db update --source debian,go --mirror file:///srv/feeds`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			selected, err := selectFeeds(feeds(), sources)
			if err != nil {
				return usageErr(err)
			}
			src, err := mirrorSource(mirror)
			if err != nil {
				return usageErr(err)
			}
			dbPath := path.resolve(g)
			start := time.Now()
			res, err := vulndb.Update(cmd.Context(), dbPath, selected, vulndb.UpdateOptions{
				Source:      src,
				CarryOthers: len(sources) > 0,
			})
			if err != nil {
				fmt.Fprintf(g.stderr, "bulwark: warning: update failed; %s\n", describeKeptDB(dbPath))
				return opErr(fmt.Errorf("db update: %w", err))
			}
			if res.Previous != nil && g.log != nil {
				g.log.Info("built a fresh vulnerability DB", "reason", res.Previous.Error())
			}
			printUpdate(g, res, time.Since(start))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&sources, "source", nil, `update only these sources (comma-separated feed names; "ghsa" selects every ghsa-* feed); others are kept as they are`)
	f.StringVar(&mirror, "mirror", os.Getenv("BULWARK_DB_MIRROR"), "read feeds from a feed bundle: file:///dir or an http(s) URL (env BULWARK_DB_MIRROR)")
	return cmd
}

// selectFeeds picks the feeds to run: the default-enabled ones, or those
// named (exactly, or by the prefix before a "-": "ghsa" names "ghsa-npm").
func selectFeeds(feeds []feed.Feed, names []string) ([]feed.Feed, error) {
	if len(names) == 0 {
		var out []feed.Feed
		for _, f := range feeds {
			if feed.DefaultEnabled(f) {
				out = append(out, f)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no feeds are enabled in this build")
		}
		return out, nil
	}
	var out []feed.Feed
	for _, n := range names {
		n = strings.TrimSpace(n)
		found := false
		for _, f := range feeds {
			if f.Name() == n || strings.HasPrefix(f.Name(), n+"-") {
				found = true
				if !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown source %q; known sources: %s", n, strings.Join(feedNames(feeds), ", "))
		}
	}
	return out, nil
}

func feedNames(feeds []feed.Feed) []string {
	out := make([]string, len(feeds))
	for i, f := range feeds {
		out[i] = f.Name()
	}
	return out
}

// mirrorSource turns --mirror into a feed.Source; a bare directory path is
// taken as file://.
func mirrorSource(m string) (feed.Source, error) {
	switch {
	case m == "":
		return feed.Source{}, nil
	case strings.HasPrefix(m, "file://"), strings.HasPrefix(m, "http://"), strings.HasPrefix(m, "https://"):
		if dir, ok := strings.CutPrefix(m, "file://"); ok {
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return feed.Source{}, fmt.Errorf("--mirror %s: not a directory", m)
			}
		}
		return feed.Source{Mirror: m}, nil
	}
	if st, err := os.Stat(m); err == nil && st.IsDir() {
		abs, err := filepath.Abs(m)
		if err != nil {
			return feed.Source{}, fmt.Errorf("--mirror %s: %w", m, err)
		}
		return feed.Source{Mirror: "file://" + filepath.ToSlash(abs)}, nil
	}
	return feed.Source{}, fmt.Errorf("--mirror %q: want file:///dir, an http(s) URL or a directory", m)
}

func printUpdate(g *globals, res *vulndb.UpdateResult, took time.Duration) {
	if g.quiet {
		return
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tRESULT\tRECORDS\tTIME")
	for _, s := range res.Sources {
		what := "updated"
		switch {
		case s.Carried:
			what = "kept"
		case s.Unchanged:
			what = "unchanged"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.Name, what, s.Records, s.Took.Round(time.Millisecond))
	}
	tw.Flush()
	c := res.Counts
	fmt.Fprintf(g.stdout, "built %s in %s: %d vulnerabilities, %d affected entries for %d packages in %d namespaces\n",
		res.Path, took.Round(time.Millisecond), c.Vulnerabilities, c.Affected, c.Packages, c.Namespaces)
	switch {
	case res.Diff.Initial:
		fmt.Fprintf(g.stdout, "first build: %d packages have advisories\n", len(res.Diff.Changes))
	case res.Diff.Empty():
		fmt.Fprintln(g.stdout, "no advisory changed since the previous DB")
	default:
		var add, chg, rm int
		for _, p := range res.Diff.Changes {
			add, chg, rm = add+len(p.Added), chg+len(p.Changed), rm+len(p.Removed)
		}
		fmt.Fprintf(g.stdout, "changes since the previous DB: %d packages (%d advisories added, %d changed, %d removed)\n", len(res.Diff.Changes), add, chg, rm)
	}
}
