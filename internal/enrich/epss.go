package enrich

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
)

// epssURL is FIRST's daily EPSS score file for every published CVE.
const epssURL = "https://epss.cyentia.com/epss_scores-current.csv.gz"

// EPSS is the FIRST EPSS feed, named "epss". It is off by default: a
// quarter of a million scores that change daily would rebuild the
// database every day; enable it with `--source epss`.
type EPSS struct{}

var (
	_ feed.Feed      = (*EPSS)(nil)
	_ feed.Defaulter = (*EPSS)(nil)
)

// Name implements feed.Feed.
func (*EPSS) Name() string { return "epss" }

// Version implements feed.Feed.
func (*EPSS) Version() int { return 1 }

// DefaultEnabled implements feed.Defaulter.
func (*EPSS) DefaultEnabled() bool { return false }

// Layout is epss/epss_scores*.csv[.gz] in a bundle.
func (*EPSS) Layout() feed.Layout {
	return feed.Layout{
		Folder: "epss",
		Include: func(rel string) bool {
			return strings.HasPrefix(rel, "epss_scores") && (strings.HasSuffix(rel, ".csv") || strings.HasSuffix(rel, ".csv.gz"))
		},
		Upstream: []feed.Remote{{URL: epssURL, Name: "epss_scores-current.csv.gz"}},
	}
}

// Fetch implements feed.Feed.
func (e *EPSS) Fetch(ctx context.Context, src feed.Source, prev string) (*feed.Data, error) {
	return feed.Fetch(ctx, src, prev, e.Layout())
}

// Parse implements feed.Feed. The file starts with a comment line
// "#model_version:…,score_date:2024-05-01T00:00:00+0000", then the header
// "cve,epss,percentile".
func (e *EPSS) Parse(ctx context.Context, data *feed.Data, emit func(feed.Record) error) error {
	for _, name := range data.Files {
		rc, err := feed.OpenPlain(data, name)
		if err != nil {
			return fmt.Errorf("epss: %w", err)
		}
		date := ""
		header := false
		err = feed.EachLine(ctx, rc, name, func(where string, line []byte) error {
			line = bytes.TrimSpace(line)
			if bytes.HasPrefix(line, []byte("#")) {
				for _, kv := range strings.Split(string(line[1:]), ",") {
					if v, ok := strings.CutPrefix(kv, "score_date:"); ok {
						date, _, _ = strings.Cut(v, "T")
					}
				}
				return nil
			}
			f := strings.Split(string(line), ",")
			if !header {
				if len(f) < 3 || f[0] != "cve" || f[1] != "epss" || f[2] != "percentile" {
					return fmt.Errorf("%s: want header cve,epss,percentile", where)
				}
				header = true
				return nil
			}
			if len(f) < 3 || !strings.HasPrefix(f[0], "CVE-") {
				return fmt.Errorf("%s: bad row %q", where, line)
			}
			score, err1 := strconv.ParseFloat(f[1], 64)
			pct, err2 := strconv.ParseFloat(f[2], 64)
			if err1 != nil || err2 != nil || score < 0 || score > 1 || pct < 0 || pct > 1 {
				return fmt.Errorf("%s: bad scores in %q", where, line)
			}
			return emit(feed.Record{Vulnerability: model.Vulnerability{
				ID: f[0], EPSS: &model.EPSS{Score: score, Percentile: pct, Date: date},
			}})
		})
		rc.Close()
		if err != nil {
			return fmt.Errorf("epss: %w", err)
		}
	}
	return nil
}
