//go:build integration

package accuracy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
)

// debPackage is one line of NAME.packages.tsv, written by dpkg-query
// inside the image: what dpkg itself says is installed.
type debPackage struct{ name, version, source, sourceVersion string }

func readPackagesTSV(t *testing.T, name string) []debPackage {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []debPackage
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 4 || c[0] == "" || c[1] == "" {
			t.Fatalf("%s:%d: want package, version, source, source version: %q", name, n, sc.Text())
		}
		p := debPackage{name: c[0], version: c[1], source: c[2], sourceVersion: c[3]}
		if p.source == "" {
			p.source, p.sourceVersion = p.name, p.version
		}
		out = append(out, p)
	}
	return out
}

// dpkgVersions compares Debian versions with dpkg itself, in one shell
// loop over every pair the oracle needs.
type dpkgVersions map[[2]string]int

func (d dpkgVersions) need(a, b string) { d[[2]string{a, b}] = 2 }

func (d dpkgVersions) run(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("dpkg"); err != nil {
		missing(t, "dpkg not installed (apt-get install dpkg): %v", err)
	}
	var in strings.Builder
	var pairs [][2]string
	for p := range d {
		pairs = append(pairs, p)
		fmt.Fprintf(&in, "%s\t%s\n", p[0], p[1])
	}
	const loop = `while IFS="$(printf '\t')" read -r a b; do
  if dpkg --compare-versions "$a" lt "$b"; then echo -1
  elif dpkg --compare-versions "$a" eq "$b"; then echo 0
  else echo 1; fi
done`
	cmd := exec.Command("sh", "-c", loop)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dpkg --compare-versions loop: %v", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(pairs) {
		t.Fatalf("dpkg --compare-versions loop: %d answers for %d pairs", len(lines), len(pairs))
	}
	for i, p := range pairs {
		d[p], _ = strconv.Atoi(lines[i])
	}
}

func (d dpkgVersions) cmp(a, b string) int {
	c, ok := d[[2]string{a, b}]
	if !ok || c == 2 {
		panic(fmt.Sprintf("dpkg comparison %s vs %s was not run", a, b))
	}
	return c
}

// trackerStatement is the security tracker's word on one source package
// for one CVE in bookworm.
type trackerStatement struct {
	status, fixed, urgency string
}

// readTrackerSamples reads the per-CVE tracker files: CVE → source → statement.
func readTrackerSamples(t *testing.T, dir string) map[string]map[string]trackerStatement {
	t.Helper()
	out := map[string]map[string]trackerStatement{}
	files, err := filepath.Glob(filepath.Join(dir, "*", "CVE-*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no tracker samples in %s: %v", dir, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			ID       string `json:"id"`
			Packages []struct {
				Name         string `json:"name"`
				Status       string `json:"status"`
				Urgency      string `json:"urgency"`
				FixedVersion string `json:"fixed_version"`
			} `json:"packages"`
		}
		if err := json.Unmarshal(b, &rec); err != nil || rec.ID == "" {
			t.Fatalf("%s: %v", name, err)
		}
		out[rec.ID] = map[string]trackerStatement{}
		for _, p := range rec.Packages {
			out[rec.ID][p.Name] = trackerStatement{status: p.Status, fixed: p.FixedVersion, urgency: p.Urgency}
		}
	}
	return out
}

// TestDebianOracle: Bulwark's Debian findings for the real image equal an
// independent computation from the raw OSV records (CVE and DSA), the
// tracker samples and `dpkg --compare-versions` over the source versions
// dpkg-query printed inside the image.
func TestDebianOracle(t *testing.T) {
	fx := setup(t)
	pkgs := readPackagesTSV(t, filepath.Join(fx.images, "debian12-app.packages.tsv"))

	// Every Debian:12 range of every raw record, by source package.
	type entry struct {
		id     string
		ranges [][]interval
	}
	bySource := map[string][]entry{}
	records := 0
	for _, file := range []string{"osv-debian12-cve.jsonl", "osv-debian12-dsa.jsonl"} {
		readJSONL(t, filepath.Join(fx.data, "debian", file), func(r *rawRecord) {
			records++
			for _, a := range r.Affected {
				if a.Package.Ecosystem != "Debian:12" {
					continue
				}
				e := entry{id: r.ID}
				for _, rg := range a.Ranges {
					e.ranges = append(e.ranges, intervals(rg.Events))
				}
				bySource[a.Package.Name] = append(bySource[a.Package.Name], e)
			}
		})
	}
	tracker := readTrackerSamples(t, filepath.Join(fx.data, "debian", "tracker-api-bookworm-samples"))

	versions := dpkgVersions{}
	for _, p := range pkgs {
		for _, e := range bySource[p.source] {
			for _, ivs := range e.ranges {
				for _, iv := range ivs {
					for _, b := range iv.bounds() {
						versions.need(p.sourceVersion, b)
					}
				}
			}
		}
		for _, bySrc := range tracker {
			if st, ok := bySrc[p.source]; ok && st.fixed != "" && st.fixed != "0" {
				versions.need(p.sourceVersion, st.fixed)
			}
		}
	}
	versions.run(t)

	oracle := map[string]map[string]bool{}
	for _, p := range pkgs {
		k := pkgKey(&model.PackageRef{Ecosystem: model.EcosystemDeb, Name: p.name, Version: p.version})
		hit := map[string]bool{}
		for _, e := range bySource[p.source] {
			if _, stated := tracker[e.id][p.source]; stated {
				continue // the tracker's own statement decides below
			}
			for _, ivs := range e.ranges {
				for _, iv := range ivs {
					if iv.contains(p.sourceVersion, versions.cmp) {
						hit[e.id] = true
					}
				}
			}
		}
		for id, bySrc := range tracker {
			st, ok := bySrc[p.source]
			switch {
			case !ok:
			case st.status == "resolved" && st.fixed == "0":
				// Not affected: the vulnerable code never was in bookworm's package.
			case st.status == "resolved" && st.fixed != "":
				if versions.cmp(p.sourceVersion, st.fixed) < 0 {
					hit[id] = true
				}
			default: // open, undetermined: affected, no fix
				hit[id] = true
			}
		}
		if len(hit) > 0 {
			oracle[k] = hit
		}
	}

	got := reported(fx.report, model.EcosystemDeb)
	c := compare(oracle, got)
	c.check(t, "debian:12")
	t.Logf("debian:12: %d installed packages, %d raw records, %d tracker samples, %d dpkg comparisons",
		len(pkgs), records, len(tracker), len(versions))
	t.Logf("database: built in %s from the shared data: %+v", fx.built.Round(time.Second), fx.counts)
	if c.oraclePairs == 0 {
		t.Error("the oracle found nothing affected; the image or the data is not what the test expects")
	}
}
