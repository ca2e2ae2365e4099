//go:build integration

package rpm_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
	"github.com/bulwark-security/bulwark/internal/version/rpm"
)

// labelCompare reads tab-separated EVR pairs and prints rpm's order for
// each, in one process.
const labelCompare = `
import sys, rpm
def evr(s):
    e = "0"
    if ":" in s:
        e, s = s.split(":", 1)
    v, r = s, None
    if "-" in s:
        v, r = s.rsplit("-", 1)
    return (e, v, r)
for line in sys.stdin:
    a, b = line.rstrip("\n").split("\t")
    print(rpm.labelCompare(evr(a), evr(b)))
`

// TestAgainstRPM compares thousands of real EVR pairs from Red Hat and
// Amazon Linux advisories with rpm's own labelCompare (python3-rpm).
func TestAgainstRPM(t *testing.T) {
	reftest.Require(t, reftest.CheckCommand("/usr/bin/python3", "-c", "import rpm"), "python3-rpm")
	shared := reftest.SharedDir(t)
	var versions []string
	reftest.JSONL(t, filepath.Join(shared, "redhat", "securitydata-cve-core.jsonl"), func(rec any) {
		reftest.Walk(rec, func(obj map[string]any) {
			if p, ok := obj["package"].(string); ok {
				if evr, ok := nevraEVR(p); ok {
					versions = append(versions, evr)
				}
			}
		})
	})
	reftest.JSONL(t, filepath.Join(shared, "amazon", "alas2023-core.jsonl"), func(rec any) {
		reftest.Walk(rec, func(obj map[string]any) {
			v, _ := obj["Version"].(string)
			r, _ := obj["Release"].(string)
			e, _ := obj["Epoch"].(string)
			if v != "" && r != "" && e != "" {
				versions = append(versions, e+":"+v+"-"+r)
			}
		})
	})
	if len(versions) < 1000 {
		t.Fatalf("only %d versions found in the test data", len(versions))
	}
	// rpm's own edge cases, which real advisories rarely show.
	versions = append(versions, "1.0~rc1-1", "1.0-1", "1.0^git1-1", "1.0^-1", "1.0~-1", "1.0a-1", "1.0.a-1", "1.0_1-1", "1.01-1", "1.001-1")
	c := rpm.Comparator{}
	for _, v := range reftest.Unique(versions) {
		if _, err := rpm.Parse(v); err != nil {
			t.Errorf("real version rejected: %v", err)
		}
	}
	pairs := reftest.Pairs(versions, c.Compare, 5000)
	var in strings.Builder
	for _, p := range pairs {
		in.WriteString(p[0] + "\t" + p[1] + "\n")
	}
	want := reftest.Run(t, in.String(), "/usr/bin/python3", "-c", labelCompare)
	reftest.Agree(t, pairs, c.Compare, want)
}

// nevraEVR takes "name-[epoch:]version-release" and returns the EVR.
func nevraEVR(nevra string) (string, bool) {
	r := strings.LastIndexByte(nevra, '-')
	if r < 0 {
		return "", false
	}
	v := strings.LastIndexByte(nevra[:r], '-')
	if v < 0 {
		return "", false
	}
	evr := nevra[v+1:]
	// Container images and modules share the field ("tools:rhel8-..."); an
	// RPM NEVRA always carries a numeric epoch there.
	e, _, ok := strings.Cut(evr, ":")
	if !ok || e == "" || strings.Trim(e, "0123456789") != "" {
		return "", false
	}
	return evr, true
}
