package golang_test

import (
	"testing"

	modsemver "golang.org/x/mod/semver"

	"github.com/bulwark-security/bulwark/internal/version/golang"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

func TestCompare(t *testing.T) {
	chain := []string{
		"v0.0.0-20191109021931-daa7c04131f5", // pseudo-versions sort by time
		"v0.0.0-20210101000000-abcdef123456",
		"0.1.0",
		"v1.0.0-rc.1",
		"v1.0.0",
		"1.2.3",
		"v1.2.4-0.20230101000000-abcdef123456", // pseudo-version after v1.2.3
		"v1.2.4",
		"v2.0.0+incompatible",
		"v2.1.0",
	}
	c := golang.Comparator{}
	for i := 0; i+1 < len(chain); i++ {
		if got, err := c.Compare(chain[i], chain[i+1]); err != nil || got != -1 {
			t.Errorf("Compare(%q, %q) = %d, %v; want -1", chain[i], chain[i+1], got, err)
		}
	}
	toolchain := []string{"go1.20rc1", "go1.20", "go1.20.14", "go1.21rc2", "1.21.0-rc.3", "go1.21.0", "go1.21.5", "v1.22beta1", "1.22.0"}
	for i := 0; i+1 < len(toolchain); i++ {
		if got, err := c.Compare(toolchain[i], toolchain[i+1]); err != nil || got != -1 {
			t.Errorf("Compare(%q, %q) = %d, %v; want -1", toolchain[i], toolchain[i+1], got, err)
		}
	}
	for _, p := range [][2]string{{"go1.21rc2", "1.21.0-rc.2"}, {"go1.20", "1.20.0"}, {"v2.0.0+incompatible", "2.0.0"},
		{"v1", "v1.0.0"}, {"v1.2", "1.2.0"}, {"go1.9.2", "v1.9.2"}} {
		if got, err := c.Compare(p[0], p[1]); err != nil || got != 0 {
			t.Errorf("Compare(%q, %q) = %d, %v; want 0", p[0], p[1], got, err)
		}
	}
	for _, bad := range []string{"", "go", "golatest", "v1.2.3.4", "1.02.3", "go1.21rc", "go1.21-rc.1", "devel", "vv1.0.0"} {
		if _, err := golang.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded; want an error", bad)
		}
	}
}

// TestAgainstModSemver checks module versions against the Go project's
// own golang.org/x/mod/semver, which the go command uses.
func TestAgainstModSemver(t *testing.T) {
	versions := reftest.Lines(t, "testdata/versions.txt")
	c := golang.Comparator{}
	n := 0
	for _, a := range versions {
		for _, b := range versions {
			if !modsemver.IsValid("v"+a) || !modsemver.IsValid("v"+b) {
				continue
			}
			got, err := c.Compare(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if want := modsemver.Compare("v"+a, "v"+b); got != want {
				t.Errorf("Compare(%q, %q) = %d; x/mod/semver says %d", a, b, got, want)
			}
			n++
		}
	}
	if n < 10000 {
		t.Fatalf("only %d pairs compared", n)
	}
}

func TestOrderOfRealVersions(t *testing.T) {
	c := golang.Comparator{}
	// GitHub advisories copy these from upstream tags; they are not Go
	// module versions and x/mod/semver rejects them too.
	invalid := []string{"0.4.4.3", "18.09.8", "19.03.9", "2.0.0.beta.9"}
	for _, v := range invalid {
		if modsemver.IsValid("v" + v) {
			t.Errorf("x/mod/semver accepts %q", v)
		}
	}
	reftest.CheckOrder(t, reftest.SplitValid(t, reftest.Lines(t, "testdata/versions.txt"), c.Compare, invalid), c.Compare)
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, golang.Comparator{}.Compare, []string{"v1.0.0", "go1.21rc2", "0.0.0-20210101000000-abcdef123456", "v2.0.0+incompatible"})
}

func BenchmarkCompare(b *testing.B) {
	c := golang.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("v0.0.0-20191109021931-daa7c04131f5", "v0.17.0"); err != nil {
			b.Fatal(err)
		}
	}
}
