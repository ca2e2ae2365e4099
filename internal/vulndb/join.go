package vulndb

import (
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
)

// sourced is one feed record with the feed that emitted it.
type sourced struct {
	source string
	rec    feed.Record
}

// joined is the database content after alias joining: one vulnerability
// per group of ids, affected entries keyed by namespace and normalised
// package name, and every non-preferred id pointing at its group.
type joined struct {
	vulns    map[string]*model.Vulnerability
	aliases  map[string]string
	affected map[pkgKey][]model.Affected
}

// pkgKey addresses the entries of one package in one namespace.
type pkgKey struct{ ns, name string }

// keyName is the stored form of a package name. Lookups know only the
// namespace, and language namespaces are their ecosystem, so both sides
// normalise through it.
func keyName(ns, name string) string {
	return model.NormalizeName(model.Ecosystem(ns), name)
}

func isCVE(id string) bool { return strings.HasPrefix(id, "CVE-") }

// idRank orders id kinds for the preferred id when a group has no CVE.
func idRank(id string) int {
	switch {
	case isCVE(id):
		return 0
	case strings.HasPrefix(id, "GHSA-"):
		return 1
	case strings.HasPrefix(id, "GO-"):
		return 2
	}
	return 3
}

func better(a, b string) bool {
	if ra, rb := idRank(a), idRank(b); ra != rb {
		return ra < rb
	}
	return a < b
}

// unionFind groups ids. A group holds at most one CVE: two different CVEs
// are two vulnerabilities even when some advisory names both, so a union
// that would put two CVEs together is refused.
type unionFind struct {
	parent map[string]string
	cve    map[string]string // root -> its CVE
}

func (u *unionFind) find(x string) string {
	p, ok := u.parent[x]
	if !ok {
		u.parent[x] = x
		if isCVE(x) {
			u.cve[x] = x
		}
		return x
	}
	if p == x {
		return x
	}
	r := u.find(p)
	u.parent[x] = r
	return r
}

func (u *unionFind) union(a, b string) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	ca, cb := u.cve[ra], u.cve[rb]
	if ca != "" && cb != "" && ca != cb {
		return
	}
	u.parent[rb] = ra
	if ca == "" && cb != "" {
		u.cve[ra] = cb
	}
	delete(u.cve, rb)
}

// join merges records from every source into vulnerabilities.
//
// Records naming two or more CVEs among their id and aliases (a DSA, an
// ALAS, some Go reports) stand alone under their own id: joining them
// would merge unrelated CVEs into one finding. Groups without any
// affected entry (enrichment for vulnerabilities no feed places in a
// package) are dropped, since matching can never reach them.
func join(recs []sourced) *joined {
	standalone := map[string]bool{}
	for _, s := range recs {
		v := &s.rec.Vulnerability
		cves := map[string]bool{}
		for _, id := range append([]string{v.ID}, v.Aliases...) {
			if isCVE(id) {
				cves[id] = true
			}
		}
		if len(cves) > 1 {
			standalone[v.ID] = true
		}
	}
	u := &unionFind{parent: map[string]string{}, cve: map[string]string{}}
	for _, s := range recs {
		v := &s.rec.Vulnerability
		if v.ID == "" {
			continue
		}
		u.find(v.ID)
		if standalone[v.ID] {
			continue
		}
		for _, a := range v.Aliases {
			if a != "" && a != v.ID && !standalone[a] {
				u.union(v.ID, a)
			}
		}
	}
	for _, s := range recs {
		for _, a := range s.rec.Affected {
			if a.VulnID != "" {
				u.find(a.VulnID)
			}
		}
	}

	members := map[string][]string{}
	pref := map[string]string{}
	for id := range u.parent {
		r := u.find(id)
		members[r] = append(members[r], id)
		if p, ok := pref[r]; !ok || better(id, p) {
			pref[r] = id
		}
	}

	j := &joined{
		vulns:    map[string]*model.Vulnerability{},
		aliases:  map[string]string{},
		affected: map[pkgKey][]model.Affected{},
	}
	byRoot := map[string][]*model.Vulnerability{}
	hasAffected := map[string]bool{}
	for i := range recs {
		s := &recs[i]
		v := &s.rec.Vulnerability
		if v.ID != "" {
			r := u.find(v.ID)
			byRoot[r] = append(byRoot[r], v)
		}
		for _, a := range s.rec.Affected {
			if a.VulnID == "" {
				a.VulnID = v.ID
			}
			r := u.find(a.VulnID)
			a.VulnID = pref[r]
			if a.Source == "" {
				a.Source = s.source
			}
			hasAffected[r] = true
			k := pkgKey{a.Namespace, keyName(a.Namespace, a.Package)}
			j.affected[k] = append(j.affected[k], a)
		}
	}
	for k, entries := range j.affected {
		slices.SortStableFunc(entries, func(a, b model.Affected) int {
			if c := strings.Compare(a.VulnID, b.VulnID); c != 0 {
				return c
			}
			return strings.Compare(a.Source, b.Source)
		})
		j.affected[k] = entries
	}
	for r := range hasAffected {
		id := pref[r]
		v := merge(id, byRoot[r])
		for _, m := range members[r] {
			if m != id {
				v.Aliases = append(v.Aliases, m)
				j.aliases[m] = id
			}
		}
		if standalone[id] {
			for _, rv := range byRoot[r] {
				v.Aliases = append(v.Aliases, rv.Aliases...)
			}
		}
		v.Aliases = dedupSorted(v.Aliases, id)
		j.vulns[id] = v
	}
	return j
}

// merge combines the partial records of one group. Text fields come from
// the record carrying the preferred id when it has them, else from the
// first record that does, so the result does not depend on map order.
func merge(id string, parts []*model.Vulnerability) *model.Vulnerability {
	out := &model.Vulnerability{ID: id}
	ordered := slices.Clone(parts)
	slices.SortStableFunc(ordered, func(a, b *model.Vulnerability) int {
		ai, bi := a.ID == id, b.ID == id
		switch {
		case ai && !bi:
			return -1
		case bi && !ai:
			return 1
		}
		return 0
	})
	for _, p := range ordered {
		if out.Summary == "" {
			out.Summary = p.Summary
		}
		if out.Details == "" {
			out.Details = p.Details
		}
		if !p.Published.IsZero() && (out.Published.IsZero() || p.Published.Before(out.Published)) {
			out.Published = p.Published
		}
		if p.Modified.After(out.Modified) {
			out.Modified = p.Modified
		}
		out.References = appendNew(out.References, p.References...)
		for _, s := range p.Severities {
			if !slices.Contains(out.Severities, s) {
				out.Severities = append(out.Severities, s)
			}
		}
		out.CWEs = appendNew(out.CWEs, p.CWEs...)
		if out.KEV == nil && p.KEV != nil {
			k := *p.KEV
			out.KEV = &k
		}
		if p.EPSS != nil && (out.EPSS == nil || p.EPSS.Date > out.EPSS.Date) {
			e := *p.EPSS
			out.EPSS = &e
		}
	}
	return out
}

func appendNew(dst []string, src ...string) []string {
	for _, s := range src {
		if s != "" && !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

func dedupSorted(ids []string, self string) []string {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return slices.DeleteFunc(ids, func(s string) bool { return s == "" || s == self })
}
