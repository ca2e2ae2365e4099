package nuget_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
	"github.com/bulwark-security/bulwark/internal/version/nuget"
)

func TestCompare(t *testing.T) {
	// Cases from NuGet.Versioning's VersionComparerTests.
	chain := []string{"0.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.10",
		"1.0.0-beta10", "1.0.0-beta2", "1.0.0-rc.1", "1.0.0", "1.0.0.1", "1.0.1", "1.10", "2.0.0.0-preview.1.21102.12", "2.0"}
	c := nuget.Comparator{}
	for i := 0; i+1 < len(chain); i++ {
		if got, err := c.Compare(chain[i], chain[i+1]); err != nil || got != -1 {
			t.Errorf("Compare(%q, %q) = %d, %v; want -1", chain[i], chain[i+1], got, err)
		}
	}
	for _, p := range [][2]string{{"1.0", "1.0.0.0"}, {"1", "1.0.0"}, {"1.0.0-BETA", "1.0.0-beta"}, {"1.0.0+meta", "1.0.0"},
		{"01.02.03", "1.2.3"}, {"1.0.0-Beta.1+git.abc", "1.0.0-beta.1"}} {
		if got, err := c.Compare(p[0], p[1]); err != nil || got != 0 {
			t.Errorf("Compare(%q, %q) = %d, %v; want 0", p[0], p[1], got, err)
		}
	}
}

func TestParse(t *testing.T) {
	got, err := nuget.Parse("5.10.0-rc.7240+sha.1")
	if err != nil {
		t.Fatal(err)
	}
	want := nuget.Version{Parts: [4]uint64{5, 10, 0, 0}, Release: "rc.7240", Metadata: "sha.1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "1.0.0.0.0", "1.a", "1.0-", "v1.0", "1..0", "1.0.0-a..b", "1.0.0-a_b", "99999999999"} {
		if _, err := nuget.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded; want an error", bad)
		}
	}
}

func TestOrderOfRealVersions(t *testing.T) {
	reftest.CheckOrder(t, reftest.Lines(t, "testdata/versions.txt"), nuget.Comparator{}.Compare)
}

func FuzzCompare(f *testing.F) {
	reftest.FuzzCompare(f, nuget.Comparator{}.Compare, []string{"1.0", "1.0.0.1", "1.0.0-Beta.2+meta", "5.10.0-rc.7240"})
}

func BenchmarkCompare(b *testing.B) {
	c := nuget.Comparator{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare("13.0.1", "13.0.2-beta1"); err != nil {
			b.Fatal(err)
		}
	}
}
