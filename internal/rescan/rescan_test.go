package rescan_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/ecosystem/all"
	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/rescan"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/sqlite"
	"github.com/bulwark-security/bulwark/internal/store/sqlstore"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

func debianFeed(t *testing.T) []feed.Feed {
	t.Helper()
	for _, f := range all.Feeds() {
		if f.Name() == "debian" {
			return []feed.Feed{f}
		}
	}
	t.Fatal("no debian feed in this build")
	return nil
}

func bundle(t *testing.T, name string) feed.Source {
	abs, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return feed.Source{Mirror: "file://" + abs}
}

func loadInventory(t *testing.T) *model.Inventory {
	t.Helper()
	b, err := os.ReadFile("testdata/inventory.json")
	if err != nil {
		t.Fatal(err)
	}
	var inv model.Inventory
	if err := json.Unmarshal(b, &inv); err != nil {
		t.Fatal(err)
	}
	return &inv
}

// env is a server's rescan machinery over an embedded store.
type env struct {
	store   *sqlstore.Store
	matcher *rescan.Matcher
	rs      *rescan.Rescanner
	up      *rescan.Updater
	dbPath  string
}

func newEnv(t *testing.T, s *sqlstore.Store, worker string) *env {
	t.Helper()
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "bulwark.db")
	if _, err := vulndb.Update(ctx, dbPath, debianFeed(t), vulndb.UpdateOptions{Source: bundle(t, "part")}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	m := rescan.NewMatcher(db)
	m.Risks = s
	t.Cleanup(m.Close)
	rs := &rescan.Rescanner{Store: s, Matcher: m, Worker: worker, Lease: 10 * time.Second, ChunkSize: 2,
		Notify: rescan.NotifyPolicy{Sinks: []string{"hook"}}}
	up := &rescan.Updater{Path: dbPath, Feeds: debianFeed(t), Source: bundle(t, "full"), Matcher: m, Rescanner: rs}
	return &env{store: s, matcher: m, rs: rs, up: up, dbPath: dbPath}
}

func openStore(t *testing.T) *sqlstore.Store {
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// ingest stores inv with a report made by the current DB, as the server's
// ingest endpoint does.
func (e *env) ingest(t *testing.T, inv *model.Inventory) *model.Report {
	t.Helper()
	ctx := context.Background()
	prep, err := e.matcher.Prepare(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer prep.Done()
	rep, err := prep.Report(ctx, inv)
	if err != nil {
		t.Fatal(err)
	}
	d := inv.Image.Digest
	if err := e.store.PutImage(ctx, &store.Ingest{Inventory: inv, Update: store.ImageUpdate{Digest: d, Report: rep, Events: rescan.Events(d, nil, rep, time.Now())}}); err != nil {
		t.Fatal(err)
	}
	return rep
}

func drain(t *testing.T, rs *rescan.Rescanner) {
	t.Helper()
	for {
		did, err := rs.RunOne(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !did {
			return
		}
	}
}

func keysOf(r *model.Report) map[string]model.Finding {
	out := map[string]model.Finding{}
	for _, f := range r.Findings {
		if f.State == model.MatchAffected && f.Suppressed == nil {
			out[f.VulnID+" "+f.Package.Name] = f
		}
	}
	return out
}

// TestDiffRescanFindsNewFindingsAndNotifies builds a DB from part of the
// Debian data, ingests an inventory, updates the DB with the rest, and
// checks the rescan records exactly the findings the added records cause,
// honours an accepted risk, and delivers one signed message per new
// finding, again after the sink recovers.
func TestDiffRescanFindsNewFindingsAndNotifies(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	e := newEnv(t, s, "replica-1")
	inv := loadInventory(t)
	before := e.ingest(t, inv)
	if err := s.PutWorkloads(ctx, "watcher", []store.Workload{{Cluster: "prod", Namespace: "shop", Workload: "deploy/app", Pod: "app-1", Container: "app", Digest: inv.Image.Digest}}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	const accepted = "CVE-2023-52425"
	if _, err := s.PutRisk(ctx, store.AcceptedRisk{VulnID: accepted, Package: "expat", Reason: "no untrusted XML", Owner: "team-app"}); err != nil {
		t.Fatal(err)
	}

	res, err := e.up.Update(ctx)
	if err != nil {
		t.Fatal(err)
	}
	touched := map[string]bool{}
	for _, c := range res.DB.Diff.Changes {
		touched[c.Package] = true
	}
	if res.Images != 1 || !touched["libxml2"] || !touched["expat"] || !touched["openldap"] || touched["tar"] {
		t.Fatalf("update touched %d images and packages %v; want 1 image and libxml2, expat, openldap (not tar)", res.Images, touched)
	}
	drain(t, e.rs)
	st, err := s.Batch(ctx, res.Batch)
	if err != nil || st != (store.BatchStatus{Done: 1}) {
		t.Fatalf("batch %s = %+v, %v; want one job done", res.Batch, st, err)
	}

	// The expected new findings: what the full DB finds that the partial
	// one did not, minus the accepted risk.
	full, err := vulndb.Open(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	prep, err := e.matcher.Prepare(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, err := prep.Report(ctx, inv)
	prep.Done()
	if err != nil {
		t.Fatal(err)
	}
	old, cur := keysOf(before), keysOf(after)
	var want []string
	for k, f := range cur {
		if _, ok := old[k]; !ok {
			if !slices.Contains([]string{"libxml2", "libexpat1", "libldap-2.5-0"}, f.Package.Name) {
				t.Errorf("new finding %s is in a package the update did not touch", k)
			}
			want = append(want, k)
		}
	}
	slices.Sort(want)
	if len(want) < 3 {
		t.Fatalf("only %d new findings expected; the test data should give more", len(want))
	}
	if _, ok := cur[accepted+" libexpat1"]; ok {
		t.Errorf("accepted risk %s was not applied by the rescan", accepted)
	}
	hist, err := s.History(ctx, inv.Image.Digest)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range hist {
		if _, ingested := old[ev.VulnID+" "+ev.Package]; ev.Kind == store.EventNew && !ingested {
			got = append(got, ev.VulnID+" "+ev.Package)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("new findings recorded by the rescan (-want +got):\n%s", diff)
	}
	stored, err := s.Report(ctx, inv.Image.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keysOf(after), keysOf(stored)); diff != "" {
		t.Errorf("stored report differs from a fresh match (-want +got):\n%s", diff)
	}

	// The sink is down for the first attempts, then comes back.
	var down atomic.Bool
	down.Store(true)
	var mu sync.Mutex
	var received []rescan.Message
	secret := []byte("s3cret")
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		if got := r.Header.Get(rescan.SignatureHeader); got != rescan.Sign(secret, body) {
			t.Errorf("signature %q does not match the body", got)
		}
		var m rescan.Message
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		received = append(received, m)
		mu.Unlock()
	}))
	defer sink.Close()
	now := time.Now()
	d := &rescan.Deliverer{Outbox: s, Sinks: map[string]rescan.Sink{"hook": &rescan.Webhook{SinkName: "hook", URL: sink.URL, Secret: secret}},
		Backoff: time.Minute, Now: func() time.Time { return now }}
	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("DeliverDue with the sink down = %d, %v", n, err)
	}
	if n, _ := s.PendingNotifications(ctx); n != len(want) {
		t.Fatalf("outbox holds %d messages while the sink is down; want %d", n, len(want))
	}
	down.Store(false)
	if n, _ := d.DeliverDue(ctx); n != 0 {
		t.Errorf("messages were retried before their backoff elapsed")
	}
	now = now.Add(2 * time.Minute)
	if n, err := d.DeliverDue(ctx); err != nil || n != len(want) {
		t.Fatalf("DeliverDue after the sink came back = %d, %v; want %d", n, err, len(want))
	}
	var gotMsgs []string
	for _, m := range received {
		if !m.Running || len(m.Workloads) != 1 || m.Digest != inv.Image.Digest {
			t.Errorf("message %+v: want the running image and its workload", m)
		}
		gotMsgs = append(gotMsgs, m.VulnID+" "+m.Package)
	}
	slices.Sort(gotMsgs)
	if diff := cmp.Diff(want, gotMsgs); diff != "" {
		t.Errorf("delivered messages (-want +got):\n%s", diff)
	}
	if n, _ := s.PendingNotifications(ctx); n != 0 {
		t.Errorf("%d messages left in the outbox", n)
	}
}

// TestFullRescanUnchangedDB re-matches everything against the same DB:
// nothing is new, nothing is resolved, nothing is sent.
func TestFullRescanUnchangedDB(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	e := newEnv(t, s, "replica-1")
	e.rs.Notify.AllImages = true
	for i := range 5 {
		inv := loadInventory(t)
		inv.Image.Digest = "sha256:" + string(rune('a'+i))
		e.ingest(t, inv)
	}
	batch, n, err := e.rs.EnqueueAll(ctx)
	if err != nil || n != 5 {
		t.Fatalf("EnqueueAll = %d, %v", n, err)
	}
	drain(t, e.rs)
	st, _ := s.Batch(ctx, batch)
	if st != (store.BatchStatus{Done: 3}) {
		t.Errorf("batch = %+v; want 3 jobs of at most 2 images done", st)
	}
	hist, _ := s.History(ctx, "sha256:a")
	for _, ev := range hist {
		if ev.Kind == store.EventResolved {
			t.Errorf("unchanged DB resolved %s", ev.VulnID)
		}
	}
	if p, _ := s.PendingNotifications(ctx); p != 0 {
		t.Errorf("%d notifications for an unchanged DB", p)
	}
}

func TestEvents(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := func(id, pkg string, sup bool) model.Finding {
		x := model.Finding{VulnID: id, Package: model.PackageRef{Name: pkg, Version: "1"}, State: model.MatchAffected, Severity: model.RatingHigh}
		if sup {
			x.Suppressed = &model.Suppression{Kind: "ignore"}
		}
		return x
	}
	prev := &model.Report{Findings: []model.Finding{f("CVE-1", "a", false), f("CVE-2", "a", false), f("CVE-4", "c", true)}}
	next := &model.Report{Findings: []model.Finding{f("CVE-2", "a", false), f("CVE-3", "b", false), f("CVE-4", "c", true), f("CVE-5", "d", true)}}
	got := rescan.Events("sha256:x", store.Counted(prev), next, at)
	want := []store.FindingEvent{
		{Digest: "sha256:x", Kind: store.EventNew, VulnID: "CVE-3", Package: "b", Version: "1", Severity: model.RatingHigh, At: at},
		{Digest: "sha256:x", Kind: store.EventResolved, VulnID: "CVE-1", Package: "a", Version: "1", Severity: model.RatingHigh, At: at},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Events (-want +got):\n%s", diff)
	}
}
