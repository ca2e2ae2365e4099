package rescan

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// JobKind is the job queue kind of a rescan job.
const JobKind = "rescan"

// Store is what rescans need from the server's store.
type Store interface {
	store.DigestIndex
	store.InventoryQuery
	store.JobQueue
	store.WorkloadStore
}

// Payload is a rescan job: the digests to re-match and the DB build they
// need (a replica whose DB is older reloads it first).
type Payload struct {
	Digests []string  `json:"digests"`
	DB      time.Time `json:"db,omitzero"`
}

// Rescanner re-matches stored inventories through the job queue. Every
// replica runs one; the queue hands each job to one of them.
type Rescanner struct {
	Store   Store
	Matcher *Matcher
	// Notify decides which new findings cause messages; zero sends none.
	Notify NotifyPolicy
	// Worker names this replica in job leases.
	Worker string
	// Lease is how long a claimed job stays ours without a heartbeat.
	Lease time.Duration
	// ChunkSize is the number of images per job.
	ChunkSize int
	// Parallel is how many images are matched at once; 0 means GOMAXPROCS.
	Parallel int
	// Poll is how often an idle worker looks for jobs.
	Poll time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rescanned, when set, observes every finished job.
	Rescanned func(images int, took time.Duration, err error)
	// Reported, when set, is called with each image's new report once a
	// job's results are stored (the admission verdict cache listens).
	Reported func(digest string, rep *model.Report)
}

func (r *Rescanner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Rescanner) lease() time.Duration {
	if r.Lease > 0 {
		return r.Lease
	}
	return time.Minute
}

// NewBatchID returns a fresh batch name.
func NewBatchID(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "-" + time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}

// EnqueueDiff queues a re-match of every image holding a package the diff
// names; it returns the batch and the number of images.
func (r *Rescanner) EnqueueDiff(ctx context.Context, d *vulndb.Diff) (string, int, error) {
	if d.Empty() {
		return "", 0, nil
	}
	digests, err := r.Store.DigestsHolding(ctx, Keys(d.Changes))
	if err != nil {
		return "", 0, fmt.Errorf("images touched by the DB diff: %w", err)
	}
	return r.enqueue(ctx, "diff", digests, d.To)
}

// EnqueueAll queues a re-match of every stored image.
func (r *Rescanner) EnqueueAll(ctx context.Context) (string, int, error) {
	digests, err := r.Store.Digests(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("stored images: %w", err)
	}
	built, _, _ := r.Matcher.DBInfo()
	return r.enqueue(ctx, "full", digests, built)
}

func (r *Rescanner) enqueue(ctx context.Context, prefix string, digests []string, db time.Time) (string, int, error) {
	if len(digests) == 0 {
		return "", 0, nil
	}
	size := r.ChunkSize
	if size <= 0 {
		size = 50
	}
	var payloads [][]byte
	for start := 0; start < len(digests); start += size {
		b, err := json.Marshal(Payload{Digests: digests[start:min(start+size, len(digests))], DB: db})
		if err != nil {
			return "", 0, err
		}
		payloads = append(payloads, b)
	}
	batch := NewBatchID(prefix)
	if err := r.Store.Enqueue(ctx, batch, JobKind, payloads); err != nil {
		return "", 0, fmt.Errorf("queue rescan: %w", err)
	}
	return batch, len(digests), nil
}

// Run works on queued jobs until ctx ends.
func (r *Rescanner) Run(ctx context.Context) error {
	poll := r.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	for {
		did, err := r.RunOne(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if did && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// RunOne claims and processes one job; it reports whether there was one.
func (r *Rescanner) RunOne(ctx context.Context) (bool, error) {
	job, err := r.Store.Claim(ctx, r.Worker, r.lease())
	if err != nil || job == nil {
		return false, err
	}
	start := time.Now()
	n, err := r.process(ctx, job)
	if r.Rescanned != nil {
		r.Rescanned(n, time.Since(start), err)
	}
	if errors.Is(err, errDBBehind) {
		// Another replica with a newer DB can take it; this one catches
		// up at its next update.
		if rerr := r.Store.Release(ctx, job.ID, r.Worker); rerr != nil && !errors.Is(rerr, store.ErrLeaseLost) {
			return true, errors.Join(err, rerr)
		}
		return false, err
	}
	if err != nil && !errors.Is(err, store.ErrLeaseLost) && ctx.Err() == nil {
		if ferr := r.Store.Fail(ctx, job.ID, r.Worker, err.Error()); ferr != nil && !errors.Is(ferr, store.ErrLeaseLost) {
			return true, errors.Join(err, ferr)
		}
	}
	return true, err
}

func (r *Rescanner) process(ctx context.Context, job *store.Job) (int, error) {
	var p Payload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return 0, fmt.Errorf("job %d: bad payload: %w", job.ID, err)
	}
	if err := r.ensureDB(p.DB); err != nil {
		return 0, fmt.Errorf("job %d: %w", job.ID, err)
	}
	// Renew the lease while working, and stop working once it is lost.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		t := time.NewTicker(r.lease() / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.Store.Heartbeat(ctx, job.ID, r.Worker, r.lease()); errors.Is(err, store.ErrLeaseLost) {
					cancel(err)
					return
				}
			}
		}
	}()
	updates, err := r.Rematch(ctx, p.Digests)
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, store.ErrLeaseLost) {
			return 0, cause
		}
		return 0, err
	}
	if err := r.Store.Complete(ctx, job.ID, r.Worker, updates); err != nil {
		return 0, fmt.Errorf("job %d: %w", job.ID, err)
	}
	if r.Reported != nil {
		for _, u := range updates {
			if u.Report != nil {
				r.Reported(u.Digest, u.Report)
			}
		}
	}
	return len(p.Digests), nil
}

// errDBBehind: this replica's DB is older than a job needs.
var errDBBehind = errors.New("this replica's vulnerability DB is older than the job needs")

// ensureDB reloads the DB from its file when a job needs a newer build
// than this replica holds (another replica updated the shared file).
func (r *Rescanner) ensureDB(need time.Time) error {
	built, path, ok := r.Matcher.DBInfo()
	if !ok {
		return fmt.Errorf("no vulnerability DB on this replica")
	}
	if need.IsZero() || !built.Before(need) {
		return nil
	}
	db, err := vulndb.Open(path)
	if err != nil {
		return fmt.Errorf("reload vulnerability DB: %w", err)
	}
	if db.BuiltAt().Before(need) {
		db.Close()
		return fmt.Errorf("%w: built %s, the job needs %s", errDBBehind, built.Format(time.RFC3339), need.Format(time.RFC3339))
	}
	r.Matcher.SetDB(db)
	return nil
}

// Rematch matches the stored inventories of digests again and returns
// the updates to store: reports, new/resolved events and notifications.
func (r *Rescanner) Rematch(ctx context.Context, digests []string) ([]store.ImageUpdate, error) {
	prep, err := r.Matcher.Prepare(ctx)
	if err != nil {
		return nil, err
	}
	defer prep.Done()
	now := r.now()
	updates := make([]store.ImageUpdate, len(digests))
	invs := make([]*model.Inventory, len(digests))
	par := r.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range min(par, len(digests)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				u, inv, err := r.rematchOne(ctx, prep, digests[i], now)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					continue
				}
				updates[i], invs[i] = u, inv
			}
		}()
	}
	for i := range digests {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.notifications(ctx, updates, invs, now); err != nil {
		return nil, err
	}
	return updates, nil
}

func (r *Rescanner) rematchOne(ctx context.Context, prep *Prepared, digest string, now time.Time) (store.ImageUpdate, *model.Inventory, error) {
	snap, err := r.Store.Snapshot(ctx, digest)
	if err != nil {
		return store.ImageUpdate{}, nil, fmt.Errorf("rescan %s: %w", digest, err)
	}
	next, err := prep.Report(ctx, snap.Inventory)
	if err != nil {
		return store.ImageUpdate{}, nil, err
	}
	u := store.ImageUpdate{Digest: digest, Events: Events(digest, snap.Counted, next, now)}
	// An unchanged result only marks the image rescanned; rewriting the
	// report would cost more than the match.
	if len(u.Events) > 0 || store.ReportFingerprint(next) != snap.Fingerprint {
		u.Report = next
	}
	return u, snap.Inventory, nil
}
