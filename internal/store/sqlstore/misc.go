package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/store"
)

// PutWorkloads replaces reporter's set of running containers.
func (s *Store) PutWorkloads(ctx context.Context, reporter string, ws []store.Workload, expires time.Time) error {
	if reporter == "" {
		return fmt.Errorf("put workloads: reporter is required")
	}
	rows := make([][]any, 0, len(ws))
	for i, w := range ws {
		if w.Digest == "" {
			return fmt.Errorf("put workloads: entry %d (%s/%s): image digest is required", i, w.Namespace, w.Pod)
		}
		rows = append(rows, []any{reporter, w.Cluster, w.Namespace, w.Workload, w.Pod, w.Container, w.Digest, expires.UnixNano()})
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM workloads WHERE reporter = ?`), reporter); err != nil {
			return fmt.Errorf("%s: workloads: %w", s.d.Name, err)
		}
		return s.insertRows(ctx, tx, `INSERT INTO workloads (reporter, cluster, namespace, workload, pod, container, digest, expires)`, 8, rows)
	})
}

// Workloads returns unexpired workloads running any of digests.
func (s *Store) Workloads(ctx context.Context, digests []string, now time.Time) ([]store.Workload, error) {
	out := []store.Workload{}
	for start := 0; start < len(digests); start += 500 {
		part := digests[start:min(start+500, len(digests))]
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT cluster, namespace, workload, pod, container, digest FROM workloads
			WHERE expires > ? AND digest IN `+in(len(part))+` ORDER BY cluster, namespace, workload, pod, container`),
			append([]any{now.UnixNano()}, anys(part)...)...)
		if err != nil {
			return nil, fmt.Errorf("%s: workloads: %w", s.d.Name, err)
		}
		for rows.Next() {
			var w store.Workload
			if err := rows.Scan(&w.Cluster, &w.Namespace, &w.Workload, &w.Pod, &w.Container, &w.Digest); err != nil {
				rows.Close()
				return nil, fmt.Errorf("%s: workloads: %w", s.d.Name, err)
			}
			out = append(out, w)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Running reports which of digests run somewhere at now.
func (s *Store) Running(ctx context.Context, digests []string, now time.Time) (map[string]bool, error) {
	ws, err := s.Workloads(ctx, digests, now)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, w := range ws {
		out[w.Digest] = true
	}
	return out, nil
}

// PutRisk stores an accepted risk.
func (s *Store) PutRisk(ctx context.Context, r store.AcceptedRisk) (store.AcceptedRisk, error) {
	if r.VulnID == "" || r.Reason == "" {
		return r, fmt.Errorf("accepted risk: vulnID and reason are required")
	}
	r.CreatedAt = s.now().UTC()
	err := s.w.QueryRowContext(ctx, s.q(`INSERT INTO accepted_risks (vuln_id, package, purl, path, reason, owner, expires, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), r.VulnID, r.Package, r.PURL, r.Path, r.Reason, r.Owner, nanos(r.Expires), r.CreatedAt.UnixNano()).Scan(&r.ID)
	if err != nil {
		return r, fmt.Errorf("%s: put risk: %w", s.d.Name, err)
	}
	return r, nil
}

// Risks lists every accepted risk.
func (s *Store) Risks(ctx context.Context) ([]store.AcceptedRisk, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, vuln_id, package, purl, path, reason, owner, expires, created FROM accepted_risks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("%s: risks: %w", s.d.Name, err)
	}
	defer rows.Close()
	out := []store.AcceptedRisk{}
	for rows.Next() {
		var r store.AcceptedRisk
		var exp, created int64
		if err := rows.Scan(&r.ID, &r.VulnID, &r.Package, &r.PURL, &r.Path, &r.Reason, &r.Owner, &exp, &created); err != nil {
			return nil, fmt.Errorf("%s: risks: %w", s.d.Name, err)
		}
		r.Expires, r.CreatedAt = fromNanos(exp), fromNanos(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteRisk removes an accepted risk.
func (s *Store) DeleteRisk(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM accepted_risks WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("%s: delete risk: %w", s.d.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("accepted risk %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// PutToken stores a token, replacing one of the same name.
func (s *Store) PutToken(ctx context.Context, t store.Token) error {
	if t.Name == "" || len(t.Hash) != 64 || len(t.Scopes) == 0 {
		return fmt.Errorf("token %q: name, sha256 hash and at least one scope are required", t.Name)
	}
	scopes := make([]string, len(t.Scopes))
	for i, sc := range t.Scopes {
		scopes[i] = string(sc)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO tokens (name, hash, scopes, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, scopes = excluded.scopes, created = excluded.created`),
		t.Name, t.Hash, strings.Join(scopes, ","), t.CreatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("%s: put token %s: %w", s.d.Name, t.Name, err)
	}
	return nil
}

// TokenByHash finds a token by its hash.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*store.Token, error) {
	var t store.Token
	var scopes string
	var created int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT name, hash, scopes, created FROM tokens WHERE hash = ?`), hash).Scan(&t.Name, &t.Hash, &scopes, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: token: %w", s.d.Name, err)
	}
	for _, sc := range strings.Split(scopes, ",") {
		t.Scopes = append(t.Scopes, store.Scope(sc))
	}
	t.CreatedAt = fromNanos(created)
	return &t, nil
}

// Tokens lists every token.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, scopes, created FROM tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("%s: tokens: %w", s.d.Name, err)
	}
	defer rows.Close()
	out := []store.Token{}
	for rows.Next() {
		var t store.Token
		var scopes string
		var created int64
		if err := rows.Scan(&t.Name, &scopes, &created); err != nil {
			return nil, fmt.Errorf("%s: tokens: %w", s.d.Name, err)
		}
		for _, sc := range strings.Split(scopes, ",") {
			t.Scopes = append(t.Scopes, store.Scope(sc))
		}
		t.CreatedAt = fromNanos(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteToken removes a token by name.
func (s *Store) DeleteToken(ctx context.Context, name string) error {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM tokens WHERE name = ?`), name)
	if err != nil {
		return fmt.Errorf("%s: delete token: %w", s.d.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %s: %w", name, store.ErrNotFound)
	}
	return nil
}
