// Package rescan keeps the server's reports current without pulling
// images: it updates the vulnerability DB, maps the update's diff to the
// stored inventories holding a changed (namespace, package), re-matches
// only those through the job queue, records new and resolved findings, and
// queues notifications. Matching goes through scan.Report, so a report
// made here equals the one `bulwark scan` makes.
package rescan

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bulwark-security/bulwark/internal/match/ignore"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/policy"
	"github.com/bulwark-security/bulwark/internal/scan"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// Matcher matches inventories against the current vulnerability DB, with
// the server's accepted risks and policy. The DB can be swapped while
// matches run; a replaced DB is closed when its last user is done.
type Matcher struct {
	// Risks are applied to every match; nil means none.
	Risks store.RiskStore
	// Policy, when set, is evaluated into every report.
	Policy *policy.Policy
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu  sync.RWMutex
	cur *handle
}

type handle struct {
	db   *vulndb.DB
	refs sync.WaitGroup
}

// NewMatcher returns a matcher over db (which it owns from now on; nil
// until SetDB when no DB exists yet).
func NewMatcher(db *vulndb.DB) *Matcher {
	m := &Matcher{}
	if db != nil {
		m.cur = &handle{db: db}
	}
	return m
}

// SetDB swaps in db; the previous one is closed once no match uses it.
func (m *Matcher) SetDB(db *vulndb.DB) {
	m.mu.Lock()
	old := m.cur
	m.cur = &handle{db: db}
	m.mu.Unlock()
	if old != nil {
		go func() {
			old.refs.Wait()
			old.db.Close()
		}()
	}
}

// DBInfo returns the current DB's build time and path; ok is false when
// there is no DB yet.
func (m *Matcher) DBInfo() (builtAt time.Time, path string, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.cur == nil {
		return time.Time{}, "", false
	}
	return m.cur.db.BuiltAt(), m.cur.db.Path(), true
}

// Reader returns the current DB for lookups (vulnerability aliases) and
// the function that releases it.
func (m *Matcher) Reader() (store.AdvisoryReader, func(), error) {
	h, err := m.acquire()
	if err != nil {
		return nil, nil, err
	}
	return h.db, h.refs.Done, nil
}

func (m *Matcher) acquire() (*handle, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.cur == nil {
		return nil, fmt.Errorf("no vulnerability DB yet: run POST /api/v1/db/update or start with --db-update-interval")
	}
	m.cur.refs.Add(1)
	return m.cur, nil
}

// Close closes the current DB.
func (m *Matcher) Close() {
	m.mu.Lock()
	h := m.cur
	m.cur = nil
	m.mu.Unlock()
	if h != nil {
		h.refs.Wait()
		h.db.Close()
	}
}

// Prepared is a matcher bound to one DB and one snapshot of the accepted
// risks, for matching many inventories; call Done when finished.
type Prepared struct {
	h      *handle
	ignore *ignore.File
	m      *Matcher
	now    time.Time
}

// Prepare reads the accepted risks and pins the current DB.
func (m *Matcher) Prepare(ctx context.Context) (*Prepared, error) {
	now := time.Now()
	if m.Now != nil {
		now = m.Now()
	}
	p := &Prepared{m: m, now: now}
	if m.Risks != nil {
		risks, err := m.Risks.Risks(ctx)
		if err != nil {
			return nil, fmt.Errorf("accepted risks: %w", err)
		}
		p.ignore = IgnoreFile(risks)
	}
	h, err := m.acquire()
	if err != nil {
		return nil, err
	}
	p.h = h
	return p, nil
}

// BuiltAt is the build time of the pinned DB.
func (p *Prepared) BuiltAt() time.Time { return p.h.db.BuiltAt() }

// Done releases the DB.
func (p *Prepared) Done() { p.h.refs.Done() }

// Report matches inv exactly as `bulwark scan` does.
func (p *Prepared) Report(ctx context.Context, inv *model.Inventory) (*model.Report, error) {
	r, _, err := scan.Report(ctx, inv, scan.ReportOptions{DB: p.h.db, Ignore: p.ignore, Policy: p.m.Policy, Now: p.now})
	if err != nil {
		return nil, fmt.Errorf("match %s: %w", inv.Image.Digest, err)
	}
	return r, nil
}

// IgnoreFile turns accepted risks into the ignore rules the CLI applies,
// so a risk accepted on the server suppresses exactly what the same entry
// in .bulwarkignore.yaml would. Suppressions name "server:<id>".
func IgnoreFile(risks []store.AcceptedRisk) *ignore.File {
	if len(risks) == 0 {
		return nil
	}
	f := &ignore.File{Source: "server"}
	for _, r := range risks {
		f.Entries = append(f.Entries, ignore.Entry{ID: r.VulnID, Package: r.Package, PURL: r.PURL, Path: r.Path,
			Reason: r.Reason, Owner: r.Owner, Expires: r.Expires, Line: int(r.ID)})
	}
	return f
}
