package rpm

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

func TestSplitNVR(t *testing.T) {
	tests := []struct {
		in, name, version, release string
		ok                         bool
	}{
		{"bash-5.1.8-6.el9", "bash", "5.1.8", "6.el9", true},
		{"python3-pip-wheel-21.2.3-7.el9", "python3-pip-wheel", "21.2.3", "7.el9", true},
		{"crypto-policies-20220223-1.git5203b41.el9_0.1", "crypto-policies", "20220223", "1.git5203b41.el9_0.1", true},
		{"bash-5.1.8", "", "", "", false},
		{"-1-2", "", "", "", false},
		{"a--2", "", "", "", false},
		{"", "", "", "", false},
	}
	for _, tt := range tests {
		n, v, r, ok := splitNVR(tt.in)
		if n != tt.name || v != tt.version || r != tt.release || ok != tt.ok {
			t.Errorf("splitNVR(%q) = %q %q %q %v, want %q %q %q %v", tt.in, n, v, r, ok, tt.name, tt.version, tt.release, tt.ok)
		}
	}
	for in, want := range map[string]bool{
		"bash-5.1.8-6.el9.src.rpm":    true,
		"nss-3.90-1.el9.nosrc.rpm":    true,
		"bash-5.1.8-6.el9.x86_64.rpm": false,
		"(none)":                      false,
	} {
		if _, _, _, ok := parseSourceRPM(in); ok != want {
			t.Errorf("parseSourceRPM(%q) ok = %v, want %v", in, ok, want)
		}
	}
}

// epochInNEVRA removes the epoch from "name-E:version-release.src", which
// the Red Hat catalog writes but a SOURCERPM file name never contains.
var epochInNEVRA = regexp.MustCompile(`-[0-9]+:([^-]+-[^-]+)\.src$`)

// The UBI 8 and 9 manifests are Red Hat's own lists of the packages in
// those images, with name, version, release, arch and source package
// given separately: every NVRA and source NEVRA must split into them.
func TestUBIManifests(t *testing.T) {
	for _, file := range []string{"ubi8_ubi.txtar", "ubi9_ubi.txtar"} {
		ar, err := txtar.ParseFile(filepath.Join("testdata", "ubi", file))
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, f := range ar.Files {
			if !strings.HasSuffix(f.Name, "/rpm-manifest") {
				continue
			}
			var m struct {
				RPMs []struct {
					Name, Version, Release, Architecture, NVRA string
					SrpmName                                   string `json:"srpm_name"`
					SrpmNEVRA                                  string `json:"srpm_nevra"`
				}
			}
			if err := json.Unmarshal(f.Data, &m); err != nil {
				t.Fatalf("%s %s: %v", file, f.Name, err)
			}
			for _, r := range m.RPMs {
				checked++
				nvr, ok := strings.CutSuffix(r.NVRA, "."+r.Architecture)
				if !ok {
					t.Errorf("%s: nvra %q does not end in its arch %q", file, r.NVRA, r.Architecture)
					continue
				}
				if n, v, rel, ok := splitNVR(nvr); !ok || n != r.Name || v != r.Version || rel != r.Release {
					t.Errorf("%s: splitNVR(%q) = %q %q %q, want %q %q %q", file, nvr, n, v, rel, r.Name, r.Version, r.Release)
				}
				srpm := epochInNEVRA.ReplaceAllString(r.SrpmNEVRA, "-$1") + ".src.rpm"
				if n, _, _, ok := parseSourceRPM(srpm); !ok || n != r.SrpmName {
					t.Errorf("%s: parseSourceRPM(%q) name = %q, want %q", file, srpm, n, r.SrpmName)
				}
			}
		}
		if checked < 100 {
			t.Errorf("%s: only %d packages checked", file, checked)
		}
	}
}
