//go:build integration && unix

package accuracy

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/match"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report"
	"github.com/bulwark-security/bulwark/internal/scan"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// The benchmarks time what a user waits for, against the database built
// from the whole shared test data (the same one the oracles use):
//
//	go test -tags integration -run XXX -bench . -benchmem -benchtime=3x ./internal/accuracy/
//
// Targets (issue "Matching"): 1,000 packages matched in < 100 ms; a whole
// scan of debian12-app (OCI layout) in < 1.7 s cold and < 250 ms warm.

// benchInventory is 1,000 real packages: the image's, and those five real
// package databases of the shared data list (two Debian 12 dpkg status
// files, an npm lock file, a go.mod/go.sum, Python dist-info), each kept
// at its own path; language packages are repeated under further paths
// to reach 1,000. The distribution is the image's Debian 12.
func benchInventory(b *testing.B, fx *fixture, n int) *model.Inventory {
	b.Helper()
	inv := &model.Inventory{Schema: model.InventorySchema, Image: fx.inv.Image, Distro: fx.inv.Distro}
	inv.Packages = append(inv.Packages, fx.inv.Packages...)
	for _, dir := range []string{"debian12-nginx-python", "debian12-minbase", "npm-lockfile-v3", "go-module", "python-dist-info-trivy"} {
		sample, err := scan.Inventory(context.Background(), "dir:"+filepath.Join(fx.data, "pkgdb", dir), scan.Options{})
		if err != nil {
			b.Fatalf("inventory of %s: %v", dir, err)
		}
		for _, p := range sample.Packages {
			p.Locations = prefixed("/samples/"+dir, p.Locations)
			inv.Packages = append(inv.Packages, p)
		}
	}
	var lang []model.Package
	for _, p := range inv.Packages {
		if !p.Ecosystem.IsOS() {
			lang = append(lang, p)
		}
	}
	for i := 0; len(inv.Packages) < n; i++ {
		p := lang[i%len(lang)]
		p.Locations = prefixed(fmt.Sprintf("/copies/%d", i/len(lang)), p.Locations)
		inv.Packages = append(inv.Packages, p)
	}
	inv.Packages = inv.Packages[:n]
	return inv
}

// cpuTime is the user and system CPU time this process has used. On a
// machine shared with other work, wall time per operation rises with the
// load while CPU time per operation stays close to the work done, so the
// benchmarks report both ("cpu-ms/op").
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter accumulates CPU time over the timed parts of a benchmark.
type cpuMeter struct {
	total time.Duration
	n     int
}

func (m *cpuMeter) add(d time.Duration) { m.total += d; m.n++ }

func (m *cpuMeter) report(b *testing.B) {
	if m.n > 0 {
		b.ReportMetric(float64(m.total.Microseconds())/1000/float64(m.n), "cpu-ms/op")
	}
}

func prefixed(dir string, locs []string) []string {
	out := make([]string, len(locs))
	for i, l := range locs {
		out[i] = dir + l
	}
	return out
}

// BenchmarkMatch1000 matches 1,000 packages: "reused-db" with the open
// database of a long-running process (its lookup cache warm after the
// first iteration), "fresh-db" opening the file each time as the CLI does.
func BenchmarkMatch1000(b *testing.B) {
	fx := setup(b)
	inv := benchInventory(b, fx, 1000)
	ctx := context.Background()
	b.Run("reused-db", func(b *testing.B) {
		// The first match touches the mapped file's pages; a long-running
		// process has done that before.
		if _, _, err := match.New(fx.db, match.Options{}).Match(ctx, inv); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		var m cpuMeter
		for b.Loop() {
			c := cpuTime()
			if _, _, err := match.New(fx.db, match.Options{}).Match(ctx, inv); err != nil {
				b.Fatal(err)
			}
			m.add(cpuTime() - c)
		}
		m.report(b)
	})
	b.Run("fresh-db", func(b *testing.B) {
		b.ReportAllocs()
		var m cpuMeter
		defer m.report(b)
		for b.Loop() {
			c := cpuTime()
			db, err := vulndb.Open(fx.dbPath)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := match.New(db, match.Options{}).Match(ctx, inv); err != nil {
				b.Fatal(err)
			}
			db.Close()
			m.add(cpuTime() - c)
		}
	})
}

// scanOnce is the library path of `bulwark scan image --format json`:
// inventory, open the DB, match, render.
func scanOnce(b *testing.B, fx *fixture, ref, cache string) {
	ctx := context.Background()
	inv, err := scan.Inventory(ctx, ref, scan.Options{CacheDir: cache})
	if err != nil {
		b.Fatal(err)
	}
	db, err := vulndb.Open(fx.dbPath)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r, _, err := scan.Report(ctx, inv, scan.ReportOptions{DB: db})
	if err != nil {
		b.Fatal(err)
	}
	w, _ := report.New("json", report.Options{})
	if err := w.Write(io.Discard, r); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkScanImage is the whole scan of debian12-app's OCI layout, in
// process: "cold" with an empty layer cache every time (every layer read
// and decompressed), "warm" with the layers cached.
func BenchmarkScanImage(b *testing.B) {
	fx := setup(b)
	ref := "oci:" + filepath.Join(fx.images, "debian12-app.oci")
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		var m cpuMeter
		defer m.report(b)
		for b.Loop() {
			b.StopTimer()
			cache := filepath.Join(b.TempDir(), "cache")
			b.StartTimer()
			c := cpuTime()
			scanOnce(b, fx, ref, cache)
			m.add(cpuTime() - c)
		}
	})
	b.Run("warm", func(b *testing.B) {
		cache := filepath.Join(b.TempDir(), "cache")
		scanOnce(b, fx, ref, cache)
		b.ReportAllocs()
		var m cpuMeter
		defer m.report(b)
		for b.Loop() {
			c := cpuTime()
			scanOnce(b, fx, ref, cache)
			m.add(cpuTime() - c)
		}
	})
}

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// BenchmarkScanImageCLI runs the built `bulwark scan image` command, which
// is what the targets and the peers' figures are about: process start,
// DB open, layers, matching and the table on stdout.
func BenchmarkScanImageCLI(b *testing.B) {
	fx := setup(b)
	cliOnce.Do(func() {
		cliPath = filepath.Join(workDir, "bulwark")
		out, err := exec.Command("go", "build", "-o", cliPath, "github.com/bulwark-security/bulwark/cmd/bulwark").CombinedOutput()
		if err != nil {
			cliErr = fmt.Errorf("go build ./cmd/bulwark: %v: %s", err, out)
		}
	})
	if cliErr != nil {
		b.Fatal(cliErr)
	}
	ref := "oci:" + filepath.Join(fx.images, "debian12-app.oci")
	var m cpuMeter
	run := func(b *testing.B, cache string) {
		cmd := exec.Command(cliPath, "scan", "image", "--offline", "--db", fx.dbPath, "--cache-dir", cache, "--format", "table", ref)
		cmd.Stdout = io.Discard
		var stderr strings.Builder
		cmd.Stderr = &stderr
		// Exit code 1 is a failed policy, not a failed scan.
		if err := cmd.Run(); err != nil && cmd.ProcessState.ExitCode() != 1 {
			b.Fatalf("%s: %v: %s", strings.Join(cmd.Args, " "), err, stderr.String())
		}
		m.add(cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime())
	}
	b.Run("cold", func(b *testing.B) {
		m = cpuMeter{}
		defer m.report(b)
		for b.Loop() {
			b.StopTimer()
			cache := b.TempDir()
			b.StartTimer()
			run(b, cache)
		}
	})
	b.Run("warm", func(b *testing.B) {
		cache := b.TempDir()
		run(b, cache)
		m = cpuMeter{}
		defer m.report(b)
		for b.Loop() {
			run(b, cache)
		}
	})
}

// BenchmarkDBOpen opens and closes the database file.
func BenchmarkDBOpen(b *testing.B) {
	fx := setup(b)
	b.ReportAllocs()
	for b.Loop() {
		db, err := vulndb.Open(fx.dbPath)
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// BenchmarkLookups10k makes 10,000 lookups on a freshly opened database:
// "image" replays the image's packages (most repeat, as a scan of many
// images does), "distinct" asks for 10,000 different packages named in
// the raw records, so that no lookup is served from the lookup cache.
func BenchmarkLookups10k(b *testing.B) {
	fx := setup(b)
	type key struct{ ns, name string }
	var image []key
	for _, p := range fx.inv.Packages {
		switch p.Ecosystem {
		case model.EcosystemDeb:
			image = append(image, key{"debian:12", p.SourceOrName()})
		case model.EcosystemNPM, model.EcosystemGo:
			image = append(image, key{string(p.Ecosystem), p.Name})
		}
	}
	var distinct []key
	seen := map[key]bool{}
	for _, src := range []struct{ file, ns, eco string }{
		{"debian/osv-debian12-cve.jsonl", "debian:12", "Debian:12"},
		{"ghsa/npm.jsonl", "npm", "npm"},
		{"ghsa/pypi.jsonl", "pypi", "PyPI"},
		{"ghsa/maven.jsonl", "maven", "Maven"},
		{"ghsa/go.jsonl", "golang", "Go"},
		{"ghsa/crates.io.jsonl", "cargo", "crates.io"},
	} {
		readJSONL(b, filepath.Join(fx.data, src.file), func(r *rawRecord) {
			for _, a := range r.Affected {
				k := key{src.ns, a.Package.Name}
				if a.Package.Ecosystem == src.eco && !seen[k] && len(distinct) < 10000 {
					seen[k] = true
					distinct = append(distinct, k)
				}
			}
		})
	}
	if len(distinct) < 10000 {
		b.Fatalf("only %d distinct packages in the raw records", len(distinct))
	}
	ctx := context.Background()
	for name, keys := range map[string][]key{"image": image, "distinct": distinct} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				db, err := vulndb.Open(fx.dbPath)
				if err != nil {
					b.Fatal(err)
				}
				found := 0
				for i := range 10000 {
					k := keys[i%len(keys)]
					a, err := db.Affected(ctx, k.ns, k.name)
					if err != nil {
						b.Fatal(err)
					}
					found += len(a)
				}
				db.Close()
				if found == 0 {
					b.Fatal("no lookup found an entry")
				}
			}
		})
	}
}
