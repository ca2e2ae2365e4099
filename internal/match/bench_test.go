package match

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/osv"
)

// sharedTestdata returns the shared test data directory (env
// BULWARK_SHARED, default ../shared from the repository root). Missing
// data skips, except under CI where it fails.
func sharedTestdata(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("BULWARK_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared")
	}
	dir = filepath.Join(dir, "testdata")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("shared test data missing: %v", err)
		}
		tb.Skipf("shared test data missing: %v", err)
	}
	return dir
}

// benchInventory reads testdata/bench/packages.tsv (real packages from the
// shared pkgdb samples) into an inventory of n packages on Debian 12;
// language packages are repeated under a second location to reach n.
func benchInventory(tb testing.TB, n int) *model.Inventory {
	tb.Helper()
	f, err := os.Open("testdata/bench/packages.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var pkgs, lang []model.Package
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 6 {
			tb.Fatalf("bad line %q", sc.Text())
		}
		p := model.Package{Ecosystem: model.Ecosystem(c[0]), Name: c[1], Version: c[2], SourceName: c[3],
			SourceVersion: c[4], Locations: []string{c[5]}, PURL: "pkg:" + c[0] + "/" + c[1] + "@" + c[2]}
		pkgs = append(pkgs, p)
		if !p.Ecosystem.IsOS() {
			lang = append(lang, p)
		}
	}
	for i := 0; len(pkgs) < n; i++ {
		p := lang[i%len(lang)]
		p.Locations = []string{fmt.Sprintf("/srv/app%d/lock", i/len(lang))}
		pkgs = append(pkgs, p)
	}
	return &model.Inventory{Distro: &model.Distro{ID: "debian", Release: "12"}, Packages: pkgs[:n]}
}

var benchEcosystems = map[string]model.Ecosystem{
	"Debian:12": model.EcosystemDeb, "npm": model.EcosystemNPM, "Go": model.EcosystemGo,
	"PyPI": model.EcosystemPyPI, "Maven": model.EcosystemMaven,
}

// realReader loads the Debian 12 OSV export and the GitHub advisories for
// npm, Go, PyPI and Maven through the feed's OSV conversion.
func realReader(tb testing.TB) *memReader {
	tb.Helper()
	dir := sharedTestdata(tb)
	r := newMemReader()
	files := map[string]string{
		"debian/osv-debian12-cve.jsonl": "debian", "ghsa/npm.jsonl": "ghsa-npm", "ghsa/go.jsonl": "ghsa-go",
		"ghsa/pypi.jsonl": "ghsa-pypi", "ghsa/maven.jsonl": "ghsa-maven",
	}
	eco := func(s string) (model.Ecosystem, string, bool) {
		e, ok := benchEcosystems[s]
		if !ok {
			return "", "", false
		}
		if e == model.EcosystemDeb {
			return e, "debian:12", true
		}
		return e, string(e), true
	}
	for name, source := range files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			e, err := osv.Parse(sc.Bytes())
			if err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			rec := feed.FromOSV(e, source, eco)
			v := rec.Vulnerability
			r.addVuln(&v)
			for _, a := range rec.Affected {
				r.addAffected(a)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	return r
}

// BenchmarkMatch1000 matches 1,000 real packages against the Debian 12
// and GitHub advisory data (about 45,000 records). Target: under 100 ms.
// cpu-ms/op (process CPU time) stays meaningful on a busy machine where
// wall time does not.
func BenchmarkMatch1000(b *testing.B) {
	r := realReader(b)
	inv := benchInventory(b, 1000)
	e := New(r, Options{})
	ctx := context.Background()
	var n int
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		fs, _, err := e.Match(ctx, inv)
		if err != nil {
			b.Fatal(err)
		}
		n = len(fs)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(n), "findings")
}
