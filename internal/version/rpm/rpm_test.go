package rpm_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
	"github.com/bulwark-security/bulwark/internal/version/rpm"
)

func TestVercmp(t *testing.T) {
	// Cases from rpm's tests/rpmvercmp.at.
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "2.0", -1},
		{"2.0.1", "2.0", 1},
		{"2.0.1a", "2.0.1", 1},
		{"5.5p1", "5.5p2", -1},
		{"5.5p10", "5.5p1", 1},
		{"10xyz", "10.1xyz", -1},
		{"xyz10", "xyz10.1", -1},
		{"xyz.4", "8", -1},
		{"xyz.4", "2", -1},
		{"5.5p2", "5.6p1", -1},
		{"6.0.rc1", "6.0", 1},
		{"10b2", "10a1", 1},
		{"1.0aa", "1.0ab", -1},
		{"10.0001", "10.1", 0},
		{"10.0039", "10.0001", 1},
		{"4.999.9", "5.0", -1},
		{"20101121", "20101122", -1},
		{"2_0", "2_0", 0},
		{"2.0", "2_0", 0},
		{"a+", "a_", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0~rc1", "1.0~rc2", -1},
		{"1.0~rc1~git123", "1.0~rc1", -1},
		{"1.0^", "1.0", 1},
		{"1.0^git1", "1.0", 1},
		{"1.0^git1", "1.01", -1},
		{"1.0^20160101", "1.0.1", -1},
		{"1.0^git1~pre", "1.0^git1", -1},
		{"1.0~rc1^git1", "1.0~rc1", 1},
		{"1.0~rc1^git1", "1.0", -1},
		{"1.el8", "1.el8_6", -1},
	}
	for _, tt := range tests {
		if got := rpm.Vercmp(tt.a, tt.b); got != tt.want {
			t.Errorf("Vercmp(%q, %q) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
		if got := rpm.Vercmp(tt.b, tt.a); got != -tt.want {
			t.Errorf("Vercmp(%q, %q) = %d; want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestCompareEVR(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1:1.0-1", "2.0-1", 1},
		{"0:1.0-1", "1.0-1", 0},
		{"2.28-151.el8", "2.28-225.el8_8.6", -1},
		{"1:1.1.1k-7.el8_6", "1:1.1.1k-12.el8_9", -1},
		{"3.0.7-1.amzn2023.0.1", "3.0.8-1.amzn2023.0.1", -1},
	}
	c := rpm.Comparator{}
	for _, tt := range tests {
		if got, err := c.Compare(tt.a, tt.b); err != nil || got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	got, err := rpm.Parse("1:1.1.1k-7.el8_6")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rpm.EVR{Epoch: 1, Version: "1.1.1k", Release: "7.el8_6"}, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	for _, v := range []string{"", "1.0-", ":1", "x:1.0-1", "1.0 -1", "1:2:3-1", "-1"} {
		if _, err := rpm.Parse(v); err == nil {
			t.Errorf("Parse(%q) succeeded; want an error", v)
		}
	}
}

func TestOrderOfRealVersions(t *testing.T) {
	reftest.CheckOrder(t, reftest.Lines(t, "testdata/versions.txt"), rpm.Comparator{}.Compare)
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, rpm.Comparator{}.Compare, []string{"1.0-1", "1:2.3-4.el8", "1.0~rc1-1", "1.0^git1-2", "5.5p1-0"})
}

func BenchmarkCompare(b *testing.B) {
	c := rpm.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("1:1.1.1k-7.el8_6", "1:1.1.1k-12.el8_9"); err != nil {
			b.Fatal(err)
		}
	}
}
