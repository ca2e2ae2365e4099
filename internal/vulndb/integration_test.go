//go:build integration

package vulndb_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/ecosystem/all"
	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// sharedTestdata finds the shared test data: $BULWARK_SHARED, else
// ../shared beside the repository.
func sharedTestdata(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BULWARK_SHARED")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
	}
	dir = filepath.Join(dir, "testdata")
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.md")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data missing: %v", err)
		}
		t.Skipf("shared test data missing: %v", err)
	}
	return dir
}

// debianSources lists the source package names of a real Debian 12
// system's dpkg status file: what a scan of that image looks up.
func debianSources(t *testing.T, status string) []string {
	t.Helper()
	f, err := os.Open(status)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	name := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Package: "):
			name = strings.TrimPrefix(line, "Package: ")
		case strings.HasPrefix(line, "Source: "):
			name = strings.Fields(strings.TrimPrefix(line, "Source: "))[0]
		case line == "" && name != "":
			out = append(out, name)
			name = ""
		}
	}
	if name != "" {
		out = append(out, name)
	}
	return out
}

func TestFullDBFromSharedTestdata(t *testing.T) {
	data := sharedTestdata(t)
	ctx := context.Background()
	var feeds []feed.Feed
	for _, f := range all.Feeds() {
		if feed.DefaultEnabled(f) {
			feeds = append(feeds, f)
		}
	}
	path := filepath.Join(t.TempDir(), "db", vulndb.FileName)
	src := feed.Source{Mirror: "file://" + data}

	start := time.Now()
	res, err := vulndb.Update(ctx, path, feeds, vulndb.UpdateOptions{Source: src})
	if err != nil {
		t.Fatalf("build from %s: %v", data, err)
	}
	t.Logf("full build: %s, %+v", time.Since(start).Round(time.Millisecond), res.Counts)
	st, _ := os.Stat(path)
	t.Logf("file size: %d MiB", st.Size()>>20)

	opens := make([]time.Duration, 5)
	for i := range opens {
		s := time.Now()
		db, err := vulndb.Open(path)
		opens[i] = time.Since(s)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	slices.Sort(opens)
	t.Logf("open: median %s (budget 50ms)", opens[len(opens)/2])

	db, err := vulndb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Every default source is listed, with records.
	got := map[string]vulndb.SourceMeta{}
	for _, s := range db.Sources() {
		got[s.Name] = s
	}
	for _, f := range feeds {
		if s, ok := got[f.Name()]; !ok || s.Records == 0 || s.Fingerprint == "" {
			t.Errorf("source %s: %+v, want records and a fingerprint", f.Name(), s)
		}
	}

	// Lookups a scan of the real Debian 12 system makes, 10,000 of them.
	names := debianSources(t, filepath.Join(data, "pkgdb", "debian12-nginx-python", "var", "lib", "dpkg", "status"))
	if len(names) < 100 {
		t.Fatalf("only %d packages in the dpkg status sample", len(names))
	}
	s := time.Now()
	cold := 0
	for _, n := range names {
		a, err := db.Affected(ctx, "debian:12", n)
		if err != nil {
			t.Fatal(err)
		}
		cold += len(a)
	}
	t.Logf("first lookup of each of %d source packages (decoded from the file): %s, %d entries", len(names), time.Since(s).Round(time.Microsecond), cold)
	s = time.Now()
	entries := 0
	for i := range 10000 {
		a, err := db.Affected(ctx, "debian:12", names[i%len(names)])
		if err != nil {
			t.Fatal(err)
		}
		entries += len(a)
	}
	t.Logf("10,000 debian:12 lookups over %d source packages: %s, %d entries decoded (budget 50ms)", len(names), time.Since(s).Round(time.Microsecond), entries)

	// Known facts of the staged data.
	glibc, _ := db.Affected(ctx, "debian:12", "glibc")
	if !slices.ContainsFunc(glibc, func(a model.Affected) bool { return a.VulnID == "CVE-2023-4911" && a.Source == "debian" }) {
		t.Errorf("debian:12 glibc has no CVE-2023-4911 entry from debian (%d entries)", len(glibc))
	}
	v, err := db.Vulnerability(ctx, "CVE-2023-4911")
	if err != nil || v == nil || v.KEV == nil {
		t.Errorf("CVE-2023-4911 = %+v, %v; want a record with KEV", v, err)
	}
	flask, _ := db.Affected(ctx, "pypi", "Flask")
	if !slices.ContainsFunc(flask, func(a model.Affected) bool { return a.VulnID == "CVE-2023-30861" }) {
		t.Errorf("pypi Flask lacks CVE-2023-30861 (GHSA-m2qf-hxjv-5gpq joined to its CVE): %d entries", len(flask))
	}
	if v, _ := db.Vulnerability(ctx, "GHSA-m2qf-hxjv-5gpq"); v == nil || v.ID != "CVE-2023-30861" {
		t.Errorf("GHSA-m2qf-hxjv-5gpq resolves to %+v, want CVE-2023-30861", v)
	}
	for _, ns := range []string{"debian:12", "alpine:3.20", "ubuntu:22.04", "pypi", "npm", "golang", "maven"} {
		if ok, _ := db.HasNamespace(ctx, ns); !ok {
			t.Errorf("no data for namespace %s", ns)
		}
	}
	nss, _ := db.Namespaces()
	t.Logf("namespaces: %v", nss)
	db.Close()

	// A second update of unchanged data copies every source.
	start = time.Now()
	res, err = vulndb.Update(ctx, path, feeds, vulndb.UpdateOptions{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("unchanged update: %s", time.Since(start).Round(time.Millisecond))
	for _, s := range res.Sources {
		if !s.Unchanged {
			t.Errorf("source %s re-parsed although unchanged", s.Name)
		}
	}
	if !res.Diff.Empty() {
		t.Errorf("unchanged update changed %d packages, e.g. %+v", len(res.Diff.Changes), res.Diff.Changes[0])
	}
}

// BenchmarkDebianLookups10k replays a real Debian 12 system's lookups
// against a DB built from the shared test data (BULWARK_BENCH_DB, e.g.
// after `bulwark db update --mirror file://…/testdata`).
func BenchmarkDebianLookups10k(b *testing.B) {
	path := os.Getenv("BULWARK_BENCH_DB")
	if path == "" {
		b.Skip("set BULWARK_BENCH_DB to a DB built from the shared test data")
	}
	t := &testing.T{}
	names := debianSources(t, filepath.Join(sharedTestdata(t), "pkgdb", "debian12-nginx-python", "var", "lib", "dpkg", "status"))
	db, err := vulndb.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for i := range 10000 {
			if _, err := db.Affected(ctx, "debian:12", names[i%len(names)]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
