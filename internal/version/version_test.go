package version_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/version"
)

func TestForEveryEcosystem(t *testing.T) {
	ecosystems := []model.Ecosystem{model.EcosystemDeb, model.EcosystemAPK, model.EcosystemRPM, model.EcosystemGo,
		model.EcosystemNPM, model.EcosystemPyPI, model.EcosystemMaven, model.EcosystemCargo, model.EcosystemGem,
		model.EcosystemComposer, model.EcosystemNuGet}
	for _, e := range ecosystems {
		if _, err := version.For(string(e)); err != nil {
			t.Errorf("For(%q): %v", e, err)
		}
	}
	want := []string{"apk", "cargo", "composer", "deb", "gem", "golang", "maven", "npm", "nuget", "pypi", "rpm", "semver"}
	if diff := cmp.Diff(want, version.Schemes()); diff != "" {
		t.Errorf("Schemes() (-want +got):\n%s", diff)
	}
	if _, err := version.For("cobol"); err == nil {
		t.Error(`For("cobol") succeeded`)
	}
}

func TestInRange(t *testing.T) {
	tests := []struct {
		scheme, v, introduced, fixed, last string
		want                               bool
	}{
		{"deb", "2.36-9+deb12u3", "0", "2.36-9+deb12u4", "", true},
		{"deb", "2.36-9+deb12u4", "0", "2.36-9+deb12u4", "", false},
		{"deb", "2.36-9+deb12u10", "", "2.36-9+deb12u4", "", false},
		{"deb", "1.0", "", "", "", true}, // open, no fix
		{"npm", "4.17.15", "0", "4.17.21", "", true},
		{"npm", "4.17.21", "0", "4.17.21", "", false},
		{"npm", "1.9.0", "2.0.0", "2.5.0", "", false},
		{"npm", "2.0.0", "2.0.0", "2.5.0", "", true},
		{"pypi", "2.0.0", "0", "", "2.0.0", true},
		{"pypi", "2.0.1", "0", "", "2.0.0", false},
		{"golang", "v0.10.0", "", "0.17.0", "", true},
		{"maven", "2.14.0-rc1", "2.13.0", "2.14.0", "", true},
	}
	for _, tt := range tests {
		c, err := version.For(tt.scheme)
		if err != nil {
			t.Fatal(err)
		}
		got, err := version.InRange(c, tt.v, tt.introduced, tt.fixed, tt.last)
		if err != nil || got != tt.want {
			t.Errorf("InRange(%s, %q, %q, %q, %q) = %v, %v; want %v", tt.scheme, tt.v, tt.introduced, tt.fixed, tt.last, got, err, tt.want)
		}
	}
}

func TestInRangeErrors(t *testing.T) {
	c, _ := version.For("deb")
	for _, tt := range [][4]string{
		{"<unfixed>", "0", "1.0", ""},
		{"1.0", "0", "<unfixed>", ""},
		{"1.0", "junk", "", ""},
		{"1.0", "", "", "junk"},
		{"junk", "", "", ""},
		{"junk", "0", "", ""},
	} {
		_, err := version.InRange(c, tt[0], tt[1], tt[2], tt[3])
		if err == nil || !strings.Contains(err.Error(), "junk") && !strings.Contains(err.Error(), "unfixed") {
			t.Errorf("InRange(%q) error = %v; want one naming the bad version", tt, err)
		}
	}
	if _, err := version.InRange(nil, "1", "", "", ""); err == nil {
		t.Error("InRange with a nil comparator succeeded")
	}
}

func BenchmarkInRange(b *testing.B) {
	c, _ := version.For("deb")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := version.InRange(c, "2.36-9+deb12u3", "0", "2.36-9+deb12u4", ""); err != nil {
			b.Fatal(err)
		}
	}
}
