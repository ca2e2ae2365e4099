package vulndb

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
)

const recordChunk = 512

// content is everything one build writes.
type content struct {
	joined  *joined
	recs    []sourced
	sources []SourceMeta
	builtAt time.Time
	diff    *Diff
}

// writeAndSwap writes c into a temp file beside path, syncs and verifies
// it, then renames it over path. On any error the temp file is removed
// and path is untouched.
func writeAndSwap(ctx context.Context, path string, c *content) (Counts, error) {
	return swapIn(path, func(tmp string) (Counts, error) { return write(ctx, tmp, c) }, len(c.sources))
}

// swapIn has fill write a new DB into a temp file beside path, then syncs,
// verifies and renames it over path.
func swapIn(path string, fill func(tmp string) (Counts, error), sources int) (Counts, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".bulwark-*.db.tmp")
	if err != nil {
		return Counts{}, fmt.Errorf("create temp DB in %s: %w", dir, err)
	}
	tmp := f.Name()
	f.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	counts, err := fill(tmp)
	if err != nil {
		return Counts{}, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := syncFile(tmp); err != nil {
		return Counts{}, err
	}
	if err := verify(tmp, counts, sources); err != nil {
		return Counts{}, fmt.Errorf("verify new DB: %w", err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return Counts{}, fmt.Errorf("chmod new DB: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return Counts{}, fmt.Errorf("swap in new DB: %w", err)
	}
	ok = true
	return counts, syncDir(dir)
}

func write(ctx context.Context, path string, c *content) (Counts, error) {
	// The file is synced once, after the last commit, by syncFile.
	b, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true, NoFreelistSync: true, NoGrowSync: true})
	if err != nil {
		return Counts{}, err
	}
	defer b.Close()
	var counts Counts
	steps := []func(*bolt.Tx) error{
		func(tx *bolt.Tx) error { return writeAffected(tx, c.joined, &counts) },
		func(tx *bolt.Tx) error { return writeVulns(tx, c.joined, &counts) },
		func(tx *bolt.Tx) error { return writeRecords(tx, c.recs, c.sources) },
		func(tx *bolt.Tx) error { return writeMeta(tx, c, &counts) },
	}
	// One transaction per step keeps bbolt's dirty pages bounded.
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return Counts{}, err
		}
		if err := b.Update(step); err != nil {
			return Counts{}, err
		}
	}
	return counts, b.Close()
}

func writeAffected(tx *bolt.Tx, j *joined, counts *Counts) error {
	root, err := tx.CreateBucket(bucketAffected)
	if err != nil {
		return err
	}
	keys := make([]pkgKey, 0, len(j.affected))
	for k := range j.affected {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b pkgKey) int {
		if c := strings.Compare(a.ns, b.ns); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	var ns *bolt.Bucket
	cur := ""
	for _, k := range keys {
		if ns == nil || k.ns != cur {
			cur = k.ns
			if ns, err = root.CreateBucketIfNotExists([]byte(k.ns)); err != nil {
				return fmt.Errorf("namespace %q: %w", k.ns, err)
			}
			// Keys arrive sorted, so full pages waste nothing.
			ns.FillPercent = 1
			counts.Namespaces++
		}
		entries := j.affected[k]
		// bbolt keeps the value until commit: each Put needs its own buffer.
		if err := ns.Put([]byte(k.name), encodeAffected(nil, entries)); err != nil {
			return fmt.Errorf("package %s/%s: %w", k.ns, k.name, err)
		}
		counts.Packages++
		counts.Affected += len(entries)
	}
	return nil
}

func writeVulns(tx *bolt.Tx, j *joined, counts *Counts) error {
	vb, err := tx.CreateBucket(bucketVuln)
	if err != nil {
		return err
	}
	vb.FillPercent = 1
	for _, id := range slices.Sorted(maps.Keys(j.vulns)) {
		v, err := json.Marshal(j.vulns[id])
		if err != nil {
			return fmt.Errorf("vulnerability %s: %w", id, err)
		}
		if err := vb.Put([]byte(id), v); err != nil {
			return fmt.Errorf("vulnerability %s: %w", id, err)
		}
		counts.Vulnerabilities++
	}
	ab, err := tx.CreateBucket(bucketAlias)
	if err != nil {
		return err
	}
	ab.FillPercent = 1
	for _, id := range slices.Sorted(maps.Keys(j.aliases)) {
		// An alias that is itself a stored id resolves to that record.
		if j.vulns[id] != nil {
			continue
		}
		if err := ab.Put([]byte(id), []byte(j.aliases[id])); err != nil {
			return fmt.Errorf("alias %s: %w", id, err)
		}
		counts.Aliases++
	}
	return nil
}

// writeRecords keeps each source's records as emitted, so that a later
// update can rebuild the joined content when that source is unchanged.
// They are read only then, so they are stored compactly: JSON lines in
// zstd-compressed chunks of recordChunk records.
func writeRecords(tx *bolt.Tx, recs []sourced, sources []SourceMeta) error {
	root, err := tx.CreateBucket(bucketRecords)
	if err != nil {
		return err
	}
	for _, s := range sources {
		b, err := root.CreateBucket([]byte(s.Name))
		if err != nil {
			return fmt.Errorf("source %s: %w", s.Name, err)
		}
		b.FillPercent = 1
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	defer enc.Close()
	bySource := map[string][]*sourced{}
	for i := range recs {
		bySource[recs[i].source] = append(bySource[recs[i].source], &recs[i])
	}
	for name, rs := range bySource {
		b := root.Bucket([]byte(name))
		if b == nil {
			return fmt.Errorf("records of unlisted source %s", name)
		}
		for seq := 0; len(rs) > 0; seq++ {
			chunk := rs[:min(recordChunk, len(rs))]
			rs = rs[len(chunk):]
			var lines []byte
			for _, r := range chunk {
				v, err := json.Marshal(r.rec)
				if err != nil {
					return fmt.Errorf("source %s record %s: %w", name, r.rec.Vulnerability.ID, err)
				}
				lines = append(append(lines, v...), '\n')
			}
			key := binary.BigEndian.AppendUint64(nil, uint64(seq))
			if err := b.Put(key, enc.EncodeAll(lines, nil)); err != nil {
				return fmt.Errorf("source %s: %w", name, err)
			}
		}
	}
	return nil
}

func writeMeta(tx *bolt.Tx, c *content, counts *Counts) error {
	cj, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	m, err := tx.CreateBucket(bucketMeta)
	if err != nil {
		return err
	}
	if err := m.Put(keyCounts, cj); err != nil {
		return err
	}
	if _, err := tx.CreateBucket(bucketDiff); err != nil {
		return err
	}
	return putMeta(tx, c.sources, c.diff, c.builtAt)
}

// putMeta stores the schema, build time, source metadata and diff.
func putMeta(tx *bolt.Tx, sources []SourceMeta, d *Diff, builtAt time.Time) error {
	sources = slices.Clone(sources)
	slices.SortFunc(sources, func(a, b SourceMeta) int { return strings.Compare(a.Name, b.Name) })
	sj, err := json.Marshal(sources)
	if err != nil {
		return err
	}
	dj, err := json.Marshal(d)
	if err != nil {
		return err
	}
	m, db := tx.Bucket(bucketMeta), tx.Bucket(bucketDiff)
	if m == nil || db == nil {
		return fmt.Errorf("meta or diff bucket missing")
	}
	for _, kv := range []struct {
		b    *bolt.Bucket
		k, v []byte
	}{
		{m, keySchema, []byte(strconv.Itoa(SchemaVersion))},
		{m, keyBuiltAt, []byte(builtAt.UTC().Format(time.RFC3339Nano))},
		{m, keySources, sj},
		{db, keyLast, dj},
	} {
		if err := kv.b.Put(kv.k, kv.v); err != nil {
			return fmt.Errorf("meta %s: %w", kv.k, err)
		}
	}
	return nil
}

// verify reopens the written file the way a scan will and checks that it
// holds what was written.
func verify(path string, want Counts, sources int) error {
	db, err := Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	if db.counts != want {
		return fmt.Errorf("counts %+v, wrote %+v", db.counts, want)
	}
	if len(db.sources) != sources {
		return fmt.Errorf("%d sources, wrote %d", len(db.sources), sources)
	}
	return db.bolt.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketVuln).Stats().KeyN; n != want.Vulnerabilities {
			return fmt.Errorf("%d vulnerabilities stored, wrote %d", n, want.Vulnerabilities)
		}
		n := 0
		err := tx.Bucket(bucketAffected).ForEachBucket(func([]byte) error { n++; return nil })
		if err == nil && n != want.Namespaces {
			err = fmt.Errorf("%d namespaces stored, wrote %d", n, want.Namespaces)
		}
		return err
	})
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
