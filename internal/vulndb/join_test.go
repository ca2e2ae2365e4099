package vulndb

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
)

func rec(src, id string, aliases ...string) sourced {
	return sourced{source: src, rec: feed.Record{
		Vulnerability: model.Vulnerability{ID: id, Aliases: aliases},
		Affected:      []model.Affected{{Namespace: "npm", Package: "pkg-" + id, Status: model.StatusAffected}},
	}}
}

func TestJoin(t *testing.T) {
	for _, tc := range []struct {
		name string
		recs []sourced
		// want maps each record's id to the id its entries are reported under.
		want map[string]string
	}{
		{
			name: "chain GO -> GHSA -> CVE",
			recs: []sourced{rec("go", "GO-2024-0001", "GHSA-aaaa-aaaa-aaaa"), rec("ghsa", "GHSA-aaaa-aaaa-aaaa", "CVE-2024-0001")},
			want: map[string]string{"GO-2024-0001": "CVE-2024-0001", "GHSA-aaaa-aaaa-aaaa": "CVE-2024-0001"},
		},
		{
			name: "no CVE: GHSA preferred over GO",
			recs: []sourced{rec("go", "GO-2024-0002", "GHSA-bbbb-bbbb-bbbb")},
			want: map[string]string{"GO-2024-0002": "GHSA-bbbb-bbbb-bbbb"},
		},
		{
			name: "a link that would merge two CVEs is refused",
			recs: []sourced{
				rec("ghsa", "GHSA-cccc-cccc-cccc", "CVE-2024-0003"),
				rec("ghsa", "GHSA-dddd-dddd-dddd", "CVE-2024-0004", "GHSA-cccc-cccc-cccc"),
			},
			want: map[string]string{"GHSA-cccc-cccc-cccc": "CVE-2024-0003", "GHSA-dddd-dddd-dddd": "CVE-2024-0004"},
		},
		{
			name: "an advisory naming two CVEs stands alone",
			recs: []sourced{
				rec("debian", "DSA-5000-1", "CVE-2024-0005", "CVE-2024-0006"),
				rec("debian", "CVE-2024-0005"),
			},
			want: map[string]string{"DSA-5000-1": "DSA-5000-1", "CVE-2024-0005": "CVE-2024-0005"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := join(tc.recs)
			got := map[string]string{}
			for _, entries := range j.affected {
				for _, a := range entries {
					got[a.Package[len("pkg-"):]] = a.VulnID
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("reported ids (-want +got):\n%s", diff)
			}
			for id, pref := range tc.want {
				if id != pref && j.aliases[id] != pref {
					t.Errorf("alias %s -> %q, want %s", id, j.aliases[id], pref)
				}
				if j.vulns[pref] == nil {
					t.Errorf("no vulnerability stored under %s", pref)
				}
			}
		})
	}
}

func TestMergeSeverityAndDates(t *testing.T) {
	a := &model.Vulnerability{ID: "GHSA-x", Summary: "from ghsa", Published: day("2024-02-01"), Modified: day("2024-03-01"),
		Severities: []model.Severity{{Source: "ghsa", Type: "CVSS_V3", Score: 7.5}}, References: []string{"https://a"}}
	b := &model.Vulnerability{ID: "CVE-1", Published: day("2024-01-15"), Modified: day("2024-02-01"),
		Severities: []model.Severity{{Source: "nvd", Type: "CVSS_V3", Score: 9.8}, {Source: "ghsa", Type: "CVSS_V3", Score: 7.5}},
		References: []string{"https://a", "https://b"}, EPSS: &model.EPSS{Score: 0.1, Date: "2024-01-01"}}
	c := &model.Vulnerability{ID: "CVE-1", EPSS: &model.EPSS{Score: 0.3, Date: "2024-06-01"}}
	got := merge("CVE-1", []*model.Vulnerability{a, b, c})
	want := &model.Vulnerability{ID: "CVE-1", Summary: "from ghsa", Published: day("2024-01-15"), Modified: day("2024-03-01"),
		References: []string{"https://a", "https://b"},
		Severities: []model.Severity{{Source: "nvd", Type: "CVSS_V3", Score: 9.8}, {Source: "ghsa", Type: "CVSS_V3", Score: 7.5}},
		EPSS:       &model.EPSS{Score: 0.3, Date: "2024-06-01"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
}
