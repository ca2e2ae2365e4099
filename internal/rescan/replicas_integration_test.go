//go:build integration

package rescan_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/rescan"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/postgres/pgtest"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// TestTwoReplicasShareTheRescan runs two replicas on one PostgreSQL: a DB
// update queues a rescan of many images, one replica dies holding a job
// and the other is stopped mid-run; every job is still done exactly once
// and every image gets its new findings exactly once.
func TestTwoReplicasShareTheRescan(t *testing.T) {
	ctx := context.Background()
	url := pgtest.FreshURL(t)
	sa, sb := pgtest.Open(t, url), pgtest.Open(t, url)
	defer sa.Close()
	defer sb.Close()
	a := newEnv(t, sa, "replica-a")
	// Both replicas read the DB file at one path (a shared volume), so b
	// reloads it when a job needs the newer build.
	dbB, err := vulndb.Open(a.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	mb := rescan.NewMatcher(dbB)
	mb.Risks = sb
	defer mb.Close()
	const lease = 2 * time.Second
	a.rs.Lease, a.rs.ChunkSize, a.rs.Poll = lease, 5, 50*time.Millisecond
	b := &rescan.Rescanner{Store: sb, Matcher: mb, Worker: "replica-b", Lease: lease, Poll: 50 * time.Millisecond,
		Notify: a.rs.Notify}

	const images = 120
	inv := loadInventory(t)
	before := a.ingest(t, inv)
	digests := []string{inv.Image.Digest}
	for i := 1; i < images; i++ {
		x := loadInventory(t)
		x.Image.Digest = fmt.Sprintf("sha256:%064x", i)
		a.ingest(t, x)
		digests = append(digests, x.Image.Digest)
	}

	res, err := a.up.Update(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != images {
		t.Fatalf("update queued %d images, want %d", res.Images, images)
	}
	// A third worker claims a job and dies without finishing it.
	dead, err := sb.Claim(ctx, "replica-dead", lease)
	if err != nil || dead == nil {
		t.Fatalf("claim = %v, %v", dead, err)
	}

	var done sync.Map // job worker -> images
	count := func(name string) func(int, time.Duration, error) {
		return func(n int, _ time.Duration, err error) {
			if err == nil {
				v, _ := done.LoadOrStore(name, new(int))
				*(v.(*int)) += n
			}
		}
	}
	a.rs.Rescanned, b.Rescanned = count("a"), count("b")
	ctxA, stopA := context.WithCancel(ctx)
	ctxB, stopB := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.rs.Run(ctxA) })
	wg.Go(func() { _ = b.Run(ctxB) })
	time.Sleep(300 * time.Millisecond)
	stopB() // b stops mid-run; a job it held is reclaimed after its lease
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := sa.Batch(ctx, res.Batch)
		if err != nil {
			t.Fatal(err)
		}
		if st.Finished() {
			if st.Failed != 0 {
				t.Errorf("batch = %+v; want no failed jobs", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch not finished after 60s: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopA()
	wg.Wait()

	jobs, err := sa.JobsDoneBy(ctx, res.Batch)
	if err != nil {
		t.Fatal(err)
	}
	if want := (images + 4) / 5; len(jobs) != want {
		t.Errorf("%d jobs done, want %d", len(jobs), want)
	}
	if w := jobs[dead.ID]; w != "replica-a" && w != "replica-b" {
		t.Errorf("the dead replica's job %d was done by %q; want a live replica", dead.ID, w)
	}
	var na, nb int
	if v, ok := done.Load("a"); ok {
		na = *(v.(*int))
	}
	if v, ok := done.Load("b"); ok {
		nb = *(v.(*int))
	}
	if na+nb != images {
		t.Errorf("replicas re-matched %d + %d images, want %d in all (none twice, none lost)", na, nb, images)
	}
	t.Logf("replica a re-matched %d images, replica b %d", na, nb)

	// Every image has the same new findings, recorded once.
	old := keysOf(before)
	var want int
	for _, d := range digests {
		hist, err := sa.History(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range hist {
			if _, ok := old[e.VulnID+" "+e.Package]; e.Kind == store.EventNew && !ok {
				n++
			}
		}
		if d == digests[0] {
			want = n
			if n == 0 {
				t.Fatal("the update found nothing new")
			}
		}
		if n != want {
			t.Errorf("%s: %d new findings recorded, want %d", d, n, want)
		}
	}
	// No image runs anywhere, and the policy notifies for running ones.
	if p, _ := sa.PendingNotifications(ctx); p != 0 {
		t.Errorf("%d notifications queued for images that do not run", p)
	}
}
