// Package sqlite is the server's embedded store: one SQLite file under the
// data directory, pure Go (no cgo), nothing to install. It suits a single
// server; several replicas share PostgreSQL instead.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/sqlstore"
)

// FileName is the database file inside the data directory.
const FileName = "bulwark.sqlite"

// Dialect is SQLite's: one writer at a time, so queue claims need no row
// locks.
var Dialect = sqlstore.Dialect{
	Name:       "sqlite",
	Blob:       "BLOB",
	Serial:     "INTEGER PRIMARY KEY AUTOINCREMENT",
	IndexHints: true,
}

// Open opens (creating when needed) the store in dir and migrates it.
func Open(ctx context.Context, dir string) (*sqlstore.Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: data dir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(30000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "cache_size(-65536)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One writer connection: SQLite allows one writer anyway, and queuing
	// in the pool beats busy retries.
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	s, err := sqlstore.Open(ctx, w, r, Dialect)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return s, nil
}

var _ store.Server = (*sqlstore.Store)(nil)
