package vulndb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/bulwark-security/bulwark/internal/feed"
)

// UpdateOptions tunes Update.
type UpdateOptions struct {
	// Source is where feeds fetch from (upstream, a mirror or a bundle).
	Source feed.Source
	// CarryOthers keeps, unchanged, the sources of the current DB that
	// are not among the feeds given to Update (an update of some sources).
	// Without it the new DB holds exactly the given feeds.
	CarryOthers bool
	// Now stamps the build; nil means time.Now.
	Now func() time.Time
}

// SourceResult reports what an update did with one source.
type SourceResult struct {
	Name string
	// Unchanged: upstream had the stored fingerprint, so the records were
	// copied from the current DB without download or parse. Carried: the
	// source was not updated at all (CarryOthers).
	Unchanged bool
	Carried   bool
	Records   int
	Took      time.Duration
}

// UpdateResult reports a successful update.
type UpdateResult struct {
	Path    string
	BuiltAt time.Time
	Sources []SourceResult
	Counts  Counts
	Diff    *Diff
	// Previous explains why the DB that was in place could not be used
	// for fingerprints, carried sources and the diff (absent, damaged, or
	// of another schema); nil when it was used.
	Previous error
}

// Update builds a new database from feeds and swaps it in at path.
//
// Each feed is fetched with the fingerprint stored in the current DB; an
// unchanged feed's records are copied from it. The new file is written
// beside path, synced, reopened and checked, and only then renamed over
// path. Any failure leaves the current file untouched and is returned
// naming the source.
func Update(ctx context.Context, path string, feeds []feed.Feed, opt UpdateOptions) (*UpdateResult, error) {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	res := &UpdateResult{Path: path}
	seen := map[string]bool{}
	for _, f := range feeds {
		if seen[f.Name()] {
			return nil, fmt.Errorf("feed %q listed twice", f.Name())
		}
		seen[f.Name()] = true
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create DB directory: %w", err)
	}

	prev, err := Open(path)
	if err != nil {
		res.Previous = err
		prev = nil
	} else {
		defer prev.Close()
	}
	prevMeta := map[string]SourceMeta{}
	if prev != nil {
		for _, s := range prev.sources {
			prevMeta[s.Name] = s
		}
	}

	var recs []sourced
	var metas []SourceMeta
	for _, f := range feeds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := now()
		got, meta, unchanged, err := runFeed(ctx, f, opt.Source, prev, prevMeta[f.Name()], start)
		if err != nil {
			return nil, err
		}
		recs = append(recs, got...)
		metas = append(metas, meta)
		res.Sources = append(res.Sources, SourceResult{Name: f.Name(), Unchanged: unchanged, Records: len(got), Took: now().Sub(start)})
	}
	if opt.CarryOthers && prev != nil {
		for _, m := range prev.sources {
			if seen[m.Name] {
				continue
			}
			got, err := prev.sourceRecords(m.Name)
			if err != nil {
				return nil, fmt.Errorf("source %s: copy from current DB: %w", m.Name, err)
			}
			recs = append(recs, got...)
			metas = append(metas, m)
			res.Sources = append(res.Sources, SourceResult{Name: m.Name, Carried: true, Records: len(got)})
		}
	}

	if prev != nil && allUnchanged(res.Sources, prev.sources) {
		res.BuiltAt = now().UTC()
		res.Diff = &Diff{From: prev.builtAt, To: res.BuiltAt}
		counts, err := refresh(ctx, prev, path, metas, res.Diff)
		if err != nil {
			return nil, err
		}
		res.Counts = counts
		return res, nil
	}

	j := join(recs)
	d := &Diff{To: now().UTC()}
	next := hashJoined(j)
	if prev != nil {
		d.From = prev.builtAt
		var old entryHashes
		if err := prev.bolt.View(func(tx *bolt.Tx) error {
			var err error
			old, err = hashStored(tx)
			return err
		}); err != nil {
			return nil, fmt.Errorf("diff against %s: %w", path, err)
		}
		d.Changes = diff(old, next)
	} else {
		d.Initial = true
		d.Changes = diff(nil, next)
	}
	res.BuiltAt = d.To
	res.Diff = d

	counts, err := writeAndSwap(ctx, path, &content{joined: j, recs: recs, sources: metas, builtAt: d.To, diff: d})
	if err != nil {
		return nil, err
	}
	res.Counts = counts
	return res, nil
}

// runFeed fetches and parses one feed, or copies its records from prev
// when upstream is unchanged.
func runFeed(ctx context.Context, f feed.Feed, src feed.Source, prev *DB, pm SourceMeta, now time.Time) ([]sourced, SourceMeta, bool, error) {
	name := f.Name()
	meta := SourceMeta{Name: name, FeedVersion: f.Version(), CheckedAt: now.UTC(), FetchedAt: now.UTC()}
	fp := ""
	// A stored fingerprint counts only when the same parser produced the
	// stored records and those records are still in the file.
	if prev != nil && pm.Name == name && pm.FeedVersion == f.Version() {
		fp = pm.Fingerprint
	}
	data, err := f.Fetch(ctx, src, fp)
	if errors.Is(err, feed.ErrUnchanged) {
		if fp == "" {
			return nil, meta, false, fmt.Errorf("source %s: fetch reported unchanged without a previous fingerprint", name)
		}
		got, err := prev.sourceRecords(name)
		if err != nil {
			return nil, meta, false, fmt.Errorf("source %s: copy unchanged records from current DB: %w", name, err)
		}
		pm.CheckedAt = now.UTC()
		return got, pm, true, nil
	}
	if err != nil {
		return nil, meta, false, fmt.Errorf("source %s: fetch: %w", name, err)
	}
	if data == nil {
		return nil, meta, false, fmt.Errorf("source %s: fetch returned no data", name)
	}
	defer func() {
		if data.Close != nil {
			data.Close()
		}
	}()
	meta.Fingerprint = data.Fingerprint
	var got []sourced
	emit := func(r feed.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := checkRecord(&r); err != nil {
			return fmt.Errorf("record %d: %w", len(got)+1, err)
		}
		for i := range r.Affected {
			if r.Affected[i].Source == "" {
				r.Affected[i].Source = name
			}
		}
		got = append(got, sourced{source: name, rec: r})
		return nil
	}
	if err := f.Parse(ctx, data, emit); err != nil {
		return nil, meta, false, fmt.Errorf("source %s: parse: %w", name, err)
	}
	for _, s := range got {
		meta.Records++
		meta.Affected += len(s.rec.Affected)
		v := &s.rec.Vulnerability
		d := v.Modified
		if d.IsZero() {
			d = v.Published
		}
		if d.After(meta.NewestAdvisory) {
			meta.NewestAdvisory = d.UTC()
		}
	}
	return got, meta, false, nil
}

// checkRecord rejects records the database cannot place.
func checkRecord(r *feed.Record) error {
	if r.Vulnerability.ID == "" && len(r.Affected) == 0 {
		return errors.New("no vulnerability id and no affected package")
	}
	for i, a := range r.Affected {
		switch {
		case a.VulnID == "" && r.Vulnerability.ID == "":
			return fmt.Errorf("affected entry %d has no vulnerability id", i)
		case a.Namespace == "":
			return fmt.Errorf("%s: affected entry %d (%s) has no namespace", r.Vulnerability.ID, i, a.Package)
		case a.Package == "":
			return fmt.Errorf("%s: affected entry %d in %s has no package", r.Vulnerability.ID, i, a.Namespace)
		}
	}
	return nil
}

// sourceRecords reads back what one feed emitted when the DB was built.
func (db *DB) sourceRecords(name string) ([]sourced, error) {
	var out []sourced
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords).Bucket([]byte(name))
		if b == nil {
			return fmt.Errorf("no stored records for source %s", name)
		}
		dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return err
		}
		defer dec.Close()
		return b.ForEach(func(k, v []byte) error {
			lines, err := dec.DecodeAll(v, nil)
			if err != nil {
				return fmt.Errorf("records chunk %x: %w", k, err)
			}
			for n := 1; len(lines) > 0; n++ {
				line, rest, _ := bytes.Cut(lines, []byte{'\n'})
				lines = rest
				var r feed.Record
				if err := json.Unmarshal(line, &r); err != nil {
					return fmt.Errorf("records chunk %x line %d: %w", k, n, err)
				}
				out = append(out, sourced{source: name, rec: r})
			}
			return nil
		})
	})
	return out, err
}

// allUnchanged reports whether an update would rebuild exactly the current
// content: every source unchanged or carried, and the same set of sources.
func allUnchanged(results []SourceResult, prev []SourceMeta) bool {
	if len(results) != len(prev) {
		return false
	}
	for _, r := range results {
		if !r.Unchanged && !r.Carried {
			return false
		}
	}
	return true
}

// refresh writes a copy of prev with new source metadata (check times)
// and an empty diff, and swaps it in. Joining and writing the unchanged
// content again would give the same tables at many times the cost.
func refresh(ctx context.Context, prev *DB, path string, sources []SourceMeta, d *Diff) (Counts, error) {
	return swapIn(path, func(tmp string) (Counts, error) {
		if err := prev.bolt.View(func(tx *bolt.Tx) error { return tx.CopyFile(tmp, 0o600) }); err != nil {
			return Counts{}, fmt.Errorf("copy current DB: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return Counts{}, err
		}
		b, err := bolt.Open(tmp, 0o600, &bolt.Options{NoSync: true})
		if err != nil {
			return Counts{}, err
		}
		defer b.Close()
		err = b.Update(func(tx *bolt.Tx) error {
			return putMeta(tx, sources, d, d.To)
		})
		if err != nil {
			return Counts{}, err
		}
		return prev.counts, b.Close()
	}, len(sources))
}
