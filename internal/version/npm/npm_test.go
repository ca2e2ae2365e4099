package npm_test

import (
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
	"github.com/bulwark-security/bulwark/internal/version/npm"
)

func TestSatisfies(t *testing.T) {
	// Cases from node-semver's range-include and range-exclude fixtures.
	tests := []struct {
		rng, v string
		want   bool
	}{
		{">=1.2.3 <2.0.0 || ^3.1", "1.5.0", true},
		{">=1.2.3 <2.0.0 || ^3.1", "2.0.0", false},
		{">=1.2.3 <2.0.0 || ^3.1", "3.9.9", true},
		{">=1.2.3 <2.0.0 || ^3.1", "4.0.0", false},
		{"1.0.0 - 2.0.0", "1.2.3", true},
		{"1.0.0 - 2.0.0", "2.0.1", false},
		{"1.2.3 - 2.3", "2.3.9", true},
		{"1.2.3 - 2.3", "2.4.0", false},
		{"1.2 - 2.3.4", "1.2.0", true},
		{"~1.2", "1.2.9", true},
		{"~1.2", "1.3.0", false},
		{"~1.2.3", "1.2.2", false},
		{"~1", "1.9.9", true},
		{"~> 1.2", "1.2.5", true},
		{"1.x", "1.99.0", true},
		{"1.x", "2.0.0", false},
		{"1.2.*", "1.2.7", true},
		{"*", "1.2.3", true},
		{"", "0.0.1", true},
		{"*", "1.2.3-beta", false}, // prereleases need an explicit comparator
		{"^1.2.3", "1.9.0", true},
		{"^1.2.3", "2.0.0", false},
		{"^0.2.3", "0.2.9", true},
		{"^0.2.3", "0.3.0", false},
		{"^0.0.3", "0.0.4", false},
		{"^0.0", "0.0.9", true},
		{"^0.x", "0.9.0", true},
		{"^1.2.3-beta.2", "1.2.3-beta.4", true},
		{"^1.2.3-beta.2", "1.2.4-beta.4", false},
		{">1.2", "1.2.9", false},
		{">1.2", "1.3.0", true},
		{"<1.2", "1.1.9", true},
		{"<=1.2", "1.2.9", true},
		{"<1", "1.0.0-beta", false},
		{">= 1.0.0", "1.0.0", true},
		{"=1.2.3", "v1.2.3", true},
		{"1.2.3", "1.2.3+build", true},
		{">=1.0.0-rc.1 <1.0.0", "1.0.0-rc.2", true},
		{"<2.0.0", "1.9.9-alpha", false},
		{">=6.0.0", "6.0", true}, // a two-part version from an advisory
	}
	for _, tt := range tests {
		got, err := npm.Satisfies(tt.v, tt.rng)
		if err != nil || got != tt.want {
			t.Errorf("Satisfies(%q, %q) = %v, %v; want %v", tt.v, tt.rng, got, err, tt.want)
		}
	}
}

func TestParseRangeErrors(t *testing.T) {
	for _, r := range []string{"1.2.3.4", ">=abc", "^01.2.3", "1.2.3 - ", "!1.2.3", "1.2.x-beta"} {
		if _, err := npm.ParseRange(r); err == nil {
			t.Errorf("ParseRange(%q) succeeded; want an error", r)
		}
	}
	for _, v := range []string{"not-a-version", "1.x", "*", "1.2-beta", "", "1.2.3.4", "01.2"} {
		if _, err := npm.Satisfies(v, "*"); err == nil {
			t.Errorf("Satisfies(%q, *) succeeded; want an error", v)
		}
	}
}

func TestOrderOfRealVersions(t *testing.T) {
	reftest.CheckOrder(t, reftest.Lines(t, "testdata/versions.txt"), npm.Comparator{}.Compare)
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, npm.Comparator{}.Compare, []string{"1.0.0", "=v1.2.3", "1.0.0-beta.2", "0.0.0-0+x"})
}

func FuzzSatisfies(f *testing.F) {
	for _, s := range []string{">=1.2.3 <2.0.0 || ^3.1", "~1.2", "1.x", "1.0.0 - 2.0.0", "*"} {
		f.Add("1.2.3", s)
	}
	f.Fuzz(func(t *testing.T, v, rng string) {
		_, _ = npm.Satisfies(v, rng)
	})
}

func BenchmarkSatisfies(b *testing.B) {
	r, err := npm.ParseRange(">=1.2.3 <2.0.0 || ^3.1")
	if err != nil {
		b.Fatal(err)
	}
	v, _ := npm.Parse("3.4.5")
	b.ReportAllocs()
	for b.Loop() {
		if !r.Contains(v) {
			b.Fatal("not contained")
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	c := npm.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("4.17.15", "4.17.21"); err != nil {
			b.Fatal(err)
		}
	}
}
