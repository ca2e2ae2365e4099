package pypi_test

import (
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
	"github.com/bulwark-security/bulwark/internal/version/pypi"
)

func TestCompare(t *testing.T) {
	// The ordering example of PEP 440, "Summary of permitted suffixes and
	// relative ordering", extended with epochs and local versions.
	chain := []string{"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456",
		"1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5",
		"1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1", "1!0.1"}
	c := pypi.Comparator{}
	for i := 0; i+1 < len(chain); i++ {
		if got, err := c.Compare(chain[i], chain[i+1]); err != nil || got != -1 {
			t.Errorf("Compare(%q, %q) = %d, %v; want -1", chain[i], chain[i+1], got, err)
		}
	}
	for _, p := range [][2]string{{"1.0", "1.0.0"}, {"1.0", "v1.0"}, {"1.0a1", "1.0.alpha.1"}, {"1.0rc1", "1.0-c1"},
		{"1.0.post0", "1.0-r"}, {"1.0-1", "1.0.post1"}, {"1.0.dev0", "1.0-dev"}, {"1.0+ubuntu-1", "1.0+ubuntu.1"},
		{"0!1.0", "1.0"}, {"1.0RC1", "1.0rc1"}, {"1.0preview2", "1.0rc2"}, {"20210101", "020210101"}} {
		if got, err := c.Compare(p[0], p[1]); err != nil || got != 0 {
			t.Errorf("Compare(%q, %q) = %d, %v; want 0", p[0], p[1], got, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := map[string]string{
		"1.0":               "1.0",
		"v1.0":              "1.0",
		"1.0.ALPHA.1":       "1.0a1",
		"1.0-c1":            "1.0rc1",
		"1.0_r":             "1.0.post0",
		"1.0-1":             "1.0.post1",
		"01!02.03-dev4":     "1!2.3.dev4",
		"1.0+Ubuntu-1_2":    "1.0+ubuntu.1.2",
		"1.0a1.post2.dev3":  "1.0a1.post2.dev3",
		" 2.0b2 ":           "2.0b2",
		"1.0.0.0.0":         "1.0.0.0.0",
		"1.0-preview.3-dev": "1.0rc3.dev0",
	}
	for in, want := range tests {
		v, err := pypi.Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got := v.String(); got != want {
			t.Errorf("Parse(%q).String() = %q; want %q", in, got, want)
		}
	}
	for _, bad := range []string{"", "junk", "1.0.x", "1..0", "1.0+", "1.0+a..b", "1.0-", "!1.0", "1.0a1b2", "1.0 .1", "1.0.post.dev.x"} {
		if _, err := pypi.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded; want an error", bad)
		}
	}
}

func TestOrderOfRealVersions(t *testing.T) {
	c := pypi.Comparator{}
	// Not PEP 440 versions; the packaging library rejects them as well.
	invalid := []string{"0.7.11p3", "0.8.3ubuntu7.5", "0.9-stable", "1.6.5ubuntu0.1", "1.9.0ubuntu1.2", "7.2.0-12.1"}
	reftest.CheckOrder(t, reftest.SplitValid(t, reftest.Lines(t, "testdata/versions.txt"), c.Compare, invalid), c.Compare)
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, pypi.Comparator{}.Compare, []string{"1.0", "1!2.0a1.post2.dev3+loc.1", "1.0-1", "v2.0RC", "1.0.dev"})
}

func BenchmarkCompare(b *testing.B) {
	c := pypi.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("2.31.0", "2.32.0rc1"); err != nil {
			b.Fatal(err)
		}
	}
}
