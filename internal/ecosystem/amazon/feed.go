// Package amazon is the Amazon Linux 2023 vulnerability feed, read from
// ALAS advisories (the repository's updateinfo). Each advisory lists the
// CVEs it fixes and the binary packages that carry the fix.
package amazon

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
)

// Namespace is the one release this feed covers.
const Namespace = "amazon:2023"

// Feed is the ALAS feed for Amazon Linux 2023, named "amazon".
type Feed struct{}

var _ feed.Feed = (*Feed)(nil)

// Name implements feed.Feed.
func (*Feed) Name() string { return "amazon" }

// Version implements feed.Feed.
func (*Feed) Version() int { return 1 }

// Layout is where the feed's files are: amazon/alas2023*.jsonl in a bundle
// (updateinfo converted to JSON, one advisory per line) or an
// updateinfo.xml[.gz] file.
func (*Feed) Layout() feed.Layout {
	return feed.Layout{
		Folder: "amazon",
		Include: func(rel string) bool {
			return !strings.Contains(rel, "/") && (strings.HasPrefix(rel, "alas2023") && strings.HasSuffix(rel, ".jsonl") ||
				strings.HasPrefix(rel, "updateinfo.xml"))
		},
	}
}

// Fetch implements feed.Feed.
func (f *Feed) Fetch(ctx context.Context, src feed.Source, prev string) (*feed.Data, error) {
	if src.Mirror == "" {
		return fetchUpstream(ctx, src, prev)
	}
	return feed.Fetch(ctx, src, prev, f.Layout())
}

// Advisory is one ALAS advisory in the JSON form of updateinfo.
type Advisory struct {
	ID       string `json:"ID"`
	Title    string `json:"Title"`
	Severity string `json:"Severity"`
	Issued   struct {
		Date string `json:"Date"`
	} `json:"Issued"`
	References struct {
		Reference []struct {
			ID   string `json:"ID"`
			Href string `json:"Href"`
			Type string `json:"Type"`
		} `json:"Reference"`
	} `json:"References"`
	Pkglist struct {
		Collection struct {
			Package []Package `json:"Package"`
		} `json:"Collection"`
	} `json:"Pkglist"`
}

// Package is one binary package of an advisory.
type Package struct {
	Name    string `json:"Name"`
	Epoch   string `json:"Epoch"`
	Version string `json:"Version"`
	Release string `json:"Release"`
	Arch    string `json:"Arch"`
}

// EVR is the package's [epoch:]version-release; epoch 0 is left out.
func (p Package) EVR() string {
	evr := p.Version + "-" + p.Release
	if p.Epoch != "" && p.Epoch != "0" {
		evr = p.Epoch + ":" + evr
	}
	return evr
}

// SourcePackages returns the fixed source packages of an advisory with
// their EVR. updateinfo names binary packages only; the source package is
// derived from the "<source>-debugsource" package every compiled package
// ships, else from a package whose name prefixes all others; failing
// both, advisories are keyed by their binary package names, debuginfo
// packages aside.
func SourcePackages(pkgs []Package) [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	add := func(name, evr string) {
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, [2]string{name, evr})
		}
	}
	for _, p := range pkgs {
		if src, ok := strings.CutSuffix(p.Name, "-debugsource"); ok {
			add(src, p.EVR())
		}
	}
	if len(out) > 0 {
		return out
	}
	// Without debugsource (noarch builds, golang), a package whose name
	// prefixes every other one ("golang", "golang-bin", "golang-docs")
	// is the source's main package, named like the source.
	for _, p := range pkgs {
		prefix := true
		for _, q := range pkgs {
			if q.Name != p.Name && !strings.HasPrefix(q.Name, p.Name+"-") {
				prefix = false
				break
			}
		}
		if prefix {
			add(p.Name, p.EVR())
			return out
		}
	}
	for _, p := range pkgs {
		if !strings.HasSuffix(p.Name, "-debuginfo") && p.Arch != "src" {
			add(p.Name, p.EVR())
		}
	}
	return out
}

// Parse implements feed.Feed. Records are per CVE: one advisory fixing
// five CVEs gives five records, each with the advisory id.
func (f *Feed) Parse(ctx context.Context, data *feed.Data, emit func(feed.Record) error) error {
	recs := map[string]*feed.Record{}
	var order []string
	add := func(adv *Advisory) {
		for _, ref := range adv.References.Reference {
			if !strings.HasPrefix(ref.ID, "CVE-") {
				continue
			}
			rec, ok := recs[ref.ID]
			if !ok {
				rec = &feed.Record{Vulnerability: model.Vulnerability{ID: ref.ID}}
				recs[ref.ID] = rec
				order = append(order, ref.ID)
			}
			for _, sp := range SourcePackages(adv.Pkglist.Collection.Package) {
				i := slices.IndexFunc(rec.Affected, func(a model.Affected) bool { return a.Package == sp[0] })
				if i >= 0 {
					// A later advisory for the same CVE and package
					// (another build of the fix): the first fix stays
					// the bound, the advisory is recorded.
					if !slices.Contains(rec.Affected[i].AdvisoryIDs, adv.ID) {
						rec.Affected[i].AdvisoryIDs = append(rec.Affected[i].AdvisoryIDs, adv.ID)
					}
					continue
				}
				rec.Affected = append(rec.Affected, model.Affected{
					VulnID: ref.ID, Namespace: Namespace, Ecosystem: model.EcosystemRPM, Package: sp[0],
					Ranges: []model.Range{{Fixed: sp[1]}}, Status: model.StatusFixed,
					Urgency: adv.Severity, Source: "amazon", AdvisoryIDs: []string{adv.ID},
				})
			}
		}
	}
	for _, name := range data.Files {
		var err error
		if strings.Contains(name, ".xml") {
			err = readUpdateinfo(ctx, data, name, func(a *Advisory) error { add(a); return nil })
		} else {
			err = feed.EachJSON(ctx, data, name, func(where string, raw []byte) error {
				var adv Advisory
				if err := json.Unmarshal(raw, &adv); err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
				if adv.ID == "" {
					return fmt.Errorf("%s: advisory has no ID", where)
				}
				add(&adv)
				return nil
			})
		}
		if err != nil {
			return fmt.Errorf("amazon: %w", err)
		}
	}
	for _, id := range order {
		if len(recs[id].Affected) == 0 {
			continue
		}
		if err := emit(*recs[id]); err != nil {
			return fmt.Errorf("amazon: %s: %w", id, err)
		}
	}
	return nil
}
