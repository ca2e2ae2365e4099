//go:build integration

package accuracy

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/semver"

	"github.com/bulwark-security/bulwark/internal/model"
)

// langOracle decides, per (name, version), which records affect it.
type langOracle func(name, version string) map[string]bool

// checkLang compares the findings of every inventory package of eco with
// the oracle's verdict for its name and version.
func checkLang(t *testing.T, fx *fixture, eco model.Ecosystem, oracle langOracle, skip func(*model.Package) bool) {
	t.Helper()
	want := map[string]map[string]bool{}
	for i := range fx.inv.Packages {
		p := &fx.inv.Packages[i]
		if p.Ecosystem != eco || (skip != nil && skip(p)) {
			continue
		}
		ref := model.RefOf(p)
		if hit := oracle(p.Name, p.Version); len(hit) > 0 {
			want[pkgKey(&ref)] = hit
		}
	}
	compare(want, reported(fx.report, eco)).check(t, string(eco))
}

// inventoried lists the distinct name@version of eco in the inventory.
func inventoried(inv *model.Inventory, eco model.Ecosystem, skip func(*model.Package) bool) []string {
	seen := map[string]bool{}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if p.Ecosystem == eco && (skip == nil || !skip(p)) {
			seen[p.Name+"@"+p.Version] = true
		}
	}
	return sortedKeys(seen)
}

// TestNPMOracle: the npm findings for the image's lock file and
// node_modules equal the raw GitHub advisories evaluated with Debian's
// node-semver, for the packages the image's package-lock.json lists.
func TestNPMOracle(t *testing.T) {
	fx := setup(t)
	if _, err := exec.LookPath("node"); err != nil || nodeCmd("require('semver')").Run() != nil {
		missing(t, "node and node-semver are needed: apt-get install -y nodejs node-semver")
	}

	// The packages, from the lock file's own bytes in the image.
	raw := imageFiles(t, fx.archive, "srv/app/package-lock.json")["srv/app/package-lock.json"]
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		t.Fatalf("package-lock.json: %v", err)
	}
	locked := map[string]bool{}
	for path, p := range lock.Packages {
		if i := strings.LastIndex(path, "node_modules/"); i >= 0 {
			locked[path[i+len("node_modules/"):]+"@"+p.Version] = true
		}
	}
	if diff := cmp.Diff(sortedKeys(locked), inventoried(fx.inv, model.EcosystemNPM, nil)); diff != "" {
		t.Errorf("npm packages (-package-lock.json +inventory):\n%s", diff)
	}

	// The raw advisories of those names.
	names := map[string]bool{}
	for nv := range locked {
		names[nv[:strings.LastIndex(nv, "@")]] = true
	}
	type span struct {
		id string
		iv interval
	}
	byName := map[string][]span{}
	explicit := map[string]bool{} // id + " " + name@version
	readJSONL(t, filepath.Join(fx.data, "ghsa", "npm.jsonl"), func(r *rawRecord) {
		if r.Withdrawn != "" {
			return
		}
		for _, a := range r.Affected {
			if a.Package.Ecosystem != "npm" || !names[a.Package.Name] {
				continue
			}
			for _, v := range a.Versions {
				explicit[r.ID+" "+a.Package.Name+"@"+v] = true
			}
			for _, rg := range a.Ranges {
				for _, iv := range intervals(rg.Events) {
					byName[a.Package.Name] = append(byName[a.Package.Name], span{r.ID, iv})
				}
			}
		}
	})

	// One node process answers every (version, range) question.
	var qs []question
	for nv := range locked {
		i := strings.LastIndex(nv, "@")
		for _, s := range byName[nv[:i]] {
			qs = append(qs, question{nv[i+1:], nodeRange(s.iv)})
		}
	}
	answers := nodeSatisfies(t, qs)
	oracle := func(name, version string) map[string]bool {
		hit := map[string]bool{}
		for _, s := range byName[name] {
			if answers[question{version, nodeRange(s.iv)}] {
				hit[s.id] = true
			}
		}
		for k := range explicit {
			if id, nv, _ := strings.Cut(k, " "); nv == name+"@"+version {
				hit[id] = true
			}
		}
		return hit
	}
	checkLang(t, fx, model.EcosystemNPM, oracle, nil)
	t.Logf("npm: %d locked packages, %d names with advisories, %d node-semver questions", len(locked), len(byName), len(qs))
}

// question asks whether an npm version satisfies a node-semver range.
type question struct{ version, rng string }

// nodeRange writes an interval as a node-semver range.
func nodeRange(iv interval) string {
	lo := ">=0.0.0-0"
	if iv.lo != "0" {
		lo = ">=" + iv.lo
	}
	switch {
	case iv.hi == "":
		return lo
	case iv.inclusive:
		return lo + " <=" + iv.hi
	}
	return lo + " <" + iv.hi
}

// nodeSatisfies asks node-semver (Debian's node-semver package, found
// through NODE_PATH=/usr/share/nodejs) whether each version satisfies its
// range; pre-releases compare by plain semver order, as OSV ranges do.
func nodeSatisfies(t *testing.T, qs []question) map[question]bool {
	t.Helper()
	const script = `const semver = require('semver');
const rl = require('readline').createInterface({input: process.stdin});
rl.on('line', l => { const [v, r] = JSON.parse(l);
  process.stdout.write(semver.satisfies(v, r, {includePrerelease: true}) ? '1\n' : '0\n'); });`
	var in strings.Builder
	for _, q := range qs {
		b, _ := json.Marshal([]string{q.version, q.rng})
		in.Write(append(b, '\n'))
	}
	cmd := nodeCmd(script)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node-semver: %v", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(qs) {
		t.Fatalf("node-semver: %d answers for %d questions", len(lines), len(qs))
	}
	res := map[question]bool{}
	for i, q := range qs {
		res[q] = lines[i] == "1"
	}
	return res
}

// nodeCmd runs a node script that can require Debian's node modules.
func nodeCmd(script string) *exec.Cmd {
	cmd := exec.Command("node", "-e", script)
	cmd.Env = append(os.Environ(), "NODE_PATH=/usr/share/nodejs")
	return cmd
}

// TestGoOracle: the Go findings for the image's binary equal the raw Go
// vulnerability database and GitHub Go advisories evaluated with
// golang.org/x/mod/semver, for the modules and toolchain that `go version
// -m` reads from the binary's own bytes.
func TestGoOracle(t *testing.T) {
	fx := setup(t)
	goTool, err := exec.LookPath("go")
	if err != nil {
		missing(t, "the go command is needed to read the binary's build info: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "goapp")
	if err := os.WriteFile(bin, imageFiles(t, fx.archive, "usr/local/bin/goapp")["usr/local/bin/goapp"], 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(goTool, "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	modules := map[string]string{} // path → version, "stdlib" → go1.x.y
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	dep := ""
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && strings.HasSuffix(f[0], ":"):
			modules["stdlib"] = f[1]
		case len(f) >= 3 && f[0] == "dep":
			dep, modules[f[1]] = f[1], f[2]
		case len(f) >= 3 && f[0] == "=>" && dep != "":
			// A replacement's version is what is linked.
			modules[dep] = f[2]
		}
	}
	var listed []string
	for p, v := range modules {
		listed = append(listed, p+"@"+v)
	}
	sort.Strings(listed)
	mainModule := func(p *model.Package) bool { return p.Metadata["go.main"] == "true" }
	if diff := cmp.Diff(listed, inventoried(fx.inv, model.EcosystemGo, mainModule)); diff != "" {
		t.Errorf("Go modules (-go version -m +inventory):\n%s", diff)
	}

	type span struct {
		id string
		iv interval
	}
	byModule := map[string][]span{}
	sources := map[string]int{}
	add := func(src string, r *rawRecord) {
		if r.Withdrawn != "" {
			return
		}
		for _, a := range r.Affected {
			if a.Package.Ecosystem != "Go" || modules[a.Package.Name] == "" {
				continue
			}
			sources[src]++
			for _, rg := range a.Ranges {
				for _, iv := range intervals(rg.Events) {
					byModule[a.Package.Name] = append(byModule[a.Package.Name], span{r.ID, iv})
				}
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(fx.data, "go-vulndb", "osv", "*.json"))
	if len(files) == 0 {
		t.Fatalf("no records in %s", filepath.Join(fx.data, "go-vulndb", "osv"))
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var r rawRecord
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		add("go-vulndb", &r)
	}
	readJSONL(t, filepath.Join(fx.data, "ghsa", "go.jsonl"), func(r *rawRecord) { add("ghsa", r) })

	// OSV Go ranges carry versions without the "v"; the toolchain's
	// "go1.26.8" is semver 1.26.8.
	canon := func(v string) string {
		v = strings.TrimPrefix(strings.TrimPrefix(v, "go"), "v")
		return "v" + v
	}
	cmpGo := func(a, b string) int { return semver.Compare(canon(a), canon(b)) }
	oracle := func(name, version string) map[string]bool {
		hit := map[string]bool{}
		for _, s := range byModule[name] {
			if s.iv.contains(version, cmpGo) {
				hit[s.id] = true
			}
		}
		return hit
	}
	checkLang(t, fx, model.EcosystemGo, oracle, mainModule)
	t.Logf("golang: %d modules and stdlib %s, affected entries naming them: %v", len(modules)-1, modules["stdlib"], sources)
}
