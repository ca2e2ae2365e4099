package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/sqlstore"
)

func testWorkloads(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	c := withClock(s)
	w1 := store.Workload{Cluster: "prod", Namespace: "shop", Workload: "deploy/cart", Pod: "cart-1", Container: "app", Digest: "sha256:aaa"}
	w2 := store.Workload{Cluster: "prod", Namespace: "shop", Workload: "deploy/web", Pod: "web-1", Container: "app", Digest: "sha256:bbb"}
	if err := s.PutWorkloads(ctx, "watcher-prod", []store.Workload{w1, w2}, c.t.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A new report from the same reporter replaces its set.
	if err := s.PutWorkloads(ctx, "watcher-prod", []store.Workload{w1}, c.t.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	w3 := w2
	w3.Cluster = "node-7"
	if err := s.PutWorkloads(ctx, "agent-node-7", []store.Workload{w3}, c.t.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Workloads(ctx, []string{"sha256:aaa", "sha256:bbb"}, c.t)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Workload{w3, w1}, got); diff != "" {
		t.Errorf("Workloads (-want +got):\n%s", diff)
	}
	run, err := s.Running(ctx, []string{"sha256:aaa", "sha256:bbb", "sha256:ccc"}, c.t.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"sha256:aaa": true}, run); diff != "" {
		t.Errorf("Running after node-7 expired (-want +got):\n%s", diff)
	}
	if err := s.PutWorkloads(ctx, "x", []store.Workload{{Pod: "p"}}, c.t); err == nil {
		t.Error("PutWorkloads without digest succeeded")
	}
}

func testRisks(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	c := withClock(s)
	r, err := s.PutRisk(ctx, store.AcceptedRisk{VulnID: "CVE-2023-45853", Package: "zlib", Reason: "minizip not shipped", Owner: "team-a", Expires: c.t.AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID == 0 {
		t.Error("PutRisk returned no id")
	}
	if _, err := s.PutRisk(ctx, store.AcceptedRisk{VulnID: "CVE-1"}); err == nil {
		t.Error("PutRisk without reason succeeded")
	}
	got, err := s.Risks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.AcceptedRisk{r}, got); diff != "" {
		t.Errorf("Risks (-want +got):\n%s", diff)
	}
	if err := s.DeleteRisk(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRisk(ctx, r.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteRisk = %v, want ErrNotFound", err)
	}
}

func testTokens(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	c := withClock(s)
	hash := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tok := store.Token{Name: "ci", Hash: hash, Scopes: []store.Scope{store.ScopeIngest, store.ScopeRead}, CreatedAt: c.t}
	if err := s.PutToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenByHash(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&tok, got); diff != "" {
		t.Errorf("TokenByHash (-want +got):\n%s", diff)
	}
	if _, err := s.TokenByHash(ctx, "ff"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash(unknown) = %v", err)
	}
	if err := s.PutToken(ctx, store.Token{Name: "bad", Hash: "short", Scopes: []store.Scope{store.ScopeRead}}); err == nil {
		t.Error("PutToken with a bad hash succeeded")
	}
	list, err := s.Tokens(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "ci" {
		t.Errorf("Tokens = %v, %v", list, err)
	}
	if err := s.DeleteToken(ctx, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByHash(ctx, hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash after delete = %v", err)
	}
}

func testJobs(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	c := withClock(s)
	if err := s.Enqueue(ctx, "b1", "rescan", [][]byte{[]byte("one"), []byte("two")}); err != nil {
		t.Fatal(err)
	}
	j1, err := s.Claim(ctx, "w1", time.Minute)
	if err != nil || j1 == nil || string(j1.Payload) != "one" || j1.Attempts != 1 {
		t.Fatalf("Claim = %+v, %v", j1, err)
	}
	j2, err := s.Claim(ctx, "w2", time.Minute)
	if err != nil || j2 == nil || string(j2.Payload) != "two" {
		t.Fatalf("second Claim = %+v, %v", j2, err)
	}
	if j, err := s.Claim(ctx, "w3", time.Minute); err != nil || j != nil {
		t.Fatalf("Claim with nothing free = %+v, %v", j, err)
	}
	// w1 keeps its lease alive; w2 dies and its job goes to w3.
	c.t = c.t.Add(50 * time.Second)
	if err := s.Heartbeat(ctx, j1.ID, "w1", time.Minute); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(30 * time.Second)
	j3, err := s.Claim(ctx, "w3", time.Minute)
	if err != nil || j3 == nil || j3.ID != j2.ID || j3.Attempts != 2 {
		t.Fatalf("Claim after w2's lease ran out = %+v, %v; want job %d again", j3, err, j2.ID)
	}
	if err := s.Complete(ctx, j2.ID, "w2", nil); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Complete by the worker that lost the lease = %v, want ErrLeaseLost", err)
	}
	if err := s.Heartbeat(ctx, j2.ID, "w2", time.Minute); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Heartbeat by the worker that lost the lease = %v, want ErrLeaseLost", err)
	}
	if err := s.Complete(ctx, j3.ID, "w3", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Fail(ctx, j1.ID, "w1", "boom"); err != nil {
		t.Fatal(err)
	}
	st, err := s.Batch(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.BatchStatus{Queued: 1, Done: 1}, st); diff != "" {
		t.Errorf("Batch (-want +got):\n%s", diff)
	}
	// A released job comes back with its attempt uncounted.
	rel, err := s.Claim(ctx, "w4", time.Minute)
	if err != nil || rel == nil || rel.ID != j1.ID || rel.Attempts != 2 {
		t.Fatalf("Claim after Fail = %+v, %v", rel, err)
	}
	if err := s.Release(ctx, rel.ID, "w4"); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, rel.ID, "w4"); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("second Release = %v, want ErrLeaseLost", err)
	}
	again, err := s.Claim(ctx, "w1", time.Minute)
	if err != nil || again == nil || again.ID != j1.ID || again.Attempts != 2 {
		t.Fatalf("Claim after Release = %+v, %v", again, err)
	}
	if err := s.Complete(ctx, again.ID, "w1", []store.ImageUpdate{{Digest: "sha256:unknown"}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Complete with an unknown image = %v, want ErrNotFound", err)
	}
	// The failed transaction left the job running for w1.
	if err := s.Complete(ctx, again.ID, "w1", nil); err != nil {
		t.Fatal(err)
	}
	done, err := s.JobsDoneBy(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int64]string{j1.ID: "w1", j2.ID: "w3"}, done); diff != "" {
		t.Errorf("JobsDoneBy (-want +got):\n%s", diff)
	}
}

func testOutbox(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	c := withClock(s)
	if err := s.EnqueueNotifications(ctx, []store.Notification{{Sink: "webhook", Payload: []byte("a")}, {Sink: "slack", Payload: []byte("b")}}); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueNotifications(ctx, c.t, time.Minute, 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("DueNotifications = %v, %v", due, err)
	}
	if again, _ := s.DueNotifications(ctx, c.t, time.Minute, 10); len(again) != 0 {
		t.Errorf("leased messages came back before the lease ran out: %v", again)
	}
	if err := s.Delivered(ctx, due[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Retry(ctx, due[1].ID, c.t.Add(10*time.Second), "503"); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.DueNotifications(ctx, c.t.Add(5*time.Second), time.Minute, 10); len(d) != 0 {
		t.Errorf("message due before its retry time: %v", d)
	}
	d, err := s.DueNotifications(ctx, c.t.Add(11*time.Second), time.Minute, 10)
	if err != nil || len(d) != 1 || string(d[0].Payload) != "b" || d[0].Attempts != 2 {
		t.Fatalf("DueNotifications at retry time = %+v, %v", d, err)
	}
	if n, _ := s.PendingNotifications(ctx); n != 1 {
		t.Errorf("PendingNotifications = %d, want 1", n)
	}
}
