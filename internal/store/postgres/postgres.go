// Package postgres is the server's shared store: several replicas use one
// PostgreSQL database for inventories, history and the job queue, whose
// claims use SELECT … FOR UPDATE SKIP LOCKED so each job goes to one
// replica.
package postgres

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/bulwark-security/bulwark/internal/store/sqlstore"
)

// migrationLockKey is the advisory lock replicas take around migrations
// (an arbitrary constant: "bulwark" in ASCII).
const migrationLockKey = 0x62756c7761726b

// Dialect is PostgreSQL's.
var Dialect = sqlstore.Dialect{
	Name:       "postgres",
	Dollar:     true,
	Blob:       "BYTEA",
	Serial:     "BIGSERIAL PRIMARY KEY",
	SkipLocked: " FOR UPDATE SKIP LOCKED",
	Lock: func(ctx context.Context, c *sql.Conn) (func(), error) {
		if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
			return nil, err
		}
		return func() {
			_, _ = c.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLockKey)
		}, nil
	},
}

// Open connects to url (postgres://…) and migrates the schema.
func Open(ctx context.Context, url string) (*sqlstore.Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s, err := sqlstore.Open(ctx, db, db, Dialect)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
