package composer_test

import (
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/composer"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

func TestNormalize(t *testing.T) {
	// Cases from composer/semver's VersionParserTest::successfulNormalizedVersions.
	tests := map[string]string{
		"1.0.0":            "1.0.0.0",
		"1.2.3.4":          "1.2.3.4",
		"1.0":              "1.0.0.0",
		"v1.0.0":           "1.0.0.0",
		"1.0.0-beta.2":     "1.0.0.0-beta2",
		"1.0.0-RC1":        "1.0.0.0-RC1",
		"1.0.0rc1":         "1.0.0.0-RC1",
		"1.0.0-rc1":        "1.0.0.0-RC1",
		"1.0.0-p1":         "1.0.0.0-patch1",
		"1.0.0-pl3":        "1.0.0.0-patch3",
		"1.0.0-patch":      "1.0.0.0-patch",
		"2.4.6-p1":         "2.4.6.0-patch1",
		"1.0-dev":          "1.0.0.0-dev",
		"1.0.0-stable":     "1.0.0.0",
		"1.0.0-alpha3.1":   "1.0.0.0-alpha3.1",
		"1.0.0-b1":         "1.0.0.0-beta1",
		"1.0.0-a":          "1.0.0.0-alpha",
		"1.0.0-beta.5-dev": "1.0.0.0-beta5-dev",
		"1.0.0+build.1":    "1.0.0.0",
		"2017.12.0":        "2017.12.0.0",
		"20230101":         "20230101",
		"2010-01-02":       "2010.01.02",
		"2010.01.02.5":     "2010.01.02.5",
		"20100102-203040":  "20100102.203040",
		"1.0_dev":          "1.0.0.0-dev",
	}
	for in, want := range tests {
		got, err := composer.Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "dev-main", "1.x-dev", "1.2.x", "abc", "1.0.0.0.0", "1.0-foo", "1.0.0-beta-foo", "1.0.0 beta"} {
		if got, err := composer.Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) = %q; want an error", bad, got)
		}
	}
}

func TestCompare(t *testing.T) {
	chain := []string{"1.0.0-dev", "1.0.0-alpha", "1.0.0-alpha2", "1.0.0-beta1-dev", "1.0.0-beta1", "1.0.0-beta2",
		"1.0.0-beta10", "1.0.0-RC1", "1.0.0", "1.0.0-p1", "1.0.0.1", "1.0.1", "4.1.14", "4.1.14.5", "2017.12.0"}
	c := composer.Comparator{}
	for i := 0; i+1 < len(chain); i++ {
		if got, err := c.Compare(chain[i], chain[i+1]); err != nil || got != -1 {
			t.Errorf("Compare(%q, %q) = %d, %v; want -1", chain[i], chain[i+1], got, err)
		}
	}
	for _, p := range [][2]string{{"1.0", "1.0.0.0"}, {"v1.2.3", "1.2.3"}, {"1.0.0-RC1", "1.0.0rc1"}, {"1.0.0-stable", "1.0.0"}} {
		if got, err := c.Compare(p[0], p[1]); err != nil || got != 0 {
			t.Errorf("Compare(%q, %q) = %d, %v; want 0", p[0], p[1], got, err)
		}
	}
}

func TestVersionCompare(t *testing.T) {
	// PHP's own version_compare examples.
	tests := []struct {
		a, b string
		want int
	}{
		{"5.2", "5.2.0", -1},
		{"5.2.0", "5.2.0-dev", 1},
		{"1.0.0-dev", "1.0.0-alpha", -1},
		{"1.0pl1", "1.0", 1},
		{"1.0rc1", "1.0", -1},
		{"1.0.0.0", "1.0.0.0", 0},
		{"1-0-0", "1.0.0", 0},
		{"1.10", "1.9", 1},
	}
	for _, tt := range tests {
		if got := composer.VersionCompare(tt.a, tt.b); got != tt.want {
			t.Errorf("VersionCompare(%q, %q) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestOrderOfRealVersions(t *testing.T) {
	c := composer.Comparator{}
	// composer/semver's VersionParser rejects these two as well.
	invalid := []string{"1.5.7c", "6.0.0-GM"}
	reftest.CheckOrder(t, reftest.SplitValid(t, reftest.Lines(t, "testdata/versions.txt"), c.Compare, invalid), c.Compare)
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, composer.Comparator{}.Compare, []string{"1.0.0", "v2.4.6-p1", "1.0.0-beta.2", "2010-01-02", "1.0-dev"})
}

func BenchmarkCompare(b *testing.B) {
	c := composer.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("2.4.6-p1", "2.4.6"); err != nil {
			b.Fatal(err)
		}
	}
}
