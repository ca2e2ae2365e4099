//go:build integration

package accuracy

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/match"
	"github.com/bulwark-security/bulwark/internal/model"
)

// nvdView is what NVD says about a CVE: its primary CVSS v3.1 rating and
// whether any CPE configuration marks something vulnerable.
type nvdView struct {
	severity, vector string
	vulnerable       bool
}

func readNVD(t *testing.T, data, id string) nvdView {
	t.Helper()
	year := strings.Split(id, "-")[1]
	files, _ := filepath.Glob(filepath.Join(data, "nvd-fkie-samples", "CVE-"+year, "*", id+".json"))
	if len(files) != 1 {
		t.Fatalf("NVD sample for %s: found %v", id, files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Metrics struct {
			V31 []struct {
				Source   string `json:"source"`
				Type     string `json:"type"`
				CVSSData struct {
					BaseSeverity string `json:"baseSeverity"`
					Vector       string `json:"vectorString"`
				} `json:"cvssData"`
			} `json:"cvssMetricV31"`
		} `json:"metrics"`
		Configurations []struct {
			Nodes []struct {
				CPEMatch []struct {
					Vulnerable bool `json:"vulnerable"`
				} `json:"cpeMatch"`
			} `json:"nodes"`
		} `json:"configurations"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("%s: %v", files[0], err)
	}
	var v nvdView
	for _, m := range rec.Metrics.V31 {
		if m.Type == "Primary" {
			v.severity, v.vector = m.CVSSData.BaseSeverity, m.CVSSData.Vector
		}
	}
	for _, c := range rec.Configurations {
		for _, n := range c.Nodes {
			for _, m := range n.CPEMatch {
				v.vulnerable = v.vulnerable || m.Vulnerable
			}
		}
	}
	return v
}

// debFindings are the reported findings of deb packages built from
// source src that answer to id.
func debFindings(r *model.Report, id, src string) []model.Finding {
	var out []model.Finding
	for i := range r.Findings {
		f := &r.Findings[i]
		name := f.Package.SourceName
		if name == "" {
			name = f.Package.Name
		}
		if f.Package.Ecosystem == model.EcosystemDeb && name == src && f.State != model.MatchNotAffected && ids(f)[id] {
			out = append(out, *f)
		}
	}
	return out
}

// debBinaries lists the installed binary packages of a source package.
func debBinaries(inv *model.Inventory, src string) []string {
	var out []string
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if p.Ecosystem == model.EcosystemDeb && p.SourceOrName() == src {
			out = append(out, p.Name)
		}
	}
	return out
}

// TestNVDFalsePositives: CVEs NVD rates and marks vulnerable, while the
// Debian security tracker says the bookworm package is not affected,
// ignored, or unimportant, are reported the vendor's way for the image's
// Debian packages.
func TestNVDFalsePositives(t *testing.T) {
	fx := setup(t)
	tracker := readTrackerSamples(t, filepath.Join(fx.data, "debian", "tracker-api-bookworm-samples"))
	for _, c := range []struct {
		id, src string
		// the vendor's statement the case rests on
		status, fixed, urgency string
	}{
		{"CVE-2024-6197", "curl", "resolved", "0", "unimportant"},
		{"CVE-2023-45853", "zlib", "open", "", "not yet assigned"},
		{"CVE-2011-3374", "apt", "open", "", "unimportant"},
	} {
		t.Run(c.id, func(t *testing.T) {
			nvd := readNVD(t, fx.data, c.id)
			if !nvd.vulnerable || nvd.severity == "" {
				t.Fatalf("NVD sample: %+v; the case needs NVD to rate it and mark a CPE vulnerable", nvd)
			}
			st, ok := tracker[c.id][c.src]
			if !ok || st.status != c.status || st.fixed != c.fixed || st.urgency != c.urgency {
				t.Fatalf("tracker says %+v (present %v) for %s; the case expects status %q, fixed %q, urgency %q",
					st, ok, c.src, c.status, c.fixed, c.urgency)
			}
			bins := debBinaries(fx.inv, c.src)
			if len(bins) == 0 {
				t.Fatalf("no installed package of source %s in the image", c.src)
			}
			got := debFindings(fx.report, c.id, c.src)
			switch c.id {
			case "CVE-2024-6197":
				// Debian: not affected (fixed_version "0"); NVD: HIGH for libcurl 8.6.0–8.9.0.
				for _, f := range got {
					t.Errorf("%s reported for %s (%s, %s); Debian says bookworm's curl is not affected", c.id, f.Package.Name, f.Severity, f.Reason)
				}
			case "CVE-2023-45853":
				// Debian: ignored, "contrib/minizip not built and src:zlib not producing binary
				// packages", no urgency; NVD: 9.8 CRITICAL for zlib through 1.3.
				for _, f := range got {
					if f.VendorStatus != model.StatusWillNotFix {
						t.Errorf("%s %s: vendor status %q, want will-not-fix (Debian: ignored)", c.id, f.Package.Name, f.VendorStatus)
					}
					if !strings.Contains(f.Reason, "contrib/minizip not built") {
						t.Errorf("%s %s: reason %q lacks Debian's note", c.id, f.Package.Name, f.Reason)
					}
					// Debian gave no urgency, so the severity is NVD's fallback rating, and
					// it must say so: it is not the vendor's view. With no fix it never counts
					// towards a fixable-only gate (--ignore-unfixed).
					if f.SeveritySource != "nvd" {
						t.Errorf("%s %s: severity %s credited to %q; Debian rated nothing, so the rating must be credited to nvd",
							c.id, f.Package.Name, f.Severity, f.SeveritySource)
					}
					if len(f.FixedVersions) != 0 {
						t.Errorf("%s %s: fixed versions %v; Debian will not fix it in bookworm", c.id, f.Package.Name, f.FixedVersions)
					}
				}
			case "CVE-2011-3374":
				// Debian: open, unimportant; NVD: LOW, all versions of apt.
				if len(got) != len(bins) {
					t.Errorf("%s: %d findings for %d packages of %s %v; Debian lists it open", c.id, len(got), len(bins), c.src, bins)
				}
				for _, f := range got {
					if f.Severity != model.RatingNegligible || f.SeveritySource != "debian" || f.Urgency != "unimportant" {
						t.Errorf("%s %s: severity %s from %q, urgency %q; want NEGLIGIBLE from debian, urgency unimportant (NVD says %s)",
							c.id, f.Package.Name, f.Severity, f.SeveritySource, f.Urgency, nvd.severity)
					}
				}
			}
			for _, f := range got {
				t.Logf("%s %s: %s %s from %s: %s", c.id, f.Package.Name, f.State, f.Severity, f.SeveritySource, f.Reason)
			}
		})
	}

	// No Debian package is ever matched against anything but Debian's data.
	for i := range fx.report.Findings {
		f := &fx.report.Findings[i]
		if f.Package.Ecosystem == model.EcosystemDeb && (f.DataSource != "debian" || f.Namespace != "debian:12") {
			t.Errorf("%s %s matched from %s in %s; Debian packages match only debian:12 data", f.VulnID, f.Package.Name, f.DataSource, f.Namespace)
		}
	}
}

// TestExplainNotAffected: `bulwark explain CVE-2024-6197` on the image
// says not affected, for every curl package, with the vendor's statement.
func TestExplainNotAffected(t *testing.T) {
	fx := setup(t)
	x, err := match.Explain(context.Background(), fx.db, fx.inv, "CVE-2024-6197")
	if err != nil {
		t.Fatal(err)
	}
	if x.Affected() || !x.Known {
		t.Errorf("explain CVE-2024-6197: affected %v, known %v; want a known record that affects nothing", x.Affected(), x.Known)
	}
	want := map[string]bool{}
	for _, b := range debBinaries(fx.inv, "curl") {
		want[b] = true
	}
	for _, v := range x.Packages {
		if !want[v.Package.Name] {
			continue
		}
		delete(want, v.Package.Name)
		if !v.HasRecord || v.State != model.MatchNotAffected || v.VendorStatus != model.StatusNotAffected ||
			v.DataSource != "debian" || v.Urgency != "unimportant" || !strings.Contains(v.Reason, "vendor says not affected") {
			t.Errorf("explain CVE-2024-6197 for %s: %+v; want the Debian record, state and vendor status not-affected, urgency unimportant, and the vendor's statement in the reason", v.Package.Name, v)
		}
		t.Logf("%s: %s", v.Package.Name, v.Reason)
	}
	for b := range want {
		t.Errorf("explain CVE-2024-6197 says nothing about %s", b)
	}
}

// TestDebianSeverityProvenance: a Debian finding whose severity is
// credited to Debian carries a Debian urgency. The security tracker
// publishes urgencies, never CVSS scores; the CVSS vectors in osv.dev's
// Debian records are NVD's (for the NVD samples here they are NVD's
// primary vectors, character for character), so a rating computed from
// them is NVD's and must not be shown as the vendor's.
func TestDebianSeverityProvenance(t *testing.T) {
	fx := setup(t)
	debianWords := map[string]bool{"unimportant": true, "low": true, "medium": true, "high": true}
	bad := 0
	for i := range fx.report.Findings {
		f := &fx.report.Findings[i]
		if f.Package.Ecosystem != model.EcosystemDeb || f.SeveritySource != "debian" {
			continue
		}
		if !debianWords[strings.TrimRight(f.Urgency, "*")] {
			bad++
			t.Errorf("%s %s: severity %s credited to debian, but Debian's urgency is %q; the rating comes from the CVSS vector %s (%.1f) of osv.dev's record",
				f.VulnID, f.Package.Name, f.Severity, f.Urgency, f.CVSSVector, f.CVSSScore)
		}
	}
	t.Logf("%d Debian findings rated by a CVSS vector Debian did not publish", bad)

	// The provenance claim itself, for the samples at hand.
	for _, id := range []string{"CVE-2023-45853", "CVE-2011-3374"} {
		osvVector := ""
		readJSONL(t, filepath.Join(fx.data, "debian", "osv-debian12-cve.jsonl"), func(r *rawRecord) {
			for _, s := range r.Severity {
				if r.ID == id && s.Type == "CVSS_V3" {
					osvVector = s.Score
				}
			}
		})
		if nvd := readNVD(t, fx.data, id); osvVector == "" || osvVector != nvd.vector {
			t.Errorf("%s: osv.dev Debian vector %q, NVD primary vector %q; the test's premise no longer holds", id, osvVector, nvd.vector)
		}
	}
}
