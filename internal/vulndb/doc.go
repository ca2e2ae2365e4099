// Package vulndb is Bulwark's embedded vulnerability database: one bbolt
// file that feeds are built into, swapped in atomically, opened read-only
// and memory-mapped at scan time, exported as a signed archive and
// imported on air-gapped sites.
//
// The layout of the file and the reasons for the store are described in
// docs/vulndb.md. Every exported function takes plain values; flags and
// logging belong to the CLI.
package vulndb

import (
	"fmt"
	"path/filepath"
	"time"
)

// SchemaVersion is the layout of the database file this package reads and
// writes. Bump it whenever a bucket, key or value encoding changes meaning:
// an older binary then refuses the file instead of misreading it.
const SchemaVersion = 1

// FileName is the database's file name inside the DB directory.
const FileName = "bulwark.db"

// DefaultPath is where scans and updates look for the database when no
// path is given: <cacheDir>/db/bulwark.db.
func DefaultPath(cacheDir string) string {
	return filepath.Join(cacheDir, "db", FileName)
}

// SchemaError reports a database whose schema this binary does not read.
type SchemaError struct {
	Path  string
	Found int
	Want  int
}

func (e *SchemaError) Error() string {
	if e.Found > e.Want {
		return fmt.Sprintf("%s: DB schema %d is newer than this bulwark understands (%d); upgrade bulwark or run bulwark db update", e.Path, e.Found, e.Want)
	}
	return fmt.Sprintf("%s: DB schema %d is older than this bulwark understands (%d); run bulwark db update", e.Path, e.Found, e.Want)
}

// StaleError reports a database older than the caller allows (the CLI's
// --max-db-age). Callers branch on it with errors.As.
type StaleError struct {
	Path    string
	BuiltAt time.Time
	Age     time.Duration
	Max     time.Duration
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("%s: vulnerability DB is %s old (built %s), more than the allowed %s; run bulwark db update",
		e.Path, FormatAge(e.Age), e.BuiltAt.UTC().Format(time.RFC3339), FormatAge(e.Max))
}

// FormatAge renders a duration the way people say a DB's age: "3d4h",
// "5h12m", "42s".
func FormatAge(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	case d >= time.Minute:
		return fmt.Sprintf("%dm%ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%ds", int(d/time.Second))
}
