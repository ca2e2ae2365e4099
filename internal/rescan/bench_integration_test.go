//go:build integration

package rescan_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/bulwark-security/bulwark/internal/ecosystem/all"
	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/rescan"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/postgres/pgtest"
	"github.com/bulwark-security/bulwark/internal/store/sqlite"
	"github.com/bulwark-security/bulwark/internal/store/sqlstore"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// realPackages reads the Debian packages of the shared nginx+python image
// and the npm packages of the shared lock file.
func realPackages(b testing.TB) (deb, npm []model.Package) {
	data := sharedTestdata(b)
	f, err := os.Open(filepath.Join(data, "pkgdb", "debian12-nginx-python", "var", "lib", "dpkg", "status"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var p model.Package
	flush := func() {
		if p.Name != "" {
			p.Ecosystem, p.Origin = model.EcosystemDeb, model.OriginInstalled
			p.PURL = "pkg:deb/debian/" + p.Name + "@" + p.Version
			deb = append(deb, p)
		}
		p = model.Package{}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "Package: "):
			p.Name = strings.TrimPrefix(line, "Package: ")
		case strings.HasPrefix(line, "Version: "):
			p.Version = strings.TrimPrefix(line, "Version: ")
		case strings.HasPrefix(line, "Source: "):
			src := strings.TrimPrefix(line, "Source: ")
			if name, ver, ok := strings.Cut(src, " ("); ok {
				p.SourceName, p.SourceVersion = name, strings.TrimSuffix(ver, ")")
			} else {
				p.SourceName = src
			}
		}
	}
	flush()
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	raw, err := os.ReadFile(filepath.Join(data, "pkgdb", "npm-lockfile-v3", "package-lock.json"))
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		b.Fatal(err)
	}
	for path, v := range lock.Packages {
		i := strings.LastIndex(path, "node_modules/")
		if i < 0 || v.Version == "" {
			continue
		}
		name := path[i+len("node_modules/"):]
		npm = append(npm, model.Package{Ecosystem: model.EcosystemNPM, Name: name, Version: v.Version,
			PURL: "pkg:npm/" + name + "@" + v.Version, Origin: model.OriginLockfile, Locations: []string{"/app/package-lock.json"}})
	}
	slices.SortFunc(npm, func(a, b model.Package) int { return strings.Compare(a.Name+a.Version, b.Name+b.Version) })
	return deb, npm
}

// syntheticInventory is image i: every Debian package, and 300 minus
// that of the npm packages, rotating with i; the first npm package (the
// "marker") is in every hundredth image only.
func syntheticInventory(i int, deb, npm []model.Package) *model.Inventory {
	pkgs := append([]model.Package(nil), deb...)
	rest := npm[1:]
	want := 300 - len(deb)
	if i%100 == 0 {
		pkgs = append(pkgs, npm[0])
		want--
	}
	for j := 0; j < want && j < len(rest); j++ {
		pkgs = append(pkgs, rest[(i+j)%len(rest)])
	}
	return &model.Inventory{Schema: model.InventorySchema,
		Image:    model.Image{Name: "bench/app-" + strconv.Itoa(i%500), Digest: fmt.Sprintf("sha256:%064x", i+1), Tags: []string{"v" + strconv.Itoa(i)}},
		Distro:   &model.Distro{ID: "debian", VersionID: "12", Release: "12"},
		Packages: pkgs, CreatedAt: time.Now().UTC()}
}

// benchDB builds (once per cache dir) a DB from the shared Debian and GHSA
// npm data.
func benchDB(b testing.TB) string {
	data := sharedTestdata(b)
	dir := filepath.Join(os.TempDir(), "bulwark-bench-db")
	path := filepath.Join(dir, "bulwark.db")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	bundle := filepath.Join(dir, "bundle")
	for _, d := range []string{"debian", "ghsa"} {
		if err := os.MkdirAll(filepath.Join(bundle, d), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	for _, l := range [][2]string{{"debian/osv-debian12-cve.jsonl", "debian/osv-debian12-cve.jsonl"}, {"debian/osv-debian12-dsa.jsonl", "debian/osv-debian12-dsa.jsonl"}, {"ghsa/npm.jsonl", "ghsa/npm.jsonl"}} {
		_ = os.Symlink(filepath.Join(data, l[0]), filepath.Join(bundle, l[1]))
	}
	var feeds []feed.Feed
	for _, f := range all.Feeds() {
		if f.Name() == "debian" || strings.HasPrefix(f.Name(), "ghsa") {
			feeds = append(feeds, f)
		}
	}
	if _, err := vulndb.Update(context.Background(), path, feeds, vulndb.UpdateOptions{Source: feed.Source{Mirror: "file://" + bundle}}); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchImages() int {
	if n, err := strconv.Atoi(os.Getenv("BULWARK_BENCH_IMAGES")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// BenchmarkScale ingests BULWARK_BENCH_IMAGES (default 10,000) synthetic
// inventories of 300 real packages, then measures a full rescan, a rescan
// of the 1% of images a DB diff touches, and the affected query. Run with
// -benchtime=1x; the figures are in docs/server.md.
func BenchmarkScale(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			var s *sqlstore.Store
			if kind == "sqlite" {
				var err error
				if s, err = sqlite.Open(context.Background(), b.TempDir()); err != nil {
					b.Fatal(err)
				}
			} else {
				s = pgtest.Open(b, pgtest.FreshURL(b))
			}
			defer s.Close()
			benchScale(b, s)
		})
	}
}

func benchScale(b *testing.B, s *sqlstore.Store) {
	ctx := context.Background()
	db, err := vulndb.Open(benchDB(b))
	if err != nil {
		b.Fatal(err)
	}
	m := rescan.NewMatcher(db)
	defer m.Close()
	rs := &rescan.Rescanner{Store: s, Matcher: m, Worker: "bench", ChunkSize: 100, Lease: 5 * time.Minute}
	deb, npm := realPackages(b)
	n := benchImages()
	marker, rareVuln := vulnerableNPM(b, m, npm)
	npm[0], npm[marker] = npm[marker], npm[0]

	start := time.Now()
	prep, err := m.Prepare(ctx)
	if err != nil {
		b.Fatal(err)
	}
	// Ingest as the server does under concurrent pushes: matches in
	// parallel, writes as the store orders them.
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0) + 1)
	for i := 0; i < n; i++ {
		g.Go(func() error {
			inv := syntheticInventory(i, deb, npm)
			rep, err := prep.Report(ctx, inv)
			if err != nil {
				return err
			}
			return s.PutImage(ctx, &store.Ingest{Inventory: inv, Update: store.ImageUpdate{Digest: inv.Image.Digest, Report: rep}})
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	prep.Done()
	ingest := time.Since(start)
	b.ReportMetric(ingest.Seconds(), "ingest-s")
	b.Logf("ingest: %d inventories of 300 packages in %s (%.1f ms each, match + store)", n, ingest.Round(time.Millisecond), float64(ingest.Milliseconds())/float64(n))

	drain := func() {
		for {
			did, err := rs.RunOne(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if !did {
				return
			}
		}
	}
	b.ResetTimer()
	for range b.N {
		cpu0 := cpuTime()
		t0 := time.Now()
		if _, k, err := rs.EnqueueAll(ctx); err != nil || k != n {
			b.Fatalf("EnqueueAll = %d, %v", k, err)
		}
		drain()
		full := time.Since(t0)
		fullCPU := cpuTime() - cpu0

		t0 = time.Now()
		marker := model.NormalizeName(model.EcosystemNPM, npm[0].Name)
		_, k, err := rs.EnqueueDiff(ctx, &vulndb.Diff{To: db.BuiltAt(), Changes: []vulndb.PackageChange{{Namespace: "npm", Package: marker, Changed: []string{"x"}}}})
		if err != nil {
			b.Fatal(err)
		}
		drain()
		diff := time.Since(t0)

		t0 = time.Now()
		const q = 20
		var rows int
		for range q {
			aff, err := s.Affected(ctx, []string{"CVE-2023-45853"})
			if err != nil {
				b.Fatal(err)
			}
			rows = len(aff)
		}
		affected := time.Since(t0) / q
		t0 = time.Now()
		var rareRows int
		for range q {
			aff, err := s.Affected(ctx, []string{rareVuln})
			if err != nil {
				b.Fatal(err)
			}
			rareRows = len(aff)
		}
		rare := time.Since(t0) / q
		b.ReportMetric(fullCPU.Seconds(), "full-rescan-cpu-s")
		b.ReportMetric(float64(rare.Microseconds())/1000, "affected-1pct-ms")
		b.Logf("full rescan CPU time (user+system, all cores): %s; affected query for %s (%d rows): %s", fullCPU.Round(time.Millisecond), rareVuln, rareRows, rare.Round(time.Microsecond))
		b.ReportMetric(full.Seconds(), "full-rescan-s")
		b.ReportMetric(diff.Seconds(), "diff-rescan-s")
		b.ReportMetric(float64(affected.Microseconds())/1000, "affected-ms")
		b.Logf("full rescan of %d images: %s; diff rescan of %d images (1%%): %s; affected query (%d rows): %s",
			n, full.Round(time.Millisecond), k, diff.Round(time.Millisecond), rows, affected.Round(time.Microsecond))
	}
}

// vulnerableNPM returns the index of an npm package with a finding, and
// that finding's id, so the 1% marker images share a real vulnerability.
func vulnerableNPM(b testing.TB, m *rescan.Matcher, npm []model.Package) (int, string) {
	prep, err := m.Prepare(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer prep.Done()
	for i, p := range npm {
		rep, err := prep.Report(context.Background(), &model.Inventory{Packages: []model.Package{p}})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range rep.Findings {
			if f.State == model.MatchAffected {
				return i, f.VulnID
			}
		}
	}
	b.Fatal("no npm package of the lock file has a finding")
	return 0, ""
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
