//go:build integration

package rescan_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/rescan"
	"github.com/bulwark-security/bulwark/internal/scan"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/postgres/pgtest"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// sharedTestdata finds the shared test data: $BULWARK_SHARED, else
// ../shared beside the repository.
func sharedTestdata(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("BULWARK_SHARED")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
	}
	dir = filepath.Join(dir, "testdata")
	if _, err := os.Stat(filepath.Join(dir, "debian")); err != nil {
		t.Fatalf("shared test data missing (set BULWARK_SHARED): %v", err)
	}
	return dir
}

// splitDebian writes two feed bundles: every other record of the shared
// Debian data, and all of it.
func splitDebian(t *testing.T) (part, full feed.Source) {
	t.Helper()
	src := filepath.Join(sharedTestdata(t), "debian", "osv-debian12-cve.jsonl")
	dir := t.TempDir()
	for _, b := range []string{"part", "full"} {
		if err := os.MkdirAll(filepath.Join(dir, b, "debian"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	pf, _ := os.Create(filepath.Join(dir, "part", "debian", "osv-debian12-cve.jsonl"))
	ff, _ := os.Create(filepath.Join(dir, "full", "debian", "osv-debian12-cve.jsonl"))
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for i := 0; sc.Scan(); i++ {
		line := append(sc.Bytes(), '\n')
		ff.Write(line)
		if i%2 == 0 {
			pf.Write(line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	pf.Close()
	ff.Close()
	return feed.Source{Mirror: "file://" + filepath.Join(dir, "part")}, feed.Source{Mirror: "file://" + filepath.Join(dir, "full")}
}

func testImage(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("BULWARK_TEST_IMAGES")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "bulwark-test-images")
	}
	p := filepath.Join(dir, name+".docker.tar")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("test image missing (run scripts/setup-test-env.sh): %v", err)
	}
	return p
}

// TestRealImageRescanOnPostgres scans the real Debian 12 test image,
// ingests it into PostgreSQL with a DB built from half the Debian data,
// updates the DB with the rest and checks the rescan's new findings and
// their delivery, through a sink failure.
func TestRealImageRescanOnPostgres(t *testing.T) {
	ctx := context.Background()
	part, full := splitDebian(t)
	s := pgtest.Open(t, pgtest.FreshURL(t))
	defer s.Close()
	inv, err := scan.Inventory(ctx, "docker-archive:"+testImage(t, "debian12-app"), scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Image.Digest == "" {
		inv.Image.Digest = inv.Image.ConfigDigest
	}
	dbPath := filepath.Join(t.TempDir(), "bulwark.db")
	if _, err := vulndb.Update(ctx, dbPath, debianFeed(t), vulndb.UpdateOptions{Source: part}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	m := rescan.NewMatcher(db)
	defer m.Close()
	rs := &rescan.Rescanner{Store: s, Matcher: m, Worker: "w", Notify: rescan.NotifyPolicy{Sinks: []string{"hook"}}}
	prep, _ := m.Prepare(ctx)
	before, err := prep.Report(ctx, inv)
	prep.Done()
	if err != nil {
		t.Fatal(err)
	}
	d := inv.Image.Digest
	if err := s.PutImage(ctx, &store.Ingest{Inventory: inv, Update: store.ImageUpdate{Digest: d, Report: before, Events: rescan.Events(d, nil, before, time.Now())}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutWorkloads(ctx, "node-1", []store.Workload{{Cluster: "node-1", Namespace: "default", Pod: "app", Container: "app", Digest: d}}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	up := &rescan.Updater{Path: dbPath, Feeds: debianFeed(t), Source: full, Matcher: m, Rescanner: rs}
	res, err := up.Update(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != 1 {
		t.Fatalf("update queued %d images, want 1", res.Images)
	}
	for {
		did, err := rs.RunOne(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !did {
			break
		}
	}
	prep, _ = m.Prepare(ctx)
	after, err := prep.Report(ctx, inv)
	prep.Done()
	if err != nil {
		t.Fatal(err)
	}
	old := keysOf(before)
	var want []string
	for k := range keysOf(after) {
		if _, ok := old[k]; !ok {
			want = append(want, k)
		}
	}
	slices.Sort(want)
	if len(want) == 0 {
		t.Fatal("the second half of the Debian data adds no finding to the test image")
	}
	hist, err := s.History(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range hist {
		if _, ok := old[ev.VulnID+" "+ev.Package]; ev.Kind == store.EventNew && !ok {
			got = append(got, ev.VulnID+" "+ev.Package)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("new findings (-want +got):\n%s", diff)
	}
	t.Logf("%d findings before, %d new after the update", len(old), len(want))

	var fail atomic.Bool
	fail.Store(true)
	var hits atomic.Int32
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		hits.Add(1)
	}))
	defer sink.Close()
	now := time.Now()
	dl := &rescan.Deliverer{Outbox: s, Sinks: map[string]rescan.Sink{"hook": &rescan.Webhook{SinkName: "hook", URL: sink.URL}},
		Backoff: time.Second, Now: func() time.Time { return now }}
	if n, _ := dl.DeliverDue(ctx); n != 0 {
		t.Fatalf("delivered %d while the sink was down", n)
	}
	fail.Store(false)
	now = now.Add(5 * time.Second)
	if n, err := dl.DeliverDue(ctx); err != nil || n != len(want) || int(hits.Load()) != len(want) {
		t.Fatalf("redelivery: %d sent, %d received, %v; want %d", n, hits.Load(), err, len(want))
	}
}
