package vulndb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
)

func buildTestDB(t *testing.T, feeds ...*fakeFeed) (string, *UpdateResult) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db", FileName)
	res, err := Update(context.Background(), path, feedList(feeds...), UpdateOptions{})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return path, res
}

func openT(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestUpdateJoinsAndLooksUp(t *testing.T) {
	ctx := context.Background()
	path, res := buildTestDB(t, allTestFeeds()...)
	if res.Previous == nil {
		t.Error("first build: Previous = nil, want the reason no DB was used")
	}
	db := openT(t, path)

	got, err := db.Affected(ctx, "debian:12", "glibc")
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Affected{{VulnID: "CVE-2023-4911", Namespace: "debian:12", Ecosystem: model.EcosystemDeb, Package: "glibc",
		Status: model.StatusFixed, Ranges: []model.Range{{Introduced: "0", Fixed: "2.36-9+deb12u3"}}, Source: "debian"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Affected(debian:12, glibc) (-want +got):\n%s", diff)
	}

	// PyPI names are stored PEP 503-normalised and found by any spelling;
	// the GHSA entry is reported under its CVE.
	for _, name := range []string{"flask", "Flask", "FLASK"} {
		got, err := db.Affected(ctx, "pypi", name)
		if err != nil || len(got) != 1 || got[0].VulnID != "CVE-2023-30861" || got[0].Source != "ghsa-pypi" {
			t.Errorf("Affected(pypi, %s) = %+v, %v; want one entry for CVE-2023-30861 from ghsa-pypi", name, got, err)
		}
	}
	if got, _ := db.Affected(ctx, "pypi", "zope.interface"); len(got) != 1 || got[0].VulnID != "GHSA-aaaa-bbbb-cccc" {
		t.Errorf("Affected(pypi, zope.interface) = %+v; want GHSA-aaaa-bbbb-cccc (no CVE: the GHSA is preferred)", got)
	}
	if got, _ := db.Affected(ctx, "debian:12", "openssl"); len(got) != 0 {
		t.Errorf("Affected(debian:12, openssl) = %+v, want none", got)
	}

	v, err := db.Vulnerability(ctx, "CVE-2023-4911")
	if err != nil {
		t.Fatal(err)
	}
	wantV := &model.Vulnerability{
		ID: "CVE-2023-4911", Summary: "glibc: buffer overflow in ld.so",
		Details:    "A buffer overflow was discovered in the GNU C Library's dynamic loader.",
		Modified:   day("2024-01-05"),
		Severities: []model.Severity{{Source: "nvd", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Score: 7.8, Rating: model.RatingHigh}},
		CWEs:       []string{"CWE-787"},
		KEV:        &model.KEV{DateAdded: "2023-11-21"},
	}
	if diff := cmp.Diff(wantV, v); diff != "" {
		t.Errorf("Vulnerability(CVE-2023-4911) (-want +got):\n%s", diff)
	}

	// Any alias finds the joined record: GO ↔ CVE ↔ GHSA.
	for _, id := range []string{"GO-2022-0969", "GHSA-69cg-p879-7622", "CVE-2022-27664"} {
		v, err := db.Vulnerability(ctx, id)
		if err != nil || v == nil {
			t.Fatalf("Vulnerability(%s) = %v, %v", id, v, err)
		}
		if diff := cmp.Diff([]string{"GHSA-69cg-p879-7622", "GO-2022-0969"}, v.Aliases); v.ID != "CVE-2022-27664" || diff != "" {
			t.Errorf("Vulnerability(%s) = %s aliases (-want +got):\n%s", id, v.ID, diff)
		}
		if diff := cmp.Diff([]string{"CWE-400"}, v.CWEs); diff != "" {
			t.Errorf("Vulnerability(%s) CWEs from nvd (-want +got):\n%s", id, diff)
		}
	}
	if got, _ := db.Affected(ctx, "golang", "golang.org/x/net"); len(got) != 1 || got[0].VulnID != "CVE-2022-27664" || len(got[0].GoSymbols) != 1 {
		t.Errorf("Affected(golang, golang.org/x/net) = %+v; want CVE-2022-27664 with symbols", got)
	}

	// The DSA names two CVEs: it stays itself and neither CVE joins it.
	v, _ = db.Vulnerability(ctx, "DSA-5514-1")
	if v == nil || v.ID != "DSA-5514-1" || !cmp.Equal(v.Aliases, []string{"CVE-2023-1111", "CVE-2023-2222"}) {
		t.Errorf("Vulnerability(DSA-5514-1) = %+v; want itself with both CVEs as aliases", v)
	}
	if v, _ := db.Vulnerability(ctx, "CVE-2023-1111"); v != nil {
		t.Errorf("Vulnerability(CVE-2023-1111) = %+v; want nil (no record of its own)", v)
	}
	// Enrichment for a vulnerability no package has is not stored.
	if v, _ := db.Vulnerability(ctx, "CVE-2099-0001"); v != nil {
		t.Errorf("Vulnerability(CVE-2099-0001) = %+v; want nil", v)
	}

	for ns, want := range map[string]bool{"debian:12": true, "pypi": true, "golang": true, "alpine:3.18": false} {
		if got, _ := db.HasNamespace(ctx, ns); got != want {
			t.Errorf("HasNamespace(%s) = %v, want %v", ns, got, want)
		}
	}
	info, _ := db.Info(ctx)
	if diff := cmp.Diff([]string{"debian", "ghsa-pypi", "go", "kev", "nvd"}, info.Sources); diff != "" || info.Schema != SchemaVersion {
		t.Errorf("Info sources (-want +got):\n%s schema %d", diff, info.Schema)
	}
	srcs := db.Sources()
	if srcs[0].Name != "debian" || srcs[0].Records != 3 || srcs[0].Affected != 3 || srcs[0].Fingerprint != "deb-1" ||
		!srcs[0].NewestAdvisory.Equal(day("2024-01-05")) || srcs[0].FeedVersion != 1 {
		t.Errorf("debian source meta = %+v", srcs[0])
	}
	wantCounts := Counts{Vulnerabilities: 6, Aliases: 3, Namespaces: 3, Packages: 6, Affected: 6}
	if diff := cmp.Diff(wantCounts, db.Counts()); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
}

func TestUpdateUnchangedSourceIsNotReparsed(t *testing.T) {
	ctx := context.Background()
	deb, ghsa, golang, kev, nvd := testFeeds()
	path, _ := buildTestDB(t, deb, ghsa, golang, kev, nvd)
	before := lookups(t, path)

	res, err := Update(ctx, path, feedList(deb, ghsa, golang, kev, nvd), UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Previous != nil {
		t.Errorf("Previous = %v, want the current DB used", res.Previous)
	}
	for _, f := range []*fakeFeed{deb, ghsa, golang, kev, nvd} {
		if f.fetches != 2 || f.parses != 1 {
			t.Errorf("%s: %d fetches %d parses, want 2 and 1", f.name, f.fetches, f.parses)
		}
	}
	for _, s := range res.Sources {
		if !s.Unchanged {
			t.Errorf("source %s not reported unchanged", s.Name)
		}
	}
	if !res.Diff.Empty() {
		t.Errorf("diff of an unchanged update = %+v, want empty", res.Diff)
	}
	if diff := cmp.Diff(before, lookups(t, path)); diff != "" {
		t.Errorf("lookups after unchanged update (-before +after):\n%s", diff)
	}
	for _, s := range openT(t, path).Sources() {
		if !s.CheckedAt.After(s.FetchedAt) || s.Records == 0 {
			t.Errorf("source %s after an unchanged update: %+v; want CheckedAt after FetchedAt", s.Name, s)
		}
	}
	if d, err := LastDiff(path); err != nil || !d.Empty() || d.From.IsZero() {
		t.Errorf("LastDiff = %+v, %v; want an empty diff from the previous build", d, err)
	}

	// A new parser version forces a fresh parse even with the same data.
	deb.version = 2
	if _, err := Update(ctx, path, feedList(deb, ghsa, golang, kev, nvd), UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if deb.parses != 2 || ghsa.parses != 1 {
		t.Errorf("after a debian parser bump: debian parsed %d times, ghsa %d; want 2 and 1", deb.parses, ghsa.parses)
	}
}

// lookups answers a fixed set of questions, for comparing DBs.
func lookups(t *testing.T, path string) map[string]any {
	t.Helper()
	ctx := context.Background()
	db := openT(t, path)
	out := map[string]any{}
	for _, q := range [][2]string{{"debian:12", "glibc"}, {"debian:12", "apt"}, {"debian:12", "chromium"}, {"pypi", "flask"}, {"golang", "golang.org/x/net"}} {
		got, err := db.Affected(ctx, q[0], q[1])
		if err != nil {
			t.Fatal(err)
		}
		out[q[0]+"/"+q[1]] = got
	}
	for _, id := range []string{"CVE-2023-4911", "GHSA-m2qf-hxjv-5gpq", "GO-2022-0969"} {
		v, err := db.Vulnerability(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = v
	}
	return out
}

func TestUpdateDiff(t *testing.T) {
	deb, ghsa, golang, kev, nvd := testFeeds()
	path, res := buildTestDB(t, deb, ghsa, golang, kev, nvd)
	if !res.Diff.Initial || len(res.Diff.Changes) != 6 {
		t.Errorf("first diff: initial=%v, %d packages; want initial with all 6", res.Diff.Initial, len(res.Diff.Changes))
	}

	// glibc gets a new fixed version, apt's record disappears, a new CVE
	// lands on curl; KEV changes only the vulnerability, not any package.
	deb.fp = "deb-2"
	deb.records[0].Affected[0].Ranges[0].Fixed = "2.36-9+deb12u4"
	deb.records = append(deb.records[:1:1], deb.records[2],
		feed.Record{Vulnerability: model.Vulnerability{ID: "CVE-2024-6197"}, Affected: []model.Affected{debFixed("CVE-2024-6197", "curl", "7.88.1-10+deb12u7")}})
	kev.fp = "kev-2"
	kev.records[1].Vulnerability.ID = "CVE-2022-27664"
	res, err := Update(context.Background(), path, feedList(deb, ghsa, golang, kev, nvd), UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []PackageChange{
		{Namespace: "debian:12", Package: "apt", Removed: []string{"CVE-2011-3374"}},
		{Namespace: "debian:12", Package: "curl", Added: []string{"CVE-2024-6197"}},
		{Namespace: "debian:12", Package: "glibc", Changed: []string{"CVE-2023-4911"}},
	}
	if diff := cmp.Diff(want, res.Diff.Changes); diff != "" || res.Diff.Initial {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
	stored, err := openT(t, path).LastDiff()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Diff, stored); diff != "" {
		t.Errorf("LastDiff differs from the update's (-update +stored):\n%s", diff)
	}
}

func TestFailingFeedKeepsPreviousDB(t *testing.T) {
	ctx := context.Background()
	deb, ghsa, golang, kev, nvd := testFeeds()
	path, _ := buildTestDB(t, deb, ghsa, golang, kev, nvd)
	before := lookups(t, path)
	stat, _ := os.Stat(path)

	for name, breakIt := range map[string]func(){
		"corrupt record after good ones": func() { ghsa.fp, ghsa.corruptAt = "ghsa-2", 2 },
		"network failure":                func() { ghsa.fetchErr = errors.New("dial tcp: connection refused") },
	} {
		t.Run(name, func(t *testing.T) {
			ghsa.fp, ghsa.corruptAt, ghsa.fetchErr = "ghsa-1", 0, nil
			breakIt()
			_, err := Update(ctx, path, feedList(deb, ghsa, golang, kev, nvd), UpdateOptions{})
			if err == nil {
				t.Fatal("Update succeeded with a broken feed")
			}
			if !strings.Contains(err.Error(), "source ghsa-pypi") {
				t.Errorf("error %q does not name the source", err)
			}
			if ghsa.corruptAt > 0 && !strings.Contains(err.Error(), "ghsa-pypi.jsonl: record 2") {
				t.Errorf("error %q does not name the file and record", err)
			}
			if diff := cmp.Diff(before, lookups(t, path)); diff != "" {
				t.Errorf("previous DB changed (-before +after):\n%s", diff)
			}
			now, _ := os.Stat(path)
			if !os.SameFile(stat, now) {
				t.Error("previous DB file was replaced")
			}
			left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".bulwark-*"))
			if len(left) != 0 {
				t.Errorf("temp files left behind: %v", left)
			}
		})
	}
}

func TestUpdateCarryOthers(t *testing.T) {
	deb, ghsa, golang, kev, nvd := testFeeds()
	path, _ := buildTestDB(t, deb, ghsa, golang, kev, nvd)
	before := lookups(t, path)
	deb.fp = "deb-2"
	res, err := Update(context.Background(), path, feedList(deb), UpdateOptions{CarryOthers: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sources) != 5 || ghsa.fetches != 1 || deb.parses != 2 {
		t.Errorf("sources %+v, ghsa fetched %d times, debian parsed %d; want 5 sources, 1, 2", res.Sources, ghsa.fetches, deb.parses)
	}
	if diff := cmp.Diff(before, lookups(t, path)); diff != "" {
		t.Errorf("carried content changed (-before +after):\n%s", diff)
	}

	// Without CarryOthers the DB holds exactly the given feeds.
	if _, err := Update(context.Background(), path, feedList(deb), UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	info, _ := openT(t, path).Info(context.Background())
	if diff := cmp.Diff([]string{"debian"}, info.Sources); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
}

func TestOpenRefusesOtherSchemas(t *testing.T) {
	for _, tc := range []struct {
		schema, want string
	}{
		{"3", "DB schema 3 is newer than this bulwark understands (1); upgrade bulwark or run bulwark db update"},
		{"0", "DB schema 0 is older than this bulwark understands (1); run bulwark db update"},
		{"", "is not a bulwark vulnerability DB"},
	} {
		path := filepath.Join(t.TempDir(), FileName)
		b, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = b.Update(func(tx *bolt.Tx) error {
			m, err := tx.CreateBucket(bucketMeta)
			if err != nil || tc.schema == "" {
				return err
			}
			return m.Put(keySchema, []byte(tc.schema))
		})
		b.Close()
		if err != nil {
			t.Fatal(err)
		}
		_, err = Open(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("schema %q: Open error %v, want %q", tc.schema, err, tc.want)
		}
		var se *SchemaError
		if tc.schema != "" && !errors.As(err, &se) {
			t.Errorf("schema %q: error is not a *SchemaError", tc.schema)
		}
		// An update replaces such a file instead of failing on it.
		res, err := Update(context.Background(), path, feedList(allTestFeeds()...), UpdateOptions{})
		if err != nil || res.Previous == nil {
			t.Errorf("schema %q: Update over it = %v (previous %v), want a fresh build", tc.schema, err, res)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.db")); err == nil || !strings.Contains(err.Error(), "run bulwark db update") {
		t.Errorf("Open(missing) = %v, want advice to run bulwark db update", err)
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a database ", 400)), 0o644)
	if _, err := Open(junk); err == nil {
		t.Error("Open(junk) succeeded")
	}
}

func TestCheckAge(t *testing.T) {
	path, _ := buildTestDB(t, allTestFeeds()...)
	db := openT(t, path)
	if err := db.CheckAge(time.Hour); err != nil {
		t.Errorf("fresh DB: %v", err)
	}
	if err := db.CheckAge(0); err != nil {
		t.Errorf("no limit: %v", err)
	}
	time.Sleep(5 * time.Millisecond)
	err := db.CheckAge(time.Millisecond)
	var se *StaleError
	if !errors.As(err, &se) || se.Max != time.Millisecond || !strings.Contains(err.Error(), "run bulwark db update") {
		t.Errorf("CheckAge(1ms) = %v, want a *StaleError", err)
	}
}

func TestConcurrentReadersDuringSwap(t *testing.T) {
	ctx := context.Background()
	deb, ghsa, golang, kev, nvd := testFeeds()
	path, _ := buildTestDB(t, deb, ghsa, golang, kev, nvd)
	held := openT(t, path) // opened before every swap: keeps the old file mapped

	stop := make(chan struct{})
	errs := make(chan error, 4)
	for range 3 {
		go func() {
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				db, err := Open(path)
				if err != nil {
					errs <- err
					return
				}
				got, err := db.Affected(ctx, "debian:12", "glibc")
				db.Close()
				if err != nil || len(got) != 1 {
					errs <- errors.Join(err, errors.New("glibc lookup lost during a swap"))
					return
				}
				if got, err := held.Affected(ctx, "pypi", "flask"); err != nil || len(got) != 1 {
					errs <- errors.Join(err, errors.New("held DB stopped answering"))
					return
				}
			}
		}()
	}
	for i := range 5 {
		deb.fp = "deb-swap-" + string(rune('a'+i))
		if _, err := Update(ctx, path, feedList(deb, ghsa, golang, kev, nvd), UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	for range 3 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
