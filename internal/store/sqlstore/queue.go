package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bulwark-security/bulwark/internal/store"
)

// maxAttempts is how often a job is tried before it is marked failed.
const maxAttempts = 5

// Enqueue adds one job per payload to batch.
func (s *Store) Enqueue(ctx context.Context, batch, kind string, payloads [][]byte) error {
	rows := make([][]any, len(payloads))
	for i, p := range payloads {
		rows[i] = []any{batch, kind, p, "queued"}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return s.insertRows(ctx, tx, `INSERT INTO jobs (batch, kind, payload, state)`, 4, rows)
	})
}

// Claim leases the oldest queued job, or a running one whose lease ran
// out, to worker.
func (s *Store) Claim(ctx context.Context, worker string, lease time.Duration) (*store.Job, error) {
	now := s.now()
	var j store.Job
	err := s.w.QueryRowContext(ctx, s.q(`UPDATE jobs SET state = 'running', worker = ?, lease_until = ?, attempts = attempts + 1
		WHERE id = (SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_until < ?)
			ORDER BY id LIMIT 1`+s.d.SkipLocked+`)
		RETURNING id, batch, kind, payload, attempts`), worker, now.Add(lease).UnixNano(), now.UnixNano()).
		Scan(&j.ID, &j.Batch, &j.Kind, &j.Payload, &j.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: claim job: %w", s.d.Name, err)
	}
	return &j, nil
}

// Heartbeat extends worker's lease on a job.
func (s *Store) Heartbeat(ctx context.Context, id int64, worker string, lease time.Duration) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE jobs SET lease_until = ? WHERE id = ? AND worker = ? AND state = 'running'`),
		s.now().Add(lease).UnixNano(), id, worker)
	if err != nil {
		return fmt.Errorf("%s: heartbeat job %d: %w", s.d.Name, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("job %d: %w", id, store.ErrLeaseLost)
	}
	return nil
}

// Complete stores a job's results and marks it done in one transaction,
// only while worker still holds it.
func (s *Store) Complete(ctx context.Context, id int64, worker string, updates []store.ImageUpdate) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE jobs SET state = 'done', done_by = ?, lease_until = 0 WHERE id = ? AND worker = ? AND state = 'running'`),
			worker, id, worker)
		if err != nil {
			return fmt.Errorf("%s: complete job %d: %w", s.d.Name, id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("job %d: %w", id, store.ErrLeaseLost)
		}
		for i := range updates {
			if err := s.writeUpdate(ctx, tx, &updates[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Fail gives a job back, or marks it failed after maxAttempts.
func (s *Store) Fail(ctx context.Context, id int64, worker, reason string) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE jobs SET state = CASE WHEN attempts >= ? THEN 'failed' ELSE 'queued' END,
		worker = '', lease_until = 0, error = ? WHERE id = ? AND worker = ? AND state = 'running'`), maxAttempts, reason, id, worker)
	if err != nil {
		return fmt.Errorf("%s: fail job %d: %w", s.d.Name, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("job %d: %w", id, store.ErrLeaseLost)
	}
	return nil
}

// Release gives a job back without counting the attempt.
func (s *Store) Release(ctx context.Context, id int64, worker string) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE jobs SET state = 'queued', worker = '', lease_until = 0, attempts = attempts - 1
		WHERE id = ? AND worker = ? AND state = 'running'`), id, worker)
	if err != nil {
		return fmt.Errorf("%s: release job %d: %w", s.d.Name, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("job %d: %w", id, store.ErrLeaseLost)
	}
	return nil
}

// Batch counts a batch's jobs by state.
func (s *Store) Batch(ctx context.Context, batch string) (store.BatchStatus, error) {
	var b store.BatchStatus
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT state, COUNT(*) FROM jobs WHERE batch = ? GROUP BY state`), batch)
	if err != nil {
		return b, fmt.Errorf("%s: batch %s: %w", s.d.Name, batch, err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return b, fmt.Errorf("%s: batch %s: %w", s.d.Name, batch, err)
		}
		switch state {
		case "queued":
			b.Queued = n
		case "running":
			b.Running = n
		case "done":
			b.Done = n
		case "failed":
			b.Failed = n
		}
	}
	return b, rows.Err()
}

// JobsDoneBy maps each done job of batch to the worker that completed it;
// tests use it to prove each job ran once.
func (s *Store) JobsDoneBy(ctx context.Context, batch string) (map[int64]string, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, done_by FROM jobs WHERE batch = ? AND state = 'done'`), batch)
	if err != nil {
		return nil, fmt.Errorf("%s: jobs of %s: %w", s.d.Name, batch, err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var w string
		if err := rows.Scan(&id, &w); err != nil {
			return nil, err
		}
		out[id] = w
	}
	return out, rows.Err()
}

func (s *Store) enqueueNotifications(ctx context.Context, tx *sql.Tx, ns []store.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	now := s.now().UnixNano()
	rows := make([][]any, len(ns))
	for i, n := range ns {
		rows[i] = []any{n.Sink, n.Payload, now, now}
	}
	return s.insertRows(ctx, tx, `INSERT INTO outbox (sink, payload, next_at, created)`, 4, rows)
}

// EnqueueNotifications adds messages to the outbox.
func (s *Store) EnqueueNotifications(ctx context.Context, ns []store.Notification) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.enqueueNotifications(ctx, tx, ns) })
}

// DueNotifications leases due messages: their next attempt moves to
// now+lease, so a sender that dies leaves them to be retried.
func (s *Store) DueNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Notification, error) {
	var sub string
	if s.d.SkipLocked != "" {
		sub = `SELECT id FROM outbox WHERE next_at <= ? ORDER BY id LIMIT ?` + s.d.SkipLocked
	} else {
		sub = `SELECT id FROM outbox WHERE next_at <= ? ORDER BY id LIMIT ?`
	}
	rows, err := s.w.QueryContext(ctx, s.q(`UPDATE outbox SET next_at = ?, attempts = attempts + 1 WHERE id IN (`+sub+`)
		RETURNING id, sink, payload, attempts, created`), now.Add(lease).UnixNano(), now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("%s: due notifications: %w", s.d.Name, err)
	}
	defer rows.Close()
	var out []store.Notification
	for rows.Next() {
		var n store.Notification
		var created int64
		if err := rows.Scan(&n.ID, &n.Sink, &n.Payload, &n.Attempts, &created); err != nil {
			return nil, fmt.Errorf("%s: due notifications: %w", s.d.Name, err)
		}
		n.Created = fromNanos(created)
		out = append(out, n)
	}
	return out, rows.Err()
}

// Delivered removes a sent message.
func (s *Store) Delivered(ctx context.Context, id int64) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM outbox WHERE id = ?`), id); err != nil {
		return fmt.Errorf("%s: delivered %d: %w", s.d.Name, id, err)
	}
	return nil
}

// Retry schedules a message's next attempt.
func (s *Store) Retry(ctx context.Context, id int64, next time.Time, reason string) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE outbox SET next_at = ?, last_error = ? WHERE id = ?`), next.UnixNano(), reason, id); err != nil {
		return fmt.Errorf("%s: retry %d: %w", s.d.Name, id, err)
	}
	return nil
}

// PendingNotifications counts undelivered messages.
func (s *Store) PendingNotifications(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: pending notifications: %w", s.d.Name, err)
	}
	return n, nil
}
