//go:build integration

package apk_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/apk"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

// TestOrderOfAllSecdbVersions has no reference tool to ask (apk-tools is
// not packaged for Debian), so it checks the order's properties over every
// fixed version in every Alpine secdb branch.
func TestOrderOfAllSecdbVersions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(reftest.SharedDir(t), "alpine", "secdb", "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no secdb files: %v", err)
	}
	var versions []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var db struct {
			Packages []struct {
				Pkg struct {
					Secfixes map[string][]string `json:"secfixes"`
				} `json:"pkg"`
			} `json:"packages"`
		}
		if err := json.Unmarshal(b, &db); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range db.Packages {
			for v := range p.Pkg.Secfixes {
				versions = append(versions, v)
			}
		}
	}
	c := apk.Comparator{}
	// Typos in APKBUILD secfixes comments; apk-tools 3 rejects them too.
	invalid := []string{"0.12.5.-r0", "0.8.21.r2", "1.0.4.-r0", "1.11-20-r0", "1.18.-r2", "1.7.5.-r1", "10.0.11-0",
		"10.2.22.r0", "10.2.24.r0", "2.15.r-r1", "2021-03-27-r5", "4.10-1-r1", "4.8.0.-r1", "57-1-r2"}
	valid := reftest.SplitValid(t, reftest.Unique(versions), c.Compare, invalid)
	reftest.CheckOrder(t, reftest.Sample(valid, 1500), c.Compare)
}
