package model

import (
	"cmp"
	"slices"
)

// CompareFindings is the one display order of findings, shared by every
// report format so that two runs over the same image diff cleanly: highest
// severity first, then package name, package version, vulnerability id,
// and the first location (a package can be installed twice).
func CompareFindings(a, b *Finding) int {
	if c := cmp.Compare(RatingRank(b.Severity), RatingRank(a.Severity)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Package.Name, b.Package.Name); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Package.Version, b.Package.Version); c != 0 {
		return c
	}
	if c := cmp.Compare(a.VulnID, b.VulnID); c != 0 {
		return c
	}
	return cmp.Compare(firstOf(a.Package.Locations), firstOf(b.Package.Locations))
}

// SortedFindings returns a copy of fs in CompareFindings order.
func SortedFindings(fs []Finding) []Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b Finding) int { return CompareFindings(&a, &b) })
	return out
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// Fixable reports whether a fixed version is known for the finding.
func (f *Finding) Fixable() bool { return len(f.FixedVersions) > 0 }

// Counted reports whether f counts against the report's policy: it is not
// suppressed and, when a Decision is present, a failed rule names it (by
// id or alias). Without a Decision every unsuppressed finding counts.
func (r *Report) Counted(f *Finding) bool {
	if f.Suppressed != nil {
		return false
	}
	if r.Decision == nil {
		return true
	}
	for _, rr := range r.Decision.Reasons {
		if rr.Pass {
			continue
		}
		for _, id := range rr.VulnIDs {
			if id == f.VulnID || slices.Contains(f.Aliases, id) {
				return true
			}
		}
	}
	return false
}
