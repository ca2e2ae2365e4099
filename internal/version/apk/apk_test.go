package apk_test

import (
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/apk"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

func TestCompare(t *testing.T) {
	// Each row is strictly ascending; see apk-tools' test/version.data.
	chains := [][]string{
		{"1.0_alpha", "1.0_alpha1", "1.0_beta", "1.0_pre", "1.0_rc", "1.0_rc1", "1.0_rc2", "1.0",
			"1.0-r1", "1.0_cvs", "1.0_svn", "1.0_git", "1.0_hg", "1.0_p1", "1.0_p2", "1.0a", "1.0b", "1.0.1"},
		{"1.2.3-r9", "1.2.3-r10", "1.2.4-r0"},
		{"1.01", "1.1"}, // a leading zero compares as a string
		{"1.001", "1.01", "1.1", "1.2"},
		{"2.54.2-r0", "2.54.2-r1", "2.54.10-r0"},
		{"1.0_alpha2_p1", "1.0_alpha2_p2", "1.0_alpha3"},
		{"1.0-r0", "1.0~abc-r0"}, // a commit hash ranks above a bare revision
		{"6.6.4-r0", "6.6.4p1-r1", "6.6.4p2-r0", "6.6.5-r0"},
		{"0", "0.1"},
	}
	c := apk.Comparator{}
	for _, chain := range chains {
		for i := 0; i+1 < len(chain); i++ {
			a, b := chain[i], chain[i+1]
			if got, err := c.Compare(a, b); err != nil || got != -1 {
				t.Errorf("Compare(%q, %q) = %d, %v; want -1", a, b, got, err)
			}
			if got, _ := c.Compare(b, a); got != 1 {
				t.Errorf("Compare(%q, %q) = %d; want 1", b, a, got)
			}
		}
	}
	for _, pair := range [][2]string{{"1.0", "1.0"}, {"1.0-r0", "1.0-r0"}, {"1.0-r01", "1.0-r1"}} {
		if got, err := c.Compare(pair[0], pair[1]); err != nil || got != 0 {
			t.Errorf("Compare(%q, %q) = %d, %v; want 0", pair[0], pair[1], got, err)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	for _, v := range []string{"", "a1", "1.0-r", "1.0_foo", "1.0-1", "1.0A", "1..0", "1.0_rc1a", "1.0-r1-r2", "1.0~", "1.0~xyz", "1.0 "} {
		if err := apk.Validate(v); err == nil {
			t.Errorf("Validate(%q) succeeded; want an error", v)
		}
	}
}

func TestOrderOfRealVersions(t *testing.T) {
	c := apk.Comparator{}
	// secdb lists "57-1-r2" (a typo in an APKBUILD); apk-tools rejects it too.
	invalid := []string{"57-1-r2"}
	reftest.CheckOrder(t, reftest.SplitValid(t, reftest.Lines(t, "testdata/versions.txt"), c.Compare, invalid), c.Compare)
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, apk.Comparator{}.Compare, []string{"1.0", "1.0-r1", "1.0_rc1", "1.0a_p2-r3", "1.0~ab12-r0", "1.01"})
}

func BenchmarkCompare(b *testing.B) {
	c := apk.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("3.1.4-r5", "3.1.4_p1-r0"); err != nil {
			b.Fatal(err)
		}
	}
}
