package gem_test

import (
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/gem"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

func TestCompare(t *testing.T) {
	// Cases from RubyGems' test_gem_version.rb.
	chain := []string{"0.9", "1.0.a", "1.0.a2", "1.0.a10", "1.0.b1", "1.0.pre", "1.0.rc1", "1.0", "1.0.1", "1.1.a", "1.1",
		"1.8.2.a", "1.8.2", "9.8.7", "10.0"}
	c := gem.Comparator{}
	for i := 0; i+1 < len(chain); i++ {
		if got, err := c.Compare(chain[i], chain[i+1]); err != nil || got != -1 {
			t.Errorf("Compare(%q, %q) = %d, %v; want -1", chain[i], chain[i+1], got, err)
		}
	}
	for _, p := range [][2]string{{"1.0", "1"}, {"1.0.0", "1.0"}, {"1.0-beta", "1.0.pre.beta"}, {"1.0.b1", "1.0.b.1"},
		{"1.0.a.0", "1.0.a"}, {"01.02", "1.2"}, {" 1.0 ", "1.0"}} {
		if got, err := c.Compare(p[0], p[1]); err != nil || got != 0 {
			t.Errorf("Compare(%q, %q) = %d, %v; want 0", p[0], p[1], got, err)
		}
	}
}

func TestParse(t *testing.T) {
	for _, v := range []string{"1.0.a", "1.0-beta.2"} {
		p, err := gem.Parse(v)
		if err != nil || !p.Prerelease() {
			t.Errorf("Parse(%q) = %v, %v; want a prerelease", v, p, err)
		}
	}
	for _, v := range []string{"", "junk", "1..2", "1.0-", "1a", ".1", "1.0.", "1.0 2", "1_0"} {
		if _, err := gem.Parse(v); err == nil {
			t.Errorf("Parse(%q) succeeded; want an error", v)
		}
	}
}

func TestOrderOfRealVersions(t *testing.T) {
	reftest.CheckOrder(t, reftest.Lines(t, "testdata/versions.txt"), gem.Comparator{}.Compare)
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, gem.Comparator{}.Compare, []string{"1.0", "1.0.a1", "1.0-beta-2", "0.0.0.0.1"})
}

func BenchmarkCompare(b *testing.B) {
	c := gem.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("6.1.7.3", "7.0.4.rc1"); err != nil {
			b.Fatal(err)
		}
	}
}
