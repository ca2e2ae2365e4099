package maven_test

import (
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
	"github.com/bulwark-security/bulwark/internal/version/maven"
)

// Sequences and equalities from Maven's ComparableVersionTest.
var (
	qualifierOrder = []string{"1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11",
		"1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1",
		"1-1-snapshot", "1-1", "1-2", "1-123"}
	numberOrder = []string{"2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
		"2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b",
		"11c", "11m"}
	equal = [][]string{
		{"1", "1.0", "1.0.0", "1-0", "1.0-0", "1ga", "1GA", "1-ga", "1.0.0-ga", "1final", "1FinaL", "1release", "1RELeaSE", "1-release"},
		{"1a", "1-a", "1.0-a", "1.0.0-a", "1.0a", "1.0.0a"},
		{"1x", "1-x", "1.0-x", "1.0.0-x", "1.0x", "1.0.0x", "1X"},
		{"1cr", "1rc", "1CR", "1RC"},
		{"1m3", "1milestone3", "1-milestone-3", "1M3"},
		{"1a1", "1-alpha-1", "1alpha1", "1A1"},
		{"1b2", "1-beta-2"},
		{"1SNAPSHOT", "1snapshot", "1-SNAPSHOT"},
		{"1.0.0.0000000000000000000000001", "1.0.0.1"},
	}
)

func TestCompare(t *testing.T) {
	c := maven.Comparator{}
	for _, seq := range [][]string{qualifierOrder, numberOrder} {
		for i := range seq {
			for j := i + 1; j < len(seq); j++ {
				if got, err := c.Compare(seq[i], seq[j]); err != nil || got != -1 {
					t.Errorf("Compare(%q, %q) = %d, %v; want -1", seq[i], seq[j], got, err)
				}
				if got, _ := c.Compare(seq[j], seq[i]); got != 1 {
					t.Errorf("Compare(%q, %q) = %d; want 1", seq[j], seq[i], got)
				}
			}
		}
	}
	for _, group := range equal {
		for _, v := range group[1:] {
			if got, err := c.Compare(group[0], v); err != nil || got != 0 {
				t.Errorf("Compare(%q, %q) = %d, %v; want 0", group[0], v, got, err)
			}
		}
	}
	// Versions GitHub's Maven advisories use.
	for _, p := range [][2]string{{"2.14.0-rc1", "2.14.0"}, {"5.3.17", "5.3.18"}, {"9.4.43.v20210629", "9.4.44.v20210927"},
		{"1.2.3.Final", "1.2.4.Final"}, {"2.0.0.M1", "2.0.0.RC1"}, {"3.0.0-SNAPSHOT", "3.0.0"}, {"1.0.0.Beta2", "1.0.0.CR1"}} {
		if got, err := c.Compare(p[0], p[1]); err != nil || got != -1 {
			t.Errorf("Compare(%q, %q) = %d, %v; want -1", p[0], p[1], got, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, v := range []string{"", " ", "abc", "1.0 beta", "final", "1\x00"} {
		if _, err := maven.Parse(v); err == nil {
			t.Errorf("Parse(%q) succeeded; want an error", v)
		}
	}
}

func TestOrderOfRealVersions(t *testing.T) {
	reftest.CheckOrder(t, reftest.Lines(t, "testdata/versions.txt"), maven.Comparator{}.Compare)
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, maven.Comparator{}.Compare, append(qualifierOrder, numberOrder...))
}

func BenchmarkCompare(b *testing.B) {
	c := maven.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("2.14.0-rc1", "2.13.4.2"); err != nil {
			b.Fatal(err)
		}
	}
}
