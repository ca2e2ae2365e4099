package admission

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Scanner scans an image the webhook has no verdict for and stores the
// result where later lookups find it (the server's inventory). ref is the
// image as the workload names it, without a digest ("registry.local/web:1.4",
// "nginx"); digest is the manifest digest to scan, which is what the
// verdict must be stored under.
type Scanner interface {
	Scan(ctx context.Context, ref, digest string) (Verdict, error)
}

// ScanFunc adapts a function to Scanner.
type ScanFunc func(ctx context.Context, ref, digest string) (Verdict, error)

// Scan calls f.
func (f ScanFunc) Scan(ctx context.Context, ref, digest string) (Verdict, error) {
	return f(ctx, ref, digest)
}

var _ Scanner = ScanFunc(nil)

// errScanPending is returned when a scan on demand outlived the review's
// budget; it keeps running so the API server's retry finds its verdict.
var errScanPending = errors.New("scan in progress")

// scanJob is one scan on demand, shared by every review of its digest.
type scanJob struct {
	done chan struct{}
	v    Verdict
	err  error
}

// onDemand runs scans for unknown digests: one per digest however many
// reviews ask (a Deployment's ReplicaSet creates its pods at once), a few
// at a time, each detached from the review that started it so a scan that
// outlives the webhook timeout still completes.
type onDemand struct {
	scanner Scanner
	cache   *Cache
	budget  time.Duration
	timeout time.Duration
	slots   chan struct{}

	mu   sync.Mutex
	jobs map[string]*scanJob
}

func newOnDemand(s Scanner, cache *Cache, budget, timeout time.Duration, concurrent int) *onDemand {
	return &onDemand{scanner: s, cache: cache, budget: budget, timeout: timeout,
		slots: make(chan struct{}, concurrent), jobs: map[string]*scanJob{}}
}

// await returns the verdict of a scan of digest, starting one unless one
// is running, and waits for it at most the budget. errScanPending means
// the scan goes on in the background.
func (o *onDemand) await(ctx context.Context, ref, digest string) (Verdict, error) {
	o.mu.Lock()
	j, running := o.jobs[digest]
	if !running {
		j = &scanJob{done: make(chan struct{})}
		o.jobs[digest] = j
		go o.run(j, ref, digest)
	}
	o.mu.Unlock()
	t := time.NewTimer(o.budget)
	defer t.Stop()
	select {
	case <-j.done:
		return j.v, j.err
	case <-t.C:
		return Verdict{}, errScanPending
	case <-ctx.Done():
		return Verdict{}, errScanPending
	}
}

func (o *onDemand) run(j *scanJob, ref, digest string) {
	defer func() {
		o.mu.Lock()
		delete(o.jobs, digest)
		o.mu.Unlock()
		close(j.done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	select {
	case o.slots <- struct{}{}:
		defer func() { <-o.slots }()
	case <-ctx.Done():
		j.err = fmt.Errorf("waited %s for a free scan slot", o.timeout)
		return
	}
	v, err := o.scanner.Scan(ctx, ref, digest)
	if err != nil {
		j.err = err
		return
	}
	if v.Digest == "" {
		v.Digest = digest
	}
	if v.Digest != digest {
		j.err = fmt.Errorf("the scan stored digest %s, not %s", v.Digest, digest)
		return
	}
	o.cache.Update(v)
	j.v = v
}
