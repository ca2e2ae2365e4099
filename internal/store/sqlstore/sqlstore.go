// Package sqlstore implements Bulwark's server store roles over
// database/sql, once for every SQL database the server supports. The
// embedded (SQLite) and PostgreSQL stores supply a Dialect and their
// driver; the queries are shared so both behave alike, and one conformance
// suite (storetest) checks both.
package sqlstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
)

// Dialect is what differs between the supported databases.
type Dialect struct {
	// Name is "sqlite" or "postgres", for error messages.
	Name string
	// Dollar rewrites "?" placeholders to "$1", "$2", … .
	Dollar bool
	// Blob and Serial are column types: binary data, and an
	// auto-incrementing integer primary key.
	Blob, Serial string
	// SkipLocked is appended to the sub-select that claims queue rows, so
	// concurrent replicas never claim the same row.
	SkipLocked string
	// Lock serialises migrations between processes sharing the database;
	// it returns the function that releases the lock.
	Lock func(ctx context.Context, c *sql.Conn) (func(), error)
	// IndexHints: the planner needs to be told to use narrow covering
	// indexes (SQLite, which keeps no statistics unless ANALYZE ran).
	IndexHints bool
}

// Store implements store.Server. Writes go through w; reads through r
// (the same pool for PostgreSQL; a separate read pool for SQLite, whose
// single writer connection would otherwise serialise reads too).
type Store struct {
	w, r *sql.DB
	d    Dialect
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

var _ store.Server = (*Store)(nil)

// Open wraps the pools and migrates the schema.
func Open(ctx context.Context, w, r *sql.DB, d Dialect) (*Store, error) {
	s := &Store{w: w, r: r, d: d}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		if e := s.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// q rewrites placeholders for the dialect.
func (s *Store) q(query string) string {
	if !s.d.Dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *Store) schema(stmt string) string {
	return strings.NewReplacer("{blob}", s.d.Blob, "{serial}", s.d.Serial).Replace(stmt)
}

// migrations are applied in order, each once; never edit one that has
// shipped, append a new one.
var migrations = []string{
	`CREATE TABLE images (
		digest TEXT PRIMARY KEY, repo TEXT NOT NULL DEFAULT '', tags TEXT NOT NULL DEFAULT '[]',
		distro TEXT NOT NULL DEFAULT '', first_seen BIGINT NOT NULL, last_scanned BIGINT NOT NULL,
		crit INTEGER NOT NULL DEFAULT 0, high INTEGER NOT NULL DEFAULT 0, med INTEGER NOT NULL DEFAULT 0,
		low INTEGER NOT NULL DEFAULT 0, neg INTEGER NOT NULL DEFAULT 0, unk INTEGER NOT NULL DEFAULT 0,
		pass INTEGER, ci_job_url TEXT NOT NULL DEFAULT '', git_commit TEXT NOT NULL DEFAULT '',
		inventory {blob} NOT NULL, report {blob} NOT NULL)`,
	`CREATE TABLE packages (digest TEXT NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL,
		version TEXT NOT NULL, norm TEXT NOT NULL)`,
	`CREATE INDEX packages_norm ON packages (norm, version)`,
	`CREATE INDEX packages_digest ON packages (digest)`,
	`CREATE TABLE package_keys (namespace TEXT NOT NULL, name TEXT NOT NULL, digest TEXT NOT NULL,
		PRIMARY KEY (namespace, name, digest))`,
	`CREATE INDEX package_keys_digest ON package_keys (digest)`,
	`CREATE TABLE findings (digest TEXT NOT NULL, vuln_id TEXT NOT NULL, package TEXT NOT NULL,
		version TEXT NOT NULL, fixed TEXT NOT NULL, severity TEXT NOT NULL)`,
	`CREATE INDEX findings_vuln ON findings (vuln_id)`,
	`CREATE INDEX findings_digest ON findings (digest)`,
	`CREATE TABLE finding_events (id {serial}, digest TEXT NOT NULL, kind TEXT NOT NULL,
		vuln_id TEXT NOT NULL, package TEXT NOT NULL, version TEXT NOT NULL, severity TEXT NOT NULL, at BIGINT NOT NULL)`,
	`CREATE INDEX finding_events_digest ON finding_events (digest, id)`,
	`CREATE TABLE workloads (reporter TEXT NOT NULL, cluster TEXT NOT NULL, namespace TEXT NOT NULL,
		workload TEXT NOT NULL, pod TEXT NOT NULL, container TEXT NOT NULL, digest TEXT NOT NULL, expires BIGINT NOT NULL)`,
	`CREATE INDEX workloads_digest ON workloads (digest)`,
	`CREATE INDEX workloads_reporter ON workloads (reporter)`,
	`CREATE TABLE accepted_risks (id {serial}, vuln_id TEXT NOT NULL, package TEXT NOT NULL, purl TEXT NOT NULL,
		path TEXT NOT NULL, reason TEXT NOT NULL, owner TEXT NOT NULL, expires BIGINT NOT NULL, created BIGINT NOT NULL)`,
	`CREATE TABLE tokens (name TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL, created BIGINT NOT NULL)`,
	`CREATE TABLE jobs (id {serial}, batch TEXT NOT NULL, kind TEXT NOT NULL, payload {blob} NOT NULL,
		state TEXT NOT NULL, worker TEXT NOT NULL DEFAULT '', lease_until BIGINT NOT NULL DEFAULT 0,
		attempts INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '', done_by TEXT NOT NULL DEFAULT '')`,
	`CREATE INDEX jobs_state ON jobs (state, id)`,
	`CREATE INDEX jobs_batch ON jobs (batch)`,
	`CREATE TABLE outbox (id {serial}, sink TEXT NOT NULL, payload {blob} NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
		next_at BIGINT NOT NULL, last_error TEXT NOT NULL DEFAULT '', created BIGINT NOT NULL)`,
	`CREATE INDEX outbox_next ON outbox (next_at, id)`,
	`ALTER TABLE images ADD COLUMN fingerprint TEXT NOT NULL DEFAULT ''`,
	`CREATE TABLE runtime_events (id {serial}, at BIGINT NOT NULL, received BIGINT NOT NULL, type TEXT NOT NULL,
		digest TEXT NOT NULL, namespace TEXT NOT NULL, verdict TEXT NOT NULL, event {blob} NOT NULL)`,
	`CREATE INDEX runtime_events_at ON runtime_events (at, id)`,
	`CREATE INDEX runtime_events_digest ON runtime_events (digest, at)`,
	// "Who has CVE-X?" reads every finding row of a widespread CVE: a
	// covering index in the order the answer is sorted in spares a table
	// lookup per row and the sort.
	`CREATE INDEX findings_vuln_cover ON findings (vuln_id, digest, package, version, fixed, severity)`,
	`DROP INDEX findings_vuln`,
	// The same query labels each row with the image's repo and tags; the
	// images rows carry the inventory and report, so read the labels from
	// a narrow index instead.
	`CREATE INDEX images_labels ON images (digest, repo, tags)`,
}

// migrate applies the migrations not yet recorded, under the dialect's
// lock so replicas starting together do not race.
func (s *Store) migrate(ctx context.Context) error {
	c, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: connect: %w", s.d.Name, err)
	}
	defer c.Close()
	if s.d.Lock != nil {
		unlock, err := s.d.Lock(ctx, c)
		if err != nil {
			return fmt.Errorf("%s: migration lock: %w", s.d.Name, err)
		}
		defer unlock()
	}
	if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("%s: migrations table: %w", s.d.Name, err)
	}
	var have int
	if err := c.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("%s: schema version: %w", s.d.Name, err)
	}
	if have > len(migrations) {
		return fmt.Errorf("%s: schema version %d is newer than this build knows (%d): upgrade bulwark", s.d.Name, have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := c.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("%s: migration %d: %w", s.d.Name, v, err)
		}
		if _, err := tx.ExecContext(ctx, s.schema(migrations[v-1])); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: migration %d: %w", s.d.Name, v, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`), v, s.now().UnixNano()); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: migration %d: %w", s.d.Name, v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("%s: migration %d: %w", s.d.Name, v, err)
		}
	}
	return nil
}

// inTx runs f in a write transaction.
func (s *Store) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", s.d.Name, err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", s.d.Name, err)
	}
	return nil
}

// insertRows inserts rows of width columns in multi-row statements.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, head string, width int, rows [][]any) error {
	const per = 400
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		var b strings.Builder
		b.WriteString(head)
		b.WriteString(" VALUES ")
		one := "(" + strings.TrimSuffix(strings.Repeat("?,", width), ",") + ")"
		args := make([]any, 0, (end-start)*width)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteString(one)
			args = append(args, rows[i]...)
		}
		if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
			return fmt.Errorf("%s: %s: %w", s.d.Name, head, err)
		}
	}
	return nil
}

// pack gzips v's JSON; stored inventories and reports are large and
// compress about tenfold.
func pack(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gobMagic marks an inventory stored as gzipped gob: rescans decode every
// stored inventory, and gob decodes them about four times faster than
// JSON.
var gobMagic = []byte("G1")

func packInventory(inv *model.Inventory) ([]byte, error) {
	buf := bytes.NewBuffer(append([]byte(nil), gobMagic...))
	zw, _ := gzip.NewWriterLevel(buf, gzip.BestSpeed)
	if err := gob.NewEncoder(zw).Encode(inv); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func unpackInventory(b []byte, inv *model.Inventory) error {
	rest, ok := bytes.CutPrefix(b, gobMagic)
	if !ok {
		return unpack(b, inv)
	}
	zr, err := gzip.NewReader(bytes.NewReader(rest))
	if err != nil {
		return err
	}
	return gob.NewDecoder(zr).Decode(inv)
}

func unpack(b []byte, v any) error {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// in builds "(?,?,…)" for n values.
func in(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
