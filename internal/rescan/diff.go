package rescan

import (
	"slices"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// counted reports whether a finding counts: affected and not suppressed.
func counted(f *model.Finding) bool { return f.State == model.MatchAffected && f.Suppressed == nil }

func findingKey(f *model.Finding) string {
	return f.VulnID + "\x00" + f.Package.Name + "\x00" + f.Package.Version
}

// Events compares an image's counted findings before (store.Counted of
// the previous report; nil for a first report) with a new report: findings
// that count now and did not are new, the reverse resolved.
func Events(digest string, prev []store.FindingEvent, next *model.Report, at time.Time) []store.FindingEvent {
	old := map[string]store.FindingEvent{}
	for _, e := range prev {
		old[e.VulnID+"\x00"+e.Package+"\x00"+e.Version] = e
	}
	var out []store.FindingEvent
	cur := map[string]bool{}
	for i := range next.Findings {
		f := &next.Findings[i]
		if !counted(f) {
			continue
		}
		k := findingKey(f)
		if cur[k] {
			continue
		}
		cur[k] = true
		if _, ok := old[k]; !ok {
			out = append(out, event(digest, store.EventNew, f, at))
		}
	}
	for k, e := range old {
		if !cur[k] {
			e.Digest, e.Kind, e.At = digest, store.EventResolved, at.UTC()
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b store.FindingEvent) int {
		if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
			return c
		}
		if c := strings.Compare(a.VulnID, b.VulnID); c != 0 {
			return c
		}
		return strings.Compare(a.Package, b.Package)
	})
	return out
}

func event(digest string, kind store.EventKind, f *model.Finding, at time.Time) store.FindingEvent {
	return store.FindingEvent{Digest: digest, Kind: kind, VulnID: f.VulnID, Package: f.Package.Name,
		Version: f.Package.Version, Severity: f.Severity, At: at.UTC()}
}

// Keys maps a DB diff to the package keys whose holders must be
// re-matched.
func Keys(changes []vulndb.PackageChange) []store.PackageKey {
	out := make([]store.PackageKey, len(changes))
	for i, c := range changes {
		out[i] = store.PackageKey{Namespace: c.Namespace, Name: c.Package}
	}
	return out
}
