// Package pgtest gives integration tests a PostgreSQL store in a fresh
// schema of the test server that scripts/start-postgres.sh starts.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/store/postgres"
	"github.com/bulwark-security/bulwark/internal/store/sqlstore"
)

// URLFile is where scripts/start-postgres.sh writes the server's URL.
const URLFile = "/tmp/bulwark-test-postgres.url"

// URL returns the test server's URL from $BULWARK_TEST_POSTGRES or
// URLFile; without either the test fails, since integration tests must
// not pass silently without their database.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("BULWARK_TEST_POSTGRES"); u != "" {
		return u
	}
	if b, err := os.ReadFile(URLFile); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b))
	}
	t.Fatal("no PostgreSQL for integration tests: run `eval \"$(scripts/start-postgres.sh)\"` (sets BULWARK_TEST_POSTGRES)")
	return ""
}

// FreshURL creates an empty schema and returns a URL whose connections
// use it, so tests do not see each other's rows.
func FreshURL(t testing.TB) string {
	t.Helper()
	base := URL(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("BULWARK_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens a store on url; the test closes it.
func Open(t testing.TB, url string) *sqlstore.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
