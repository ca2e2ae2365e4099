package match

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
)

// Explanation says, for one vulnerability, why each package of an
// inventory is or is not affected.
type Explanation struct {
	// Query is the id asked about; VulnID the preferred id of the
	// database's record (Query when the database does not know it).
	Query   string   `json:"query"`
	VulnID  string   `json:"vulnID"`
	Aliases []string `json:"aliases,omitempty"`
	Summary string   `json:"summary,omitempty"`
	// Known is set when the database has a record for the vulnerability.
	Known bool `json:"known"`
	// Packages has one entry per package and record naming the
	// vulnerability (HasRecord set), then one per other package saying
	// that no record names it.
	Packages []PackageVerdict `json:"packages"`
	// Namespaces summarise each namespace the inventory's packages were
	// looked up in.
	Namespaces []NamespaceVerdict `json:"namespaces,omitempty"`
	// Unknowns are packages that could not be decided (no data for their
	// ecosystem or release, or a version that does not parse).
	Unknowns []model.Unknown `json:"unknowns,omitempty"`
}

// Affected reports whether any package is affected.
func (x *Explanation) Affected() bool {
	for i := range x.Packages {
		if x.Packages[i].State == model.MatchAffected {
			return true
		}
	}
	return false
}

// PackageVerdict is the decision for one package, with its evidence.
type PackageVerdict struct {
	Package model.PackageRef `json:"package"`
	// HasRecord is set when a record in Namespace names the vulnerability
	// for this package.
	HasRecord bool   `json:"hasRecord"`
	Namespace string `json:"namespace,omitempty"`
	// LookupName is the source package (OS) or normalized name looked up.
	LookupName string `json:"lookupName"`
	// Installed is the version compared: the source version for Debian.
	Installed        string             `json:"installed"`
	State            model.MatchState   `json:"state"`
	VendorStatus     model.VendorStatus `json:"vendorStatus,omitempty"`
	Urgency          string             `json:"urgency,omitempty"`
	FixedVersions    []string           `json:"fixedVersions,omitempty"`
	DataSource       string             `json:"dataSource,omitempty"`
	RecordID         string             `json:"recordID,omitempty"`
	AdvisoryIDs      []string           `json:"advisoryIDs,omitempty"`
	Reachability     model.Reachability `json:"reachability,omitempty"`
	ReachableSymbols []string           `json:"reachableSymbols,omitempty"`
	Reason           string             `json:"reason"`
}

// NamespaceVerdict summarises one namespace.
type NamespaceVerdict struct {
	Namespace string `json:"namespace"`
	Packages  int    `json:"packages"`
	// WithRecord counts packages a record for the vulnerability names.
	WithRecord int    `json:"withRecord"`
	Reason     string `json:"reason"`
}

// Explain decides one vulnerability (by any of its ids) for every package
// of inv and says why, including "no record" and not-affected statements.
// Suppressions (VEX, ignore rules, reachability) are not applied.
func Explain(ctx context.Context, reader store.AdvisoryReader, inv *model.Inventory, vulnID string) (*Explanation, error) {
	if inv == nil {
		return nil, fmt.Errorf("explain: nil inventory")
	}
	e := New(reader, Options{ShowUnreachable: true})
	e.explain = true
	rec, err := reader.Vulnerability(ctx, vulnID)
	if err != nil {
		return nil, fmt.Errorf("reading vulnerability %s: %w", vulnID, err)
	}
	x := &Explanation{Query: vulnID, VulnID: vulnID}
	ids := explainIDs(vulnID, rec)
	if rec != nil {
		x.Known, x.Summary = true, rec.Summary
		x.VulnID = preferredID(ids)
		for _, id := range slices.Sorted(maps.Keys(ids)) {
			if id != x.VulnID {
				x.Aliases = append(x.Aliases, id)
			}
		}
	}
	subjects, unknowns, err := e.plan(ctx, inv)
	if err != nil {
		return nil, err
	}
	x.Unknowns = unknowns
	if err := e.fetch(ctx, subjects); err != nil {
		return nil, err
	}
	rc := newReachContext(inv)
	type nsCount struct{ all, with int }
	counts := map[string]*nsCount{}
	var without []PackageVerdict
	for _, s := range subjects {
		c := counts[s.ns]
		if c == nil {
			c = &nsCount{}
			counts[s.ns] = c
		}
		c.all++
		named := false
		for _, a := range s.entries {
			named = named || ids[a.VulnID]
		}
		if s.unknown != nil && named {
			x.Unknowns = append(x.Unknowns, *s.unknown)
		}
		for _, v := range s.verdicts {
			if !ids[v.entry.VulnID] {
				continue
			}
			x.Packages = append(x.Packages, e.packageVerdict(s, v, rc))
		}
		if named {
			c.with++
			continue
		}
		without = append(without, PackageVerdict{
			Package: model.RefOf(s.pkg), Namespace: s.ns, LookupName: s.name, Installed: s.version,
			State: model.MatchNotAffected,
			Reason: fmt.Sprintf("not affected: no record for %s names %s %s in %s, so it is not affected per %s data",
				x.VulnID, lookupWhat(s), s.name, s.ns, dataWord(s)),
		})
	}
	x.Packages = append(x.Packages, without...)
	for _, ns := range slices.Sorted(maps.Keys(counts)) {
		c := counts[ns]
		x.Namespaces = append(x.Namespaces, NamespaceVerdict{
			Namespace: ns, Packages: c.all, WithRecord: c.with,
			Reason: fmt.Sprintf("%d of %d package(s) in %s have a record for %s; the other %d are not affected per the data for %s",
				c.with, c.all, ns, x.VulnID, c.all-c.with, ns),
		})
	}
	return x, nil
}

// explainIDs is the query and the ids its record joins, except that a
// record naming several CVEs (a DSA, an RHSA) does not make those CVEs
// one vulnerability.
func explainIDs(query string, rec *model.Vulnerability) map[string]bool {
	ids := map[string]bool{query: true}
	if rec == nil {
		return ids
	}
	all := append([]string{rec.ID}, rec.Aliases...)
	cves := 0
	for _, id := range all {
		if strings.HasPrefix(id, "CVE-") {
			cves++
		}
	}
	for _, id := range all {
		if strings.HasPrefix(id, "CVE-") && id != query && (strings.HasPrefix(query, "CVE-") || cves > 1) {
			continue
		}
		ids[id] = true
	}
	return ids
}

func lookupWhat(s *subject) string {
	if s.pkg.Ecosystem.IsOS() {
		return "source package"
	}
	return "package"
}

func dataWord(s *subject) string {
	if s.pkg.Ecosystem.IsOS() {
		return "vendor"
	}
	return s.ns + " advisory"
}

func (e *Engine) packageVerdict(s *subject, v verdict, rc *reachContext) PackageVerdict {
	a := v.entry
	pv := PackageVerdict{
		Package: model.RefOf(s.pkg), HasRecord: true, Namespace: a.Namespace, LookupName: s.name,
		Installed: s.version, State: v.state, VendorStatus: a.Status, Urgency: a.Urgency,
		FixedVersions: a.FixedVersions(), DataSource: a.Source, RecordID: a.VulnID, AdvisoryIDs: a.AdvisoryIDs,
	}
	word := map[model.MatchState]string{
		model.MatchAffected: "affected", model.MatchNotAffected: "not affected", model.MatchUnknown: "unknown",
	}[v.state]
	pv.Reason = word + ": " + v.why + " (" + evidence(s, a) + ")"
	if s.pkg.Ecosystem == model.EcosystemGo && v.state == model.MatchAffected {
		r := rc.reach(s.pkg, &group{verdicts: []verdict{v}})
		pv.Reachability, pv.ReachableSymbols = r.state, r.symbols
		pv.Reason += "; " + r.why
	}
	if s.pkg.Layer != nil {
		pv.Reason += fmt.Sprintf("; added in layer %d %s", s.pkg.Layer.Index, s.pkg.Layer.DiffID)
		if s.pkg.Layer.CreatedBy != "" {
			pv.Reason += " (" + s.pkg.Layer.CreatedBy + ")"
		}
	}
	return pv
}
