package store

import (
	"context"
	"errors"
	"time"
)

// ErrLeaseLost is returned when a worker acts on a job whose lease ran
// out and another worker now holds it; the worker must drop its result.
var ErrLeaseLost = errors.New("job lease lost")

// Job is one unit of queued work: a batch of image digests to re-match.
type Job struct {
	ID       int64
	Batch    string
	Kind     string
	Payload  []byte
	Attempts int
}

// BatchStatus counts a batch's jobs by state.
type BatchStatus struct {
	Queued  int `json:"queued"`
	Running int `json:"running"`
	Done    int `json:"done"`
	Failed  int `json:"failed"`
}

// Finished reports whether no job of the batch is waiting or running.
func (b BatchStatus) Finished() bool { return b.Queued == 0 && b.Running == 0 }

// JobQueue spreads work over replicas. A claimed job is leased; a worker
// renews the lease while it works, and a job whose lease runs out (its
// worker died) is claimed again. Completing writes the job's results and
// marks it done in one transaction, so each job's results land once.
type JobQueue interface {
	// Enqueue adds one job per payload to batch.
	Enqueue(ctx context.Context, batch, kind string, payloads [][]byte) error
	// Claim leases the oldest available job to worker; nil when none.
	Claim(ctx context.Context, worker string, lease time.Duration) (*Job, error)
	// Heartbeat extends worker's lease on a job (ErrLeaseLost if gone).
	Heartbeat(ctx context.Context, id int64, worker string, lease time.Duration) error
	// Complete stores the job's image updates and marks it done, only
	// while worker still holds the lease (else ErrLeaseLost).
	Complete(ctx context.Context, id int64, worker string, updates []ImageUpdate) error
	// Fail gives a job back for a retry, or marks it failed for good
	// after too many attempts.
	Fail(ctx context.Context, id int64, worker, reason string) error
	// Release gives a job back untried, for a worker that cannot do it
	// yet (its vulnerability DB is older than the job needs).
	Release(ctx context.Context, id int64, worker string) error
	// Batch counts a batch's jobs by state.
	Batch(ctx context.Context, batch string) (BatchStatus, error)
}

// Notification is one message for one sink, kept until delivered.
type Notification struct {
	ID       int64
	Sink     string
	Payload  []byte
	Attempts int
	Created  time.Time
}

// Outbox keeps notifications until a sink accepts them.
type Outbox interface {
	// Enqueue adds messages.
	EnqueueNotifications(ctx context.Context, ns []Notification) error
	// Due leases up to limit messages whose next attempt is due.
	DueNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Notification, error)
	// Delivered removes a sent message.
	Delivered(ctx context.Context, id int64) error
	// Retry schedules the next attempt at next and records the error.
	Retry(ctx context.Context, id int64, next time.Time, reason string) error
	// Pending counts messages not yet delivered.
	PendingNotifications(ctx context.Context) (int, error)
}

// Server is everything the server needs from its store.
type Server interface {
	InventoryWriter
	InventoryQuery
	DigestIndex
	WorkloadStore
	RiskStore
	TokenStore
	JobQueue
	Outbox
	RuntimeEventStore
	Close() error
}
