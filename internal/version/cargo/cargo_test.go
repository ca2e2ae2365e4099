package cargo_test

import (
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/cargo"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

func TestCompare(t *testing.T) {
	chain := []string{"0.1.0-alpha", "0.1.0-alpha.1", "0.1.0-beta.2", "0.1.0-beta.11", "0.1.0", "0.1.0+build.1",
		"0.1.0+build.2", "0.1.0+build.10", "0.1.1", "1.0.0"}
	c := cargo.Comparator{}
	for i := 0; i+1 < len(chain); i++ {
		if got, err := c.Compare(chain[i], chain[i+1]); err != nil || got != -1 {
			t.Errorf("Compare(%q, %q) = %d, %v; want -1", chain[i], chain[i+1], got, err)
		}
	}
	for _, p := range [][2]string{{"0.36", "0.36.0"}, {"1", "1.0.0"}} {
		if got, err := c.Compare(p[0], p[1]); err != nil || got != 0 {
			t.Errorf("Compare(%q, %q) = %d, %v; want 0", p[0], p[1], got, err)
		}
	}
	for _, bad := range []string{"", "v1.0.0", "1.", "1.0.0.0", "1.0-beta", "01.2", "01.0.0", "1.0.0-", "=1.0.0"} {
		if _, err := cargo.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded; want an error", bad)
		}
	}
}

func TestOrderOfRealVersions(t *testing.T) {
	reftest.CheckOrder(t, reftest.Lines(t, "testdata/versions.txt"), cargo.Comparator{}.Compare)
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, cargo.Comparator{}.Compare, []string{"1.0.0", "0.1.0-alpha.1", "1.0.0+build.5"})
}

func BenchmarkCompare(b *testing.B) {
	c := cargo.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("0.10.55", "0.10.60"); err != nil {
			b.Fatal(err)
		}
	}
}
