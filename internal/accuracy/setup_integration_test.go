//go:build integration

package accuracy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/ecosystem/all"
	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/scan"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// workDir holds the database and layer caches of one test run; building
// the database from the shared data takes tens of seconds, so every test
// and benchmark of the run shares it.
var workDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bulwark-accuracy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	workDir = dir
	code := m.Run()
	if fix != nil && fix.db != nil {
		fix.db.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// missing skips a test whose inputs are absent, except under CI where
// absent inputs are a failure.
func missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}

// sharedTestdata is $BULWARK_SHARED/testdata, by default ../shared/testdata
// beside the repository.
func sharedTestdata(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("BULWARK_SHARED")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
	}
	dir = filepath.Join(dir, "testdata")
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.md")); err != nil {
		missing(tb, "shared test data missing (set BULWARK_SHARED): %v", err)
	}
	return dir
}

// testImages is $BULWARK_TEST_IMAGES, by default
// ~/.cache/bulwark-test-images, made by ../shared/tools/make-test-images.
func testImages(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("BULWARK_TEST_IMAGES")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "bulwark-test-images")
	}
	for _, f := range []string{"debian12-app.docker.tar", "debian12-app.oci", "debian12-app.packages.tsv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing(tb, "test image missing (run ../shared/tools/make-test-images): %v", err)
		}
	}
	return dir
}

// fixture is what every oracle starts from: the database built from the
// shared data, and the real image's inventory and report.
type fixture struct {
	data    string // the shared testdata directory
	images  string
	archive string // debian12-app.docker.tar
	dbPath  string
	db      *vulndb.DB
	inv     *model.Inventory
	report  *model.Report
	built   time.Duration
	counts  vulndb.Counts
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

// setup builds the fixture once per test binary run.
func setup(tb testing.TB) *fixture {
	tb.Helper()
	data, images := sharedTestdata(tb), testImages(tb)
	fixOnce.Do(func() { fix, fixErr = build(data, images) })
	if fixErr != nil {
		tb.Fatal(fixErr)
	}
	return fix
}

func build(data, images string) (*fixture, error) {
	ctx := context.Background()
	f := &fixture{data: data, images: images, archive: filepath.Join(images, "debian12-app.docker.tar")}
	f.dbPath = filepath.Join(workDir, "db", vulndb.FileName)
	var feeds []feed.Feed
	for _, fd := range all.Feeds() {
		// Feeds that are off unless named (EPSS) have no data in the bundle.
		if feed.DefaultEnabled(fd) {
			feeds = append(feeds, fd)
		}
	}
	start := time.Now()
	res, err := vulndb.Update(ctx, f.dbPath, feeds, vulndb.UpdateOptions{Source: feed.Source{Mirror: "file://" + data}})
	if err != nil {
		return nil, fmt.Errorf("building the DB from %s: %w", data, err)
	}
	f.built, f.counts = time.Since(start), res.Counts
	if f.db, err = vulndb.Open(f.dbPath); err != nil {
		return nil, err
	}
	ref := "docker-archive:" + f.archive
	if f.inv, err = scan.Inventory(ctx, ref, scan.Options{CacheDir: filepath.Join(workDir, "cache")}); err != nil {
		return nil, fmt.Errorf("inventory of %s: %w", ref, err)
	}
	if f.report, _, err = scan.Report(ctx, f.inv, scan.ReportOptions{DB: f.db}); err != nil {
		return nil, fmt.Errorf("report of %s: %w", ref, err)
	}
	return f, nil
}

// ids is every id a finding answers to: its id, aliases and advisories.
// Bulwark joins the records of one vulnerability into one finding, so an
// oracle record agrees with a finding when its id is among these.
func ids(f *model.Finding) map[string]bool {
	out := map[string]bool{f.VulnID: true}
	for _, a := range f.Aliases {
		out[a] = true
	}
	for _, a := range f.AdvisoryIDs {
		out[a] = true
	}
	return out
}

// pkgKey names one package of the inventory. Language packages of the
// same name and version found at two locations (a lock file and
// node_modules) are two packages; dpkg has one of each name.
func pkgKey(p *model.PackageRef) string {
	if p.Ecosystem.IsOS() {
		return fmt.Sprintf("%s %s@%s", p.Ecosystem, p.Name, p.Version)
	}
	return fmt.Sprintf("%s %s@%s %s", p.Ecosystem, p.Name, p.Version, strings.Join(p.Locations, ","))
}

// reported groups the findings of one ecosystem by package: each entry is
// one finding's id set. Suppressed findings count (they are reported,
// only not counted by policy); not-affected decisions do not.
func reported(r *model.Report, eco model.Ecosystem) map[string][]map[string]bool {
	out := map[string][]map[string]bool{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Package.Ecosystem != eco || f.State == model.MatchNotAffected {
			continue
		}
		k := pkgKey(&f.Package)
		out[k] = append(out[k], ids(f))
	}
	return out
}

// comparison is the outcome of checking findings against an oracle.
type comparison struct {
	oraclePairs   int      // (record id, package) pairs the oracle says are affected
	findings      int      // Bulwark findings compared
	disagreements []string // both directions, sorted
}

// compare checks, package by package, that every record the oracle says
// affects the package is among the ids of one of its findings, and that
// every finding carries the id of at least one record the oracle says
// affects it.
func compare(oracle map[string]map[string]bool, got map[string][]map[string]bool) comparison {
	var c comparison
	keys := map[string]bool{}
	for k := range oracle {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	for k := range keys {
		for rid := range oracle[k] {
			c.oraclePairs++
			found := false
			for _, s := range got[k] {
				found = found || s[rid]
			}
			if !found {
				c.disagreements = append(c.disagreements, fmt.Sprintf("oracle says %s affects %s; Bulwark reports no finding with that id", rid, k))
			}
		}
		for _, s := range got[k] {
			c.findings++
			found := false
			for rid := range oracle[k] {
				found = found || s[rid]
			}
			if !found {
				c.disagreements = append(c.disagreements, fmt.Sprintf("Bulwark reports %v for %s; the oracle finds no affecting record among those ids", sortedKeys(s), k))
			}
		}
	}
	sort.Strings(c.disagreements)
	return c
}

func (c comparison) check(t *testing.T, what string) {
	t.Helper()
	for _, d := range c.disagreements {
		t.Errorf("%s: %s", what, d)
	}
	t.Logf("%s: %d affected (record, package) pairs from the oracle, %d findings, %d disagreements",
		what, c.oraclePairs, c.findings, len(c.disagreements))
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestCompareCatchesDisagreements: the comparison the oracles rest on
// reports a missing finding, an extra finding and a finding under an id
// the oracle does not know, and accepts a match through an alias.
func TestCompareCatchesDisagreements(t *testing.T) {
	oracle := map[string]map[string]bool{
		"deb zlib1g@1": {"CVE-1": true},
		"deb apt@2":    {"GHSA-x": true},
	}
	got := map[string][]map[string]bool{
		"deb apt@2":  {{"CVE-2": true, "GHSA-x": true}},
		"deb curl@3": {{"CVE-3": true}},
	}
	c := compare(oracle, got)
	want := []string{
		"Bulwark reports [CVE-3] for deb curl@3; the oracle finds no affecting record among those ids",
		"oracle says CVE-1 affects deb zlib1g@1; Bulwark reports no finding with that id",
	}
	if diff := cmp.Diff(want, c.disagreements); diff != "" {
		t.Errorf("disagreements (-want +got):\n%s", diff)
	}
	if c.oraclePairs != 2 || c.findings != 2 {
		t.Errorf("counted %d oracle pairs and %d findings, want 2 and 2", c.oraclePairs, c.findings)
	}
}
