package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSortedFindings(t *testing.T) {
	f := func(id, pkg string, r Rating) Finding {
		return Finding{VulnID: id, Severity: r, Package: PackageRef{Name: pkg, Version: "1"}}
	}
	in := []Finding{
		f("CVE-2", "b", RatingHigh), f("CVE-9", "a", RatingLow), f("CVE-1", "b", RatingHigh),
		f("CVE-3", "a", RatingHigh), f("CVE-4", "z", RatingCritical), f("CVE-5", "a", RatingUnknown),
	}
	var got []string
	for _, x := range SortedFindings(in) {
		got = append(got, x.VulnID)
	}
	want := []string{"CVE-4", "CVE-3", "CVE-1", "CVE-2", "CVE-9", "CVE-5"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if in[0].VulnID != "CVE-2" {
		t.Error("SortedFindings changed its input")
	}
}

func TestCounted(t *testing.T) {
	open := Finding{VulnID: "CVE-1", Aliases: []string{"GHSA-x"}}
	other := Finding{VulnID: "CVE-2"}
	supp := Finding{VulnID: "CVE-1", Suppressed: &Suppression{Kind: "vex"}}
	r := &Report{}
	if !r.Counted(&open) || r.Counted(&supp) {
		t.Error("without a decision: unsuppressed counts, suppressed does not")
	}
	r.Decision = &Decision{Reasons: []RuleResult{
		{Rule: "a", Pass: true, VulnIDs: []string{"CVE-2"}},
		{Rule: "b", Pass: false, VulnIDs: []string{"GHSA-x"}},
	}}
	if !r.Counted(&open) || r.Counted(&other) || r.Counted(&supp) {
		t.Error("with a decision: only findings named by a failed rule count (by id or alias)")
	}
}

func TestAdvisoryURL(t *testing.T) {
	for id, want := range map[string]string{
		"CVE-2023-4911":       "https://nvd.nist.gov/vuln/detail/CVE-2023-4911",
		"GHSA-xvch-5gv4-984h": "https://github.com/advisories/GHSA-xvch-5gv4-984h",
		"GO-2023-2102":        "https://pkg.go.dev/vuln/GO-2023-2102",
		"DSA-5514-1":          "https://security-tracker.debian.org/tracker/DSA-5514-1",
		"whatever":            "",
	} {
		if got := AdvisoryURL(id); got != want {
			t.Errorf("AdvisoryURL(%q) = %q, want %q", id, got, want)
		}
	}
}
