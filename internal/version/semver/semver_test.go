package semver_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
	"github.com/bulwark-security/bulwark/internal/version/semver"
)

func TestCompare(t *testing.T) {
	// The precedence example of SemVer 2.0.0, rule 11, plus numbers.
	chain := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0", "2.0.0-0", "2.0.0",
		"18446744073709551615.0.0"}
	c := semver.Comparator{}
	for i := 0; i+1 < len(chain); i++ {
		if got, err := c.Compare(chain[i], chain[i+1]); err != nil || got != -1 {
			t.Errorf("Compare(%q, %q) = %d, %v; want -1", chain[i], chain[i+1], got, err)
		}
	}
	for _, p := range [][2]string{{"1.0.0+a", "1.0.0+b"}, {"v1.2.3", "1.2.3"}, {" 1.2.3 ", "V1.2.3"}, {"1.0.0-x.7.z.92", "1.0.0-x.7.z.92+meta"}} {
		if got, err := c.Compare(p[0], p[1]); err != nil || got != 0 {
			t.Errorf("Compare(%q, %q) = %d, %v; want 0", p[0], p[1], got, err)
		}
	}
}

func TestParse(t *testing.T) {
	got, err := semver.Parse("v1.2.3-rc.1+build.5")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(semver.Version{Major: 1, Minor: 2, Patch: 3, Pre: "rc.1", Build: "build.5"}, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	for _, v := range []string{"", "1.2", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "1.2.3-a..b", "1.2.3.4", "vv1.2.3",
		"1.2.3-a_b", "18446744073709551616.0.0", "99999999999999999999.0.0", "1.2.3 ", "x.y.z"} {
		if _, err := semver.ParseStrict(v); err == nil {
			t.Errorf("ParseStrict(%q) succeeded; want an error", v)
		}
	}
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, semver.Comparator{}.Compare, []string{"1.0.0", "v1.2.3-rc.1+b", "1.0.0-alpha.beta", "0.0.0-0"})
}

func BenchmarkCompare(b *testing.B) {
	c := semver.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("1.2.3-beta.11", "1.2.3-beta.2"); err != nil {
			b.Fatal(err)
		}
	}
}
