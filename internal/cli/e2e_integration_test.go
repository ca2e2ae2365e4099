//go:build integration

package cli_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
)

// The end-to-end tier runs the real binary as a subprocess on the real
// Debian 12 test image with a DB built from the shared feed data, the way a
// pipeline runs it.

var (
	e2eOnce  sync.Once
	e2eBin   string
	e2eCache string
	e2eErr   error
)

func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func sharedDir(t testing.TB) string {
	d := os.Getenv("BULWARK_SHARED")
	if d == "" {
		d = filepath.Join(repoRoot(t), "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(d, "testdata", "MANIFEST.md")); err != nil {
		t.Fatalf("shared test data not found at %s: set BULWARK_SHARED (%v)", d, err)
	}
	return d
}

func testImage(t testing.TB, name string) string {
	dir := os.Getenv("BULWARK_TEST_IMAGES")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "bulwark-test-images")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("test image %s missing: run scripts/setup-test-env.sh (%v)", p, err)
	}
	return p
}

// setup builds the binary and a DB from the full shared feed bundle once.
func setup(t *testing.T) (bin, cache string) {
	t.Helper()
	e2eOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bulwark-e2e-")
		if err != nil {
			e2eErr = err
			return
		}
		e2eBin = filepath.Join(dir, "bulwark")
		e2eCache = filepath.Join(dir, "cache")
		build := exec.Command("go", "build", "-o", e2eBin, "./cmd/bulwark")
		build.Dir = repoRoot(t)
		if out, err := build.CombinedOutput(); err != nil {
			e2eErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		upd := exec.Command(e2eBin, "db", "update", "--mirror", "file://"+filepath.Join(sharedDir(t), "testdata"))
		upd.Env = append(os.Environ(), "BULWARK_CACHE_DIR="+e2eCache)
		if out, err := upd.CombinedOutput(); err != nil {
			e2eErr = fmt.Errorf("db update: %v\n%s", err, out)
		}
	})
	if e2eErr != nil {
		t.Fatal(e2eErr)
	}
	return e2eBin, e2eCache
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, dir string, env []string, bin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", bin, err)
	}
	return result{code, out.String(), errb.String()}
}

func TestGateExitCodesAndIgnoreFile(t *testing.T) {
	bin, cache := setup(t)
	img := "docker-archive:" + testImage(t, "debian12-app.docker.tar")
	env := []string{"BULWARK_CACHE_DIR=" + cache}
	work := t.TempDir()

	// A full report tells which findings are critical.
	r := run(t, work, env, bin, "scan", "image", img, "--format", "json=report.json", "--quiet")
	if r.code != 0 {
		t.Fatalf("scan without a gate exited %d, want 0\n%s", r.code, r.stderr)
	}
	var rep model.Report
	data, err := os.ReadFile(filepath.Join(work, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	var critical []string
	for _, f := range rep.Findings {
		if f.Suppressed == nil && f.Severity == model.RatingCritical {
			critical = append(critical, f.VulnID)
		}
	}
	slices.Sort(critical)
	critical = slices.Compact(critical)
	if len(critical) == 0 {
		t.Fatal("the vulnerable test image has no critical findings; the gate cannot be tested")
	}

	if r := run(t, work, env, bin, "scan", "image", img, "--fail-on", "low", "--quiet"); r.code != 1 {
		t.Errorf("--fail-on low exited %d, want 1\n%s", r.code, r.stderr)
	} else if !strings.Contains(r.stderr, "policy failed: failOn") {
		t.Errorf("--fail-on low: stderr does not say which rule failed:\n%s", r.stderr)
	}
	if r := run(t, work, env, bin, "scan", "image", img, "--fail-on", "critical", "--quiet"); r.code != 1 {
		t.Errorf("--fail-on critical exited %d, want 1 (criticals: %v)", r.code, critical)
	}

	// Ignoring every critical flips --fail-on critical to a pass, but not
	// --fail-on low.
	writeIgnore := func(expires string) string {
		var b strings.Builder
		b.WriteString("ignore:\n")
		for _, id := range critical {
			fmt.Fprintf(&b, "  - id: %s\n    reason: accepted for the end-to-end test\n    owner: platform-team\n    expires: %s\n", id, expires)
		}
		p := filepath.Join(work, "ignore-"+expires+".yaml")
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	future := time.Now().AddDate(1, 0, 0).Format("2006-01-02")
	past := time.Now().AddDate(0, 0, -1).Format("2006-01-02")
	if r := run(t, work, env, bin, "scan", "image", img, "--fail-on", "critical", "--ignore-file", writeIgnore(future), "--quiet"); r.code != 0 {
		t.Errorf("--fail-on critical with every critical ignored exited %d, want 0\n%s", r.code, r.stderr)
	}
	if r := run(t, work, env, bin, "scan", "image", img, "--fail-on", "low", "--ignore-file", writeIgnore(future), "--quiet"); r.code != 1 {
		t.Errorf("--fail-on low with the criticals ignored exited %d, want 1", r.code)
	}
	r = run(t, work, env, bin, "scan", "image", img, "--fail-on", "critical", "--ignore-file", writeIgnore(past), "--quiet")
	if r.code != 1 {
		t.Errorf("an expired ignore entry still suppressed: exit %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, "expired") {
		t.Errorf("an expired ignore entry gave no warning:\n%s", r.stderr)
	}
}

func TestOperationalErrorsExit3(t *testing.T) {
	bin, cache := setup(t)
	img := "docker-archive:" + testImage(t, "debian12-app.docker.tar")
	work := t.TempDir()
	empty := []string{"BULWARK_CACHE_DIR=" + filepath.Join(work, "empty-cache")}

	r := run(t, work, empty, bin, "scan", "image", img, "--offline")
	if r.code != 3 || !strings.Contains(r.stderr, "bulwark db update") || !strings.Contains(r.stderr, "--offline") {
		t.Errorf("no DB with --offline: exit %d, stderr %q; want 3 and what to do", r.code, r.stderr)
	}
	r = run(t, work, []string{"BULWARK_CACHE_DIR=" + cache}, bin, "scan", "image", img, "--db", filepath.Join(work, "gone", "bulwark.db"))
	if r.code != 3 || !strings.Contains(r.stderr, "db update") {
		t.Errorf("missing --db file: exit %d, stderr %q; want 3 and what to do", r.code, r.stderr)
	}
	r = run(t, work, []string{"BULWARK_CACHE_DIR=" + cache}, bin, "scan", "image", "registry:127.0.0.1:1/nothing/here:1")
	if r.code != 3 {
		t.Errorf("unreachable registry: exit %d, want 3\n%s", r.code, r.stderr)
	}
	r = run(t, work, []string{"BULWARK_CACHE_DIR=" + cache}, bin, "scan", "image", "docker-archive:"+filepath.Join(work, "nope.tar"))
	if r.code != 2 {
		t.Errorf("missing archive: exit %d, want 2\n%s", r.code, r.stderr)
	}
	r = run(t, work, []string{"BULWARK_CACHE_DIR=" + cache}, bin, "scan", "image", img, "--fail-on", "severe")
	if r.code != 2 {
		t.Errorf("bad --fail-on: exit %d, want 2", r.code)
	}
}

func TestSeveralFormatsInOneRun(t *testing.T) {
	bin, cache := setup(t)
	img := "docker-archive:" + testImage(t, "debian12-app.docker.tar")
	work := t.TempDir()
	r := run(t, work, []string{"BULWARK_CACHE_DIR=" + cache}, bin, "scan", "image", img, "--quiet",
		"--format", "table", "--format", "sarif=o.sarif", "--format", "junit=o.xml",
		"--format", "cyclonedx=o.cdx.json", "--format", "json=o.json", "--format", "gitlab=gl.json", "--format", "markdown=o.md")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Findings:") {
		t.Errorf("table on stdout lacks the summary:\n%s", r.stdout)
	}
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []json.RawMessage `json:"results"`
		} `json:"runs"`
	}
	readJSON(t, filepath.Join(work, "o.sarif"), &sarif)
	if sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) == 0 {
		t.Errorf("sarif: version %q, %d runs", sarif.Version, len(sarif.Runs))
	}
	var cdx struct {
		BOMFormat       string            `json:"bomFormat"`
		Components      []json.RawMessage `json:"components"`
		Vulnerabilities []json.RawMessage `json:"vulnerabilities"`
	}
	readJSON(t, filepath.Join(work, "o.cdx.json"), &cdx)
	if cdx.BOMFormat != "CycloneDX" || len(cdx.Components) < 100 || len(cdx.Vulnerabilities) == 0 {
		t.Errorf("cyclonedx: %q with %d components, %d vulnerabilities", cdx.BOMFormat, len(cdx.Components), len(cdx.Vulnerabilities))
	}
	data, err := os.ReadFile(filepath.Join(work, "o.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests int `xml:"tests,attr"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil || suites.Tests == 0 {
		t.Errorf("junit: %v, %d tests", err, suites.Tests)
	}
}

// TestImageAndSBOMAgree: an image and its SBOM give identical findings.
func TestImageAndSBOMAgree(t *testing.T) {
	bin, cache := setup(t)
	img := "docker-archive:" + testImage(t, "debian12-app.docker.tar")
	work := t.TempDir()
	env := []string{"BULWARK_CACHE_DIR=" + cache}
	if r := run(t, work, env, bin, "scan", "image", img, "--quiet", "--format", "json=image.json"); r.code != 0 {
		t.Fatalf("scan image: %d\n%s", r.code, r.stderr)
	}
	for _, f := range []string{"cyclonedx", "spdx", "json"} {
		sb := filepath.Join(work, "sbom."+f)
		if r := run(t, work, env, bin, "sbom", img, "-f", f, "-o", sb, "--quiet"); r.code != 0 {
			t.Fatalf("sbom -f %s: %d\n%s", f, r.code, r.stderr)
		}
		out := filepath.Join(work, "from-"+f+".json")
		if r := run(t, work, env, bin, "scan", "sbom", sb, "--quiet", "--format", "json="+out); r.code != 0 {
			t.Fatalf("scan sbom (%s): %d\n%s", f, r.code, r.stderr)
		}
		a, b := findingSet(t, filepath.Join(work, "image.json")), findingSet(t, out)
		if !slices.Equal(a, b) {
			t.Errorf("%s SBOM: %d findings, image: %d; first differences: %v", f, len(b), len(a), firstDiff(a, b))
		}
	}
}

func findingSet(t *testing.T, path string) []string {
	var rep model.Report
	readJSON(t, path, &rep)
	var out []string
	for _, f := range rep.Findings {
		s := ""
		if f.Suppressed != nil {
			s = f.Suppressed.Kind
		}
		out = append(out, strings.Join([]string{f.VulnID, string(f.Package.Ecosystem), f.Package.Name, f.Package.Version,
			string(f.State), string(f.Severity), string(f.Reachability), s}, " "))
	}
	slices.Sort(out)
	return out
}

func firstDiff(a, b []string) []string {
	var d []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			d = append(d, "-"+x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			d = append(d, "+"+x)
		}
	}
	if len(d) > 6 {
		d = d[:6]
	}
	return d
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestDiffAndTimeout: --diff names what is new and what was resolved since
// a previous JSON report; --timeout stops a scan with an operational error.
func TestDiffAndTimeout(t *testing.T) {
	bin, cache := setup(t)
	img := "docker-archive:" + testImage(t, "debian12-app.docker.tar")
	work := t.TempDir()
	env := []string{"BULWARK_CACHE_DIR=" + cache}
	if r := run(t, work, env, bin, "scan", "image", img, "--quiet", "--format", "json=prev.json"); r.code != 0 {
		t.Fatalf("scan: %d\n%s", r.code, r.stderr)
	}
	// Pretend the previous run lacked one finding and had one that is gone now.
	var prev model.Report
	readJSON(t, filepath.Join(work, "prev.json"), &prev)
	var removed model.Finding
	for i, f := range prev.Findings {
		if f.Suppressed == nil {
			removed = f
			prev.Findings = append(prev.Findings[:i], prev.Findings[i+1:]...)
			break
		}
	}
	gone := removed
	gone.VulnID, gone.Package.Name = "CVE-1999-0001", "vanished-package"
	prev.Findings = append(prev.Findings, gone)
	data, err := json.Marshal(&prev)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "edited.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, work, env, bin, "scan", "image", img, "--quiet", "--format", "json=cur.json", "--diff", "edited.json")
	if r.code != 0 {
		t.Fatalf("scan --diff: %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "1 new, 1 resolved") || !strings.Contains(r.stderr, "+ "+string(removed.Severity)) ||
		!strings.Contains(r.stderr, removed.VulnID) || !strings.Contains(r.stderr, "CVE-1999-0001") {
		t.Errorf("--diff output does not name the new and the resolved finding:\n%s", r.stderr)
	}
	if r := run(t, work, env, bin, "scan", "image", img, "--diff", "nope.json"); r.code != 2 {
		t.Errorf("--diff with a missing file: exit %d, want 2", r.code)
	}
	// A cold scan (empty layer cache, so the layers must be read) cannot
	// finish in a millisecond.
	cold := []string{"BULWARK_CACHE_DIR=" + filepath.Join(work, "cold")}
	if err := os.MkdirAll(filepath.Join(work, "cold", "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	r = run(t, work, cold, bin, "scan", "image", img, "--timeout", "1ms", "--db", filepath.Join(cache, "db", "bulwark.db"))
	if r.code != 3 || !strings.Contains(r.stderr, "timed out") {
		t.Errorf("--timeout 1ms: exit %d, stderr %q; want 3 and a timeout message", r.code, r.stderr)
	}
}
