package deb_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/version/deb"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0~~", "1.0~", -1},
		{"1.0~", "1.0", -1},
		{"1.0", "1.0a", -1},
		{"1.0a", "1.0+", -1}, // letters before other characters
		{"1.0+", "1.0.", -1},
		{"1:0.1", "2.0", 1},
		{"0:1.0", "1.0", 0},
		{"1.0", "1.0-0", 0},
		{"1.0-1", "1.0-1+deb12u1", -1},
		{"2.36-9+deb12u4", "2.36-9+deb12u10", -1},
		{"1.2.3", "1.2.10", -1},
		{"1.001", "1.1", 0},
		{"1.0-1~bpo12+1", "1.0-1", -1},
		{"7.88.1-10+deb12u5", "7.88.1-10+deb12u8", -1},
		{"2:8.2.2434-3+deb11u1", "2:9.0.1378-2", -1},
		{"1.2.3-1ubuntu1", "1.2.3-1", 1},
		{"1:1.0:2-1", "1:1.0:10-1", -1}, // a colon in the upstream part
		{"10", "9", 1},
	}
	c := deb.Comparator{}
	for _, tt := range tests {
		got, err := c.Compare(tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
		if rev, _ := c.Compare(tt.b, tt.a); rev != -tt.want {
			t.Errorf("Compare(%q, %q) = %d; want %d", tt.b, tt.a, rev, -tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	got, err := deb.Parse("1:2.36-9+deb12u4")
	if err != nil {
		t.Fatal(err)
	}
	want := deb.Version{Epoch: 1, Upstream: "2.36", Revision: "9+deb12u4"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	if s := got.String(); s != "1:2.36-9+deb12u4" {
		t.Errorf("String() = %q", s)
	}
}

func TestParseErrors(t *testing.T) {
	for _, v := range []string{"", " ", "abc", "<unfixed>", "1.0-", ":1.0", "a:1.0", "1.0 2", "1_0", "-1", "1.0-a_b", "99999999999:1"} {
		if _, err := deb.Parse(v); err == nil {
			t.Errorf("Parse(%q) succeeded; want an error", v)
		}
		if _, err := (deb.Comparator{}).Compare("1.0", v); err == nil {
			t.Errorf("Compare(1.0, %q) succeeded; want an error", v)
		}
	}
}

func TestOrderOfRealVersions(t *testing.T) {
	reftest.CheckOrder(t, reftest.Lines(t, "testdata/versions.txt"), deb.Comparator{}.Compare)
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, deb.Comparator{}.Compare, []string{"1.0", "1:2.3-4", "1.0~rc1", "2.36-9+deb12u4", "1.0a+b.c~d"})
}

func BenchmarkCompare(b *testing.B) {
	c := deb.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("2.36-9+deb12u4", "2.36-9+deb12u10"); err != nil {
			b.Fatal(err)
		}
	}
}
