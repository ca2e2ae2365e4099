//go:build integration

package golang_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	modsemver "golang.org/x/mod/semver"

	"github.com/bulwark-security/bulwark/internal/version/golang"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

// TestAgainstModSemverAllData compares pairs of every version in the Go
// vulnerability database and GitHub's Go advisories with
// golang.org/x/mod/semver.
func TestAgainstModSemverAllData(t *testing.T) {
	shared := reftest.SharedDir(t)
	versions := reftest.OSVVersions(t, filepath.Join(shared, "ghsa", "go.jsonl"))
	files, err := filepath.Glob(filepath.Join(shared, "go-vulndb", "osv", "*.json"))
	if err != nil || len(files) < 1000 {
		t.Fatalf("go-vulndb records missing: %d files, %v", len(files), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rec any
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		reftest.Walk(rec, func(obj map[string]any) {
			for _, k := range []string{"introduced", "fixed", "last_affected"} {
				if s, ok := obj[k].(string); ok && s != "0" {
					versions = append(versions, s)
				}
			}
		})
	}
	var valid []string
	for _, v := range reftest.Unique(versions) {
		_, err := golang.Parse(v)
		if modsemver.IsValid("v"+v) != (err == nil) {
			t.Errorf("Parse(%q) error = %v, x/mod/semver valid = %v", v, err, modsemver.IsValid("v"+v))
		}
		if err == nil {
			valid = append(valid, v)
		}
	}
	c := golang.Comparator{}
	pairs := reftest.Pairs(valid, c.Compare, 20000)
	for _, p := range pairs {
		got, _ := c.Compare(p[0], p[1])
		if want := modsemver.Compare("v"+p[0], "v"+p[1]); got != want {
			t.Errorf("Compare(%q, %q) = %d; x/mod/semver says %d", p[0], p[1], got, want)
		}
	}
	t.Logf("%d versions, %d pairs compared with x/mod/semver", len(valid), len(pairs))
}
