package match

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
)

// group is the verdicts of one package that name the same vulnerability,
// possibly under different ids (CVE, GHSA, GO, DSA).
type group struct {
	ids      map[string]bool
	cve      string
	verdicts []verdict
	// extra are advisories covering several CVEs (a DSA, an RHSA record)
	// attached as evidence to each CVE they name.
	extra []verdict
}

func verdictIDs(v verdict, recs map[string]*model.Vulnerability) map[string]bool {
	ids := map[string]bool{v.entry.VulnID: true}
	if rec := recs[v.entry.VulnID]; rec != nil {
		ids[rec.ID] = true
		for _, a := range rec.Aliases {
			ids[a] = true
		}
	}
	delete(ids, "")
	return ids
}

func cvesOf(ids map[string]bool) []string {
	var out []string
	for id := range ids {
		if strings.HasPrefix(id, "CVE-") {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func intersects(a, b map[string]bool) bool {
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

// joinVerdicts groups a package's verdicts into one group per
// vulnerability. Records join when they share an id or alias, but never
// across two different CVEs: an advisory naming several CVEs is attached
// to each of them instead of fusing them. With all false, not-affected
// verdicts are left out.
func joinVerdicts(vs []verdict, recs map[string]*model.Vulnerability, all bool) []*group {
	var single, multi []verdict
	var idsets = map[*model.Affected]map[string]bool{}
	for _, v := range vs {
		if !all && v.state == model.MatchNotAffected {
			continue
		}
		ids := verdictIDs(v, recs)
		idsets[v.entry] = ids
		if len(cvesOf(ids)) <= 1 {
			single = append(single, v)
		} else {
			multi = append(multi, v)
		}
	}
	var groups []*group
	for _, v := range single {
		ids := idsets[v.entry]
		cve := firstOf(cvesOf(ids))
		var into *group
		for i := 0; i < len(groups); i++ {
			g := groups[i]
			if !intersects(g.ids, ids) {
				continue
			}
			target := cve
			if into != nil {
				target = into.cve
			}
			if target != "" && g.cve != "" && target != g.cve {
				continue
			}
			if into == nil {
				into = g
				continue
			}
			into.absorb(g)
			groups = slices.Delete(groups, i, i+1)
			i--
		}
		if into == nil {
			into = &group{ids: map[string]bool{}}
			groups = append(groups, into)
		}
		into.verdicts = append(into.verdicts, v)
		for id := range ids {
			into.ids[id] = true
		}
		if into.cve == "" {
			into.cve = cve
		}
	}
	for _, v := range multi {
		ids := idsets[v.entry]
		attached := false
		for _, g := range groups {
			if g.cve != "" && ids[g.cve] {
				g.extra = append(g.extra, v)
				attached = true
			}
		}
		if !attached {
			groups = append(groups, &group{ids: ids, verdicts: []verdict{v}})
		}
	}
	return groups
}

func (g *group) absorb(o *group) {
	for id := range o.ids {
		g.ids[id] = true
	}
	if g.cve == "" {
		g.cve = o.cve
	}
	g.verdicts = append(g.verdicts, o.verdicts...)
	g.extra = append(g.extra, o.extra...)
}

// all returns the group's verdicts and the attached multi-CVE ones.
func (g *group) all() []verdict {
	return append(slices.Clip(g.verdicts), g.extra...)
}

// state is affected when any source says so, else unknown (or not
// affected when only not-affected verdicts were grouped, for Explain).
func (g *group) state() model.MatchState {
	st := model.MatchNotAffected
	for _, v := range g.all() {
		switch v.state {
		case model.MatchAffected:
			return model.MatchAffected
		case model.MatchUnknown:
			st = model.MatchUnknown
		}
	}
	return st
}

// primary is the verdict that speaks for the group: an affected one,
// preferring records with Go symbol data, then by source and id so the
// choice does not depend on database order.
func (g *group) primary() verdict {
	vs := slices.Clone(g.verdicts)
	if len(vs) == 0 {
		vs = slices.Clone(g.extra)
	}
	rank := func(v verdict) int {
		r := 0
		switch v.state {
		case model.MatchAffected:
			r = 0
		case model.MatchUnknown:
			r = 2
		default:
			r = 4
		}
		if len(v.entry.GoSymbols) == 0 {
			r++
		}
		return r
	}
	slices.SortStableFunc(vs, func(a, b verdict) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)),
			cmp.Compare(a.entry.Source, b.entry.Source),
			cmp.Compare(a.entry.VulnID, b.entry.VulnID))
	})
	return vs[0]
}

// preferredID picks the id a finding is shown under: the CVE, else GHSA,
// else GO, else the smallest.
func preferredID(ids map[string]bool) string {
	all := slices.Sorted(maps.Keys(ids))
	for _, prefix := range []string{"CVE-", "GHSA-", "GO-"} {
		for _, id := range all {
			if strings.HasPrefix(id, prefix) {
				return id
			}
		}
	}
	return firstOf(all)
}

// finding turns a group into a Finding with its evidence.
func (e *Engine) finding(s *subject, g *group, recs map[string]*model.Vulnerability, rc *reachContext) model.Finding {
	p := g.primary()
	a := p.entry
	id := preferredID(g.ids)
	f := model.Finding{
		VulnID:       id,
		Package:      model.RefOf(s.pkg),
		State:        g.state(),
		VendorStatus: a.Status,
		Urgency:      a.Urgency,
		DataSource:   a.Source,
		Namespace:    a.Namespace,
	}
	for alias := range g.ids {
		if alias != id {
			f.Aliases = append(f.Aliases, alias)
		}
	}
	slices.Sort(f.Aliases)

	var rec *model.Vulnerability
	others := map[string]bool{}
	advisories := map[string]bool{}
	fixed := map[string]bool{}
	for _, v := range g.all() {
		if r := recs[v.entry.VulnID]; r != nil && (rec == nil || v.entry == a) {
			rec = r
		}
		if v.entry.VulnID != id {
			advisories[v.entry.VulnID] = true
		}
		for _, adv := range v.entry.AdvisoryIDs {
			advisories[adv] = true
		}
		if v.state != model.MatchNotAffected {
			for _, fv := range v.entry.FixedVersions() {
				fixed[fv] = true
			}
		}
		if v.entry.Source != a.Source {
			others[v.entry.Source+" "+v.entry.VulnID] = true
		}
	}
	f.AdvisoryIDs = slices.Sorted(maps.Keys(advisories))
	f.FixedVersions = slices.Sorted(maps.Keys(fixed))
	if rec != nil {
		f.Summary = rec.Summary
		if rec.KEV != nil {
			f.KEV = true
		}
		if rec.EPSS != nil {
			f.EPSS = rec.EPSS.Score
		}
	}
	sev := pickSeverity(a, rec, s.pkg.Ecosystem.IsOS())
	f.Severity, f.SeveritySource, f.CVSSScore, f.CVSSVector = sev.rating, sev.source, sev.score, sev.vector

	reason := p.why + " (" + evidence(s, a) + ")"
	if len(others) > 0 {
		reason += "; also in " + strings.Join(slices.Sorted(maps.Keys(others)), ", ")
	}
	if s.pkg.Dev {
		reason += "; dev dependency"
		f.Notes = append(f.Notes, "development-only dependency (lock file)")
	}
	if s.pkg.Ecosystem == model.EcosystemGo && f.State == model.MatchAffected {
		r := rc.reach(s.pkg, g)
		f.Reachability, f.ReachableSymbols = r.state, r.symbols
		reason += "; " + r.why
		if r.state == model.NotReachable && !e.opts.ShowUnreachable {
			f.Suppressed = &model.Suppression{Kind: "unreachable", Reason: r.why}
		}
	}
	f.Reason = reason
	return f
}

// evidence is the context part of a reason: where the record lives, which
// package it names, the vendor's words and the data source.
func evidence(s *subject, a *model.Affected) string {
	var parts []string
	if s.pkg.Ecosystem.IsOS() {
		src := "source package " + s.name
		if s.name != s.pkg.Name {
			src += " of " + s.pkg.Name
		}
		if s.version != s.pkg.Version {
			src += ", source version " + s.version
		}
		parts = append(parts, a.Namespace+" "+src)
	} else {
		parts = append(parts, a.Namespace+" "+s.name)
	}
	// Language feeds have no vendor statement beyond their ranges.
	if a.Status != "" && (s.pkg.Ecosystem.IsOS() || (a.Status != model.StatusFixed && a.Status != model.StatusAffected)) {
		parts = append(parts, "vendor status "+string(a.Status))
	}
	if a.Urgency != "" {
		parts = append(parts, "urgency "+a.Urgency)
	}
	if a.Note != "" {
		parts = append(parts, "note: "+a.Note)
	}
	parts = append(parts, fmt.Sprintf("data %s %s", a.Source, a.VulnID))
	return strings.Join(parts, ", ")
}
