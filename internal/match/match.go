// Package match decides which vulnerabilities affect the packages of an
// inventory, and says why.
//
// OS packages are matched only against their vendor's data for the
// detected release, by source package; language packages against the
// OSV/GHSA data of their ecosystem; Go findings carry symbol-level
// reachability. Every decision has a reason sentence with its evidence,
// and anything Bulwark cannot decide becomes a model.Unknown rather than
// a silent "not affected". VEX documents (subpackage vex) and ignore files
// (subpackage ignore) then suppress findings without dropping them.
package match

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/version"
)

// Options tune an Engine.
type Options struct {
	// ShowUnreachable leaves Go findings whose vulnerable symbols are not
	// linked into the binary unsuppressed. By default they are kept in
	// the result with Suppressed.Kind "unreachable".
	ShowUnreachable bool
	// Concurrency bounds parallel database lookups; 0 means GOMAXPROCS.
	Concurrency int
}

// Engine matches inventories against an advisory database. It is safe for
// concurrent use: Match keeps all per-call state on the stack.
type Engine struct {
	reader store.AdvisoryReader
	opts   Options
	// comparator is version.For; tests may substitute it.
	comparator func(scheme string) (version.Comparator, error)
	// explain makes judge write a reason for not-affected verdicts too.
	explain bool
}

// New returns an Engine reading advisories from reader.
func New(reader store.AdvisoryReader, opts Options) *Engine {
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.GOMAXPROCS(0)
	}
	return &Engine{reader: reader, opts: opts, comparator: version.For}
}

// subject is one package of the inventory as the matcher sees it: where
// to look it up and which version to compare.
type subject struct {
	pkg     *model.Package
	ns      string
	name    string // lookup key: source package or normalized name
	version string // version compared: source version for deb
	// entries, verdicts and unknown are filled by judge; entries are
	// the advisories that apply to the package's ecosystem.
	entries  []*model.Affected
	verdicts []verdict
	unknown  *model.Unknown
}

type lookupKey struct{ ns, name string }

// plan picks, for every package, the namespace and name to look up, and
// reports the package groups that cannot be matched at all.
func (e *Engine) plan(ctx context.Context, inv *model.Inventory) ([]*subject, []model.Unknown, error) {
	var (
		subjects []*subject
		unknowns []model.Unknown
	)
	hasNS := map[string]bool{}
	noData := map[model.Ecosystem]int{}
	noDataNS := map[model.Ecosystem]string{}
	var osCount int
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if p.Ecosystem.IsOS() {
			osCount++
		}
		ns := model.Namespace(p.Ecosystem, inv.Distro)
		if ns != "" && p.Ecosystem.IsOS() && !nativeTo(p.Ecosystem, inv.Distro) {
			// An apk database in a Debian image has no vendor data:
			// Debian's would be read in the wrong scheme.
			ns = ""
		}
		if ns != "" {
			ok, seen := hasNS[ns]
			if !seen {
				var err error
				ok, err = e.reader.HasNamespace(ctx, ns)
				if err != nil {
					return nil, nil, fmt.Errorf("checking namespace %s: %w", ns, err)
				}
				hasNS[ns] = ok
			}
			if !ok {
				ns = ""
			}
		}
		if ns == "" {
			noData[p.Ecosystem]++
			noDataNS[p.Ecosystem] = model.Namespace(p.Ecosystem, inv.Distro)
			continue
		}
		s := &subject{pkg: p, ns: ns}
		if p.Ecosystem.IsOS() {
			s.name = p.SourceOrName()
			s.version = p.Version
			if p.Ecosystem == model.EcosystemDeb {
				// Debian's tracker speaks of source versions; a binNMU
				// or a binary built from an older source differs.
				s.version = p.SourceVersionOrVersion()
			}
		} else {
			s.name = model.NormalizeName(p.Ecosystem, p.Name)
			s.version = p.Version
		}
		subjects = append(subjects, s)
	}
	for _, eco := range slices.Sorted(maps.Keys(noData)) {
		unknowns = append(unknowns, model.Unknown{
			Package: model.PackageRef{Ecosystem: eco},
			Reason:  noDataReason(eco, noDataNS[eco], inv.Distro, noData[eco]),
		})
	}
	if d := inv.Distro; osCount > 0 && d != nil && d.EOL {
		when := ""
		if d.EOLDate != "" {
			when = " on " + d.EOLDate
		}
		unknowns = append(unknowns, model.Unknown{
			Reason: fmt.Sprintf("warning: %s %s reached end of life%s; vendor data no longer covers new vulnerabilities, so findings are incomplete",
				d.ID, d.Release, when),
		})
	}
	return subjects, unknowns, nil
}

// nativeTo reports whether eco is the package format of the distribution
// family; unknown families are given the benefit of the doubt.
func nativeTo(eco model.Ecosystem, d *model.Distro) bool {
	switch model.DistroFamily(d.ID) {
	case "debian", "ubuntu":
		return eco == model.EcosystemDeb
	case "alpine", "wolfi":
		return eco == model.EcosystemAPK
	case "redhat", "amazon", "oracle", "suse", "fedora":
		return eco == model.EcosystemRPM
	}
	return true
}

func noDataReason(eco model.Ecosystem, ns string, d *model.Distro, n int) string {
	what := fmt.Sprintf("%d %s package(s) not matched", n, eco)
	switch {
	case ns != "" && eco.IsOS() && !nativeTo(eco, d):
		return fmt.Sprintf("%s packages do not belong to %s %s, so its vendor data does not apply: %s", eco, d.ID, d.Release, what)
	case ns != "":
		return fmt.Sprintf("no vulnerability data for %s: %s", ns, what)
	case d.Unknown():
		return fmt.Sprintf("no distribution identified, so no vendor data applies: %s", what)
	default:
		return fmt.Sprintf("no release known for distribution %s: %s", d.ID, what)
	}
}

// fetch looks up every distinct (namespace, name) once and judges the
// subjects that share it, in parallel.
func (e *Engine) fetch(ctx context.Context, subjects []*subject) error {
	groups := map[lookupKey][]*subject{}
	var keys []lookupKey
	for _, s := range subjects {
		k := lookupKey{s.ns, s.name}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], s)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for _, k := range keys {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			entries, err := e.reader.Affected(ctx, k.ns, k.name)
			if err != nil {
				return fmt.Errorf("reading advisories for %s in %s: %w", k.name, k.ns, err)
			}
			for _, s := range groups[k] {
				e.judge(s, entries)
			}
			return nil
		})
	}
	return g.Wait()
}

// records fetches the joined vulnerability record of every id in ids.
func (e *Engine) records(ctx context.Context, ids []string) (map[string]*model.Vulnerability, error) {
	out := make(map[string]*model.Vulnerability, len(ids))
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Concurrency)
	for _, id := range ids {
		g.Go(func() error {
			rec, err := e.reader.Vulnerability(ctx, id)
			if err != nil {
				return fmt.Errorf("reading vulnerability %s: %w", id, err)
			}
			mu.Lock()
			out[id] = rec
			mu.Unlock()
			return nil
		})
	}
	return out, g.Wait()
}

// Match returns the findings and unknowns for inv. Findings that VEX,
// ignore rules or reachability suppress are kept with Suppressed set.
// The order is deterministic: by package, then vulnerability id.
func (e *Engine) Match(ctx context.Context, inv *model.Inventory) ([]model.Finding, []model.Unknown, error) {
	if inv == nil {
		return nil, nil, fmt.Errorf("match: nil inventory")
	}
	subjects, unknowns, err := e.plan(ctx, inv)
	if err != nil {
		return nil, nil, err
	}
	if err := e.fetch(ctx, subjects); err != nil {
		return nil, nil, err
	}
	idSet := map[string]bool{}
	for _, s := range subjects {
		if s.unknown != nil {
			unknowns = append(unknowns, *s.unknown)
		}
		for _, v := range s.verdicts {
			if v.state != model.MatchNotAffected {
				idSet[v.entry.VulnID] = true
			}
		}
	}
	recs, err := e.records(ctx, slices.Sorted(maps.Keys(idSet)))
	if err != nil {
		return nil, nil, err
	}
	rc := newReachContext(inv)
	var findings []model.Finding
	for _, s := range subjects {
		for _, grp := range joinVerdicts(s.verdicts, recs, false) {
			f := e.finding(s, grp, recs, rc)
			findings = append(findings, f)
		}
	}
	sortFindings(findings)
	slices.SortStableFunc(unknowns, func(a, b model.Unknown) int {
		return cmp.Or(cmpRef(&a.Package, &b.Package), cmp.Compare(a.Reason, b.Reason))
	})
	return findings, unknowns, nil
}

func sortFindings(fs []model.Finding) {
	slices.SortStableFunc(fs, func(a, b model.Finding) int {
		return cmp.Or(cmpRef(&a.Package, &b.Package), cmp.Compare(a.VulnID, b.VulnID))
	})
}

func cmpRef(a, b *model.PackageRef) int {
	return cmp.Or(
		cmp.Compare(a.Ecosystem, b.Ecosystem),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Version, b.Version),
		cmp.Compare(firstOf(a.Locations), firstOf(b.Locations)),
	)
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
