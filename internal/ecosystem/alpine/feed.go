package alpine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
)

// secdbURL is Alpine's security database, one file per branch and
// repository, generated from the secfixes of every APKBUILD.
const secdbURL = "https://secdb.alpinelinux.org/"

// Branches fetched upstream; a branch not published yet is skipped.
var branches = []string{
	"v3.12", "v3.13", "v3.14", "v3.15", "v3.16", "v3.17", "v3.18", "v3.19",
	"v3.20", "v3.21", "v3.22", "v3.23", "v3.24", "edge",
}

// Feed is Alpine's secdb, named "alpine". secfixes are written per
// APKBUILD, so package names are origin (source) package names.
type Feed struct{}

var _ feed.Feed = (*Feed)(nil)

// Name implements feed.Feed.
func (*Feed) Name() string { return "alpine" }

// Version implements feed.Feed.
func (*Feed) Version() int { return 1 }

// Layout is where the feed's files are: alpine/secdb/<branch>/{main,
// community}.json in a bundle (branch "3.18" or "v3.18"; "edge").
func (*Feed) Layout() feed.Layout {
	l := feed.Layout{
		Folder: "alpine",
		Include: func(rel string) bool {
			return strings.HasPrefix(rel, "secdb/") && strings.HasSuffix(rel, ".json")
		},
	}
	for _, b := range branches {
		for _, repo := range []string{"main", "community"} {
			l.Upstream = append(l.Upstream, feed.Remote{
				URL: secdbURL + b + "/" + repo + ".json", Name: "secdb/" + b + "/" + repo + ".json", Optional: true,
			})
		}
	}
	return l
}

// Fetch implements feed.Feed.
func (f *Feed) Fetch(ctx context.Context, src feed.Source, prev string) (*feed.Data, error) {
	return feed.Fetch(ctx, src, prev, f.Layout())
}

type secdb struct {
	DistroVersion string `json:"distroversion"`
	RepoName      string `json:"reponame"`
	Packages      []struct {
		Pkg struct {
			Name     string              `json:"name"`
			Secfixes map[string][]string `json:"secfixes"`
		} `json:"pkg"`
	} `json:"packages"`
}

var releaseRE = regexp.MustCompile(`^\d+\.\d+$`)

var branchInPath = regexp.MustCompile(`(?:^|/)v?(\d+\.\d+|edge)/`)

// Namespace returns "alpine:<major.minor>" or "alpine:edge" for a secdb
// distroversion ("v3.18", "edge"), "" when it is not one.
func Namespace(distroversion string) string {
	v := strings.TrimPrefix(strings.TrimSpace(distroversion), "v")
	if v == "edge" || releaseRE.MatchString(v) {
		return "alpine:" + v
	}
	return ""
}

// Parse implements feed.Feed. secfixes version "0" means the package was
// never affected: it becomes a not-affected entry.
func (f *Feed) Parse(ctx context.Context, data *feed.Data, emit func(feed.Record) error) error {
	recs := map[string]*feed.Record{}
	var order []string
	for _, name := range data.Files {
		err := feed.EachJSON(ctx, data, name, func(where string, raw []byte) error {
			var db secdb
			if err := json.Unmarshal(raw, &db); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			ns := Namespace(db.DistroVersion)
			if ns == "" {
				if m := branchInPath.FindStringSubmatch(name); m != nil {
					ns = Namespace(m[1])
				}
			}
			if ns == "" {
				return fmt.Errorf("%s: unknown branch %q", where, db.DistroVersion)
			}
			for _, p := range db.Packages {
				for _, ver := range slices.Sorted(maps.Keys(p.Pkg.Secfixes)) {
					for _, ids := range p.Pkg.Secfixes[ver] {
						id, aliases := SplitIDs(ids)
						if id == "" || p.Pkg.Name == "" {
							continue
						}
						rec, ok := recs[id]
						if !ok {
							rec = &feed.Record{Vulnerability: model.Vulnerability{ID: id}}
							recs[id] = rec
							order = append(order, id)
						}
						for _, a := range aliases {
							if !slices.Contains(rec.Vulnerability.Aliases, a) {
								rec.Vulnerability.Aliases = append(rec.Vulnerability.Aliases, a)
							}
						}
						addFix(rec, ns, p.Pkg.Name, strings.TrimSpace(ver))
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("alpine: %w", err)
		}
	}
	for _, id := range order {
		if err := emit(*recs[id]); err != nil {
			return fmt.Errorf("alpine: %s: %w", id, err)
		}
	}
	return nil
}

// addFix records that pkg in ns is fixed in ver ("0": never affected).
// One entry per (namespace, package): a CVE fixed in two versions (a fix
// reverted and redone) keeps both bounds; "0" anywhere wins.
func addFix(rec *feed.Record, ns, pkg, ver string) {
	i := slices.IndexFunc(rec.Affected, func(a model.Affected) bool { return a.Namespace == ns && a.Package == pkg })
	if i < 0 {
		rec.Affected = append(rec.Affected, model.Affected{
			VulnID: rec.Vulnerability.ID, Namespace: ns, Ecosystem: model.EcosystemAPK, Package: pkg, Source: "alpine",
		})
		i = len(rec.Affected) - 1
	}
	a := &rec.Affected[i]
	if ver == "0" || a.Status == model.StatusNotAffected {
		a.Status, a.Ranges = model.StatusNotAffected, nil
		return
	}
	a.Status = model.StatusFixed
	a.Ranges = append(a.Ranges, model.Range{Fixed: ver})
}

// SplitIDs reads one secfixes entry, "CVE-2020-29483 XSA-325" or
// "CVE-2018-10103 (SMB - partially fixed, but SMB printing disabled)": the
// first CVE is the id, other ids are aliases, and everything from a "("
// on is a remark.
func SplitIDs(s string) (string, []string) {
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = s[:i]
	}
	var ids []string
	for _, tok := range strings.Fields(s) {
		if idRE.MatchString(tok) {
			ids = append(ids, tok)
		}
	}
	if len(ids) == 0 {
		return "", nil
	}
	i := slices.IndexFunc(ids, func(id string) bool { return strings.HasPrefix(id, "CVE-") })
	if i > 0 {
		ids[0], ids[i] = ids[i], ids[0]
	}
	return ids[0], ids[1:]
}

// idRE accepts advisory ids: CVE-2020-1, XSA-325, GNUTLS-SA-2020-06-03,
// DW202402-001.
var idRE = regexp.MustCompile(`^[A-Z][A-Z0-9]*(?:-[A-Za-z0-9]+)+$`)
