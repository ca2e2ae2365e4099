package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
)

// PutRuntimeEvents stores a batch of agent events in one transaction. The
// columns a query filters on are kept apart; the whole event is kept as
// JSON so fields the agent adds later survive without a migration.
func (s *Store) PutRuntimeEvents(ctx context.Context, evs []model.RuntimeEvent, received time.Time) error {
	if len(evs) == 0 {
		return nil
	}
	rows := make([][]any, 0, len(evs))
	for i := range evs {
		e := &evs[i]
		if e.Time.IsZero() || e.Type == "" {
			return fmt.Errorf("put runtime events: event %d: time and type are required", i)
		}
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("put runtime events: event %d: %w", i, err)
		}
		rows = append(rows, []any{e.Time.UnixNano(), received.UnixNano(), e.Type, e.ImageDigest, e.Namespace, e.Verdict, b})
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return s.insertRows(ctx, tx, `INSERT INTO runtime_events (at, received, type, digest, namespace, verdict, event)`, 7, rows)
	})
}

// RuntimeEvents returns the events q selects, newest first.
func (s *Store) RuntimeEvents(ctx context.Context, q store.RuntimeEventQuery) ([]store.RuntimeEvent, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if q.Digest != "" {
		add("digest = ?", q.Digest)
	}
	if q.Namespace != "" {
		add("namespace = ?", q.Namespace)
	}
	if q.Verdict != "" {
		add("verdict = ?", q.Verdict)
	}
	if q.Type != "" {
		add("type = ?", q.Type)
	}
	if !q.Since.IsZero() {
		add("at >= ?", q.Since.UnixNano())
	}
	limit := q.Limit
	if limit <= 0 || limit > store.MaxRuntimeEvents {
		limit = store.MaxRuntimeEvents
	}
	query := `SELECT id, received, event FROM runtime_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: runtime events: %w", s.d.Name, err)
	}
	defer rows.Close()
	out := []store.RuntimeEvent{}
	for rows.Next() {
		var (
			id, received int64
			b            []byte
		)
		if err := rows.Scan(&id, &received, &b); err != nil {
			return nil, fmt.Errorf("%s: runtime events: %w", s.d.Name, err)
		}
		var e store.RuntimeEvent
		if err := json.Unmarshal(b, &e.RuntimeEvent); err != nil {
			return nil, fmt.Errorf("%s: runtime event %d: %w", s.d.Name, id, err)
		}
		e.ID, e.Received = id, fromNanos(received)
		e.Time = e.Time.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: runtime events: %w", s.d.Name, err)
	}
	return out, nil
}

// DeleteRuntimeEventsBefore removes events older than t.
func (s *Store) DeleteRuntimeEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM runtime_events WHERE at < ?`), t.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("%s: delete runtime events: %w", s.d.Name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: delete runtime events: %w", s.d.Name, err)
	}
	return n, nil
}
