package admission

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
)

// fakeScanner stores what it scans into the fixture's store, as the
// server's ingest does, after release is closed (when set).
type fakeScanner struct {
	store   *MemoryVerdicts
	release chan struct{}
	err     error
	pass    bool
	calls   atomic.Int64

	mu   sync.Mutex
	refs []string
}

func (f *fakeScanner) Scan(ctx context.Context, ref, digest string) (Verdict, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.refs = append(f.refs, ref+" "+digest)
	f.mu.Unlock()
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return Verdict{}, ctx.Err()
		}
	}
	if f.err != nil {
		return Verdict{}, f.err
	}
	rep := report()
	if !f.pass {
		rep = report(highFinding("CVE-2024-3094"))
	}
	v := Verdict{Digest: digest, Refs: []string{ref}, Report: rep, Decision: model.Decision{Pass: f.pass}, ScannedAt: now, DBBuiltAt: now.Add(-time.Hour)}
	f.store.Put(v)
	return v, nil
}

func onDemandFixture(t *testing.T, sc *fakeScanner, budget time.Duration) *Handler {
	t.Helper()
	h, store, _, _ := newFixture(t, Config{Scanner: sc, ScanBudget: budget, Policy: failOnHigh()})
	sc.store = store
	return h
}

func TestScanOnDemandAdmits(t *testing.T) {
	sc := &fakeScanner{pass: true}
	h := onDemandFixture(t, sc, time.Second)
	got := post(t, h.Validating(), reviewOf(t, pod("shop", nil, "registry.local/new:0.1")))
	if !got.Allowed {
		t.Fatalf("denied: %s", message(got))
	}
	if diff := cmp.Diff([]string{"registry.local/new:0.1 " + digestNew}, sc.refs); diff != "" {
		t.Errorf("scans (-want +got):\n%s", diff)
	}
	// The verdict is cached: a second review scans nothing.
	if got := post(t, h.Validating(), reviewOf(t, pod("shop", nil, "registry.local/new:0.1"))); !got.Allowed {
		t.Fatalf("second review denied: %s", message(got))
	}
	if n := sc.calls.Load(); n != 1 {
		t.Errorf("scans = %d, want 1", n)
	}
}

func TestScanOnDemandJudgesTheResult(t *testing.T) {
	sc := &fakeScanner{pass: false}
	h := onDemandFixture(t, sc, time.Second)
	got := post(t, h.Validating(), reviewOf(t, pod("shop", nil, "registry.local/new:0.1")))
	want := `image registry.local/new:0.1 (` + digestNew + `) fails policy "prod": failOn: 1 finding(s) at or above HIGH (CVE-2024-3094)`
	if got.Allowed || !strings.Contains(message(got), want) {
		t.Fatalf("allowed=%v message %q, want a denial containing %q", got.Allowed, message(got), want)
	}
}

func TestScanOnDemandFailure(t *testing.T) {
	sc := &fakeScanner{err: errors.New("MANIFEST_UNKNOWN")}
	h := onDemandFixture(t, sc, time.Second)
	got := post(t, h.Validating(), reviewOf(t, pod("shop", nil, "registry.local/new:0.1")))
	want := "image registry.local/new:0.1 (" + digestNew + ") has not been scanned and the scan on demand failed: MANIFEST_UNKNOWN; run: bulwark scan image registry.local/new:0.1 --server https://bulwark.example"
	if got.Allowed || message(got) != "bulwark: "+want {
		t.Fatalf("allowed=%v message %q, want %q", got.Allowed, message(got), want)
	}
}

func TestScanOnDemandSharedAndBudget(t *testing.T) {
	sc := &fakeScanner{pass: true, release: make(chan struct{})}
	h := onDemandFixture(t, sc, 50*time.Millisecond)
	// Ten pods of one ReplicaSet arrive together: one scan serves all,
	// and each is told to retry once the budget runs out.
	var wg sync.WaitGroup
	msgs := make([]string, 10)
	for i := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := post(t, h.Validating(), reviewOf(t, pod("shop", nil, "registry.local/new:0.1")))
			if got.Allowed {
				msgs[i] = "allowed"
				return
			}
			msgs[i] = message(got)
		}()
	}
	wg.Wait()
	want := "bulwark: image registry.local/new:0.1 (" + digestNew + ") has not been scanned; a scan on demand is in progress and did not finish within 50ms: retry in a minute (or run: bulwark scan image registry.local/new:0.1 --server https://bulwark.example)"
	for i, m := range msgs {
		if m != want {
			t.Fatalf("review %d: %q, want %q", i, m, want)
		}
	}
	// The scan finishes in the background; the retry is admitted
	// without scanning again.
	close(sc.release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := post(t, h.Validating(), reviewOf(t, pod("shop", nil, "registry.local/new:0.1")))
		if got.Allowed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("retry still denied: %s", message(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := sc.calls.Load(); n != 1 {
		t.Errorf("scans = %d, want 1 shared by every review", n)
	}
}

func TestScanOnDemandOff(t *testing.T) {
	h, _, _, _ := newFixture(t, Config{})
	got := post(t, h.Validating(), reviewOf(t, pod("shop", nil, "registry.local/new:0.1")))
	if got.Allowed || strings.Contains(message(got), "on demand") {
		t.Fatalf("allowed=%v message %q, want the plain not-scanned denial", got.Allowed, message(got))
	}
}

func TestScanBudgetBelowWebhookTimeout(t *testing.T) {
	cache, err := NewCache(&MemoryVerdicts{}, CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Config{Scanner: &fakeScanner{}, ScanBudget: 30 * time.Second}, cache, &fakeResolver{})
	if err == nil || !strings.Contains(err.Error(), "must be below the webhook timeout") {
		t.Fatalf("err = %v, want a budget error", err)
	}
}
