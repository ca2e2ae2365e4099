//go:build integration

package match

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/model"
)

// TestDebianOracle checks the engine's Debian 12 findings for a real dpkg
// status file against an independent, deliberately simple computation:
// the raw OSV records and `dpkg --compare-versions`. Zero disagreements.
func TestDebianOracle(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("dpkg not installed")
		}
		t.Skip("dpkg not installed")
	}
	dir := sharedTestdata(t)
	inv := &model.Inventory{Distro: &model.Distro{ID: "debian", Release: "12"}}
	for _, para := range strings.Split(readFile(t, filepath.Join(dir, "pkgdb/debian12-nginx-python/var/lib/dpkg/status")), "\n\n") {
		p := model.Package{Ecosystem: model.EcosystemDeb}
		for _, l := range strings.Split(para, "\n") {
			k, v, _ := strings.Cut(l, ": ")
			switch k {
			case "Package":
				p.Name = v
			case "Version":
				p.Version = v
			case "Source":
				src, ver, _ := strings.Cut(v, " ")
				p.SourceName, p.SourceVersion = src, strings.Trim(ver, "()")
			}
		}
		if p.Name != "" {
			inv.Packages = append(inv.Packages, p)
		}
	}

	// The oracle: every Debian:12 entry of every raw record, by source.
	type entry struct{ id, fixed string }
	bySource := map[string][]entry{}
	f, err := os.Open(filepath.Join(dir, "debian/osv-debian12-cve.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var rec struct {
			ID       string `json:"id"`
			Affected []struct {
				Package struct{ Ecosystem, Name string } `json:"package"`
				Ranges  []struct {
					Events []map[string]string `json:"events"`
				} `json:"ranges"`
			} `json:"affected"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		for _, a := range rec.Affected {
			if a.Package.Ecosystem != "Debian:12" {
				continue
			}
			e := entry{id: rec.ID}
			for _, r := range a.Ranges {
				for _, ev := range r.Events {
					if ev["fixed"] != "" {
						e.fixed = ev["fixed"]
					}
				}
			}
			bySource[a.Package.Name] = append(bySource[a.Package.Name], e)
		}
	}
	lt := map[[2]string]bool{}
	dpkgLess := func(a, b string) bool {
		k := [2]string{a, b}
		if v, ok := lt[k]; ok {
			return v
		}
		v := exec.Command("dpkg", "--compare-versions", a, "lt", b).Run() == nil
		lt[k] = v
		return v
	}
	want := map[string]bool{}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		for _, e := range bySource[p.SourceOrName()] {
			if e.fixed == "" || dpkgLess(p.SourceVersionOrVersion(), e.fixed) {
				want[p.Name+" "+e.id] = true
			}
		}
	}

	findings, unknowns, err := New(realReader(t), Options{}).Match(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if len(unknowns) != 0 {
		t.Errorf("unknowns: %+v", unknowns)
	}
	got := map[string]bool{}
	for _, f := range findings {
		if f.State == model.MatchAffected {
			got[f.Package.Name+" "+f.VulnID] = true
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("oracle says affected, engine does not: %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("engine says affected, oracle does not: %s", k)
		}
	}
	t.Logf("%d affected (package, CVE) pairs agree", len(want))
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
