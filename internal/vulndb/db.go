package vulndb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
)

// Bucket and key names of the file layout (docs/vulndb.md, "Schema").
var (
	bucketMeta     = []byte("meta")
	bucketAffected = []byte("affected")
	bucketVuln     = []byte("vuln")
	bucketAlias    = []byte("alias")
	bucketRecords  = []byte("records")
	bucketDiff     = []byte("diff")

	keySchema  = []byte("schema")
	keyBuiltAt = []byte("built-at")
	keySources = []byte("sources")
	keyCounts  = []byte("counts")
	keyLast    = []byte("last")
)

// SourceMeta is what the database remembers about one feed.
type SourceMeta struct {
	Name string `json:"name"`
	// FeedVersion is the parser version that produced the records; a
	// different version forces a fresh fetch and parse.
	FeedVersion int    `json:"feedVersion"`
	Fingerprint string `json:"fingerprint"`
	// Records is how many records the feed emitted; Affected how many
	// affected entries they carried.
	Records  int `json:"records"`
	Affected int `json:"affected"`
	// NewestAdvisory is the latest modified (or published) date among the
	// records; zero when the feed dates none.
	NewestAdvisory time.Time `json:"newestAdvisory,omitzero"`
	// FetchedAt is when the content was last downloaded; CheckedAt when
	// upstream was last asked (an unchanged source moves only CheckedAt).
	FetchedAt time.Time `json:"fetchedAt"`
	CheckedAt time.Time `json:"checkedAt"`
}

// Counts sizes the joined content.
type Counts struct {
	Vulnerabilities int `json:"vulnerabilities"`
	Aliases         int `json:"aliases"`
	Namespaces      int `json:"namespaces"`
	Packages        int `json:"packages"`
	Affected        int `json:"affected"`
}

// DB is an open database. It is read-only and safe for concurrent use;
// the file can be replaced by an update while it is open, since an update
// renames a new file over the path and this DB keeps the old one mapped.
type DB struct {
	bolt    *bolt.DB
	path    string
	schema  int
	builtAt time.Time
	sources []SourceMeta
	counts  Counts
	cache   lookupCache
	readers readerPool
}

var _ store.AdvisoryReader = (*DB)(nil)

// Open opens the database at path read-only and memory-mapped. It refuses
// a file of another schema with a *SchemaError.
func Open(path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no vulnerability DB at %s: run bulwark db update or bulwark db import: %w", path, err)
		}
		return nil, fmt.Errorf("open vulnerability DB: %w", err)
	}
	b, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open vulnerability DB %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path}
	if err := b.View(db.loadMeta); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) loadMeta(tx *bolt.Tx) error {
	m := tx.Bucket(bucketMeta)
	if m == nil || m.Get(keySchema) == nil {
		return fmt.Errorf("%s is not a bulwark vulnerability DB (no schema); run bulwark db update", db.path)
	}
	schema, err := strconv.Atoi(string(m.Get(keySchema)))
	if err != nil {
		return fmt.Errorf("%s: bad schema %q: %w", db.path, m.Get(keySchema), err)
	}
	db.schema = schema
	if schema != SchemaVersion {
		return &SchemaError{Path: db.path, Found: schema, Want: SchemaVersion}
	}
	for _, name := range [][]byte{bucketAffected, bucketVuln, bucketAlias, bucketRecords} {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("%s: bucket %q missing; the file is damaged: run bulwark db update", db.path, name)
		}
	}
	if db.builtAt, err = time.Parse(time.RFC3339Nano, string(m.Get(keyBuiltAt))); err != nil {
		return fmt.Errorf("%s: bad built-at: %w", db.path, err)
	}
	if err := json.Unmarshal(m.Get(keySources), &db.sources); err != nil {
		return fmt.Errorf("%s: bad source metadata: %w", db.path, err)
	}
	if err := json.Unmarshal(m.Get(keyCounts), &db.counts); err != nil {
		return fmt.Errorf("%s: bad counts: %w", db.path, err)
	}
	return nil
}

// Close releases the mapping.
// Close must not be called while lookups are running.
func (db *DB) Close() error {
	db.readers.close()
	return db.bolt.Close()
}

// Path is the file the DB was opened from.
func (db *DB) Path() string { return db.path }

// Schema is the file's schema version.
func (db *DB) Schema() int { return db.schema }

// BuiltAt is when the DB was built.
func (db *DB) BuiltAt() time.Time { return db.builtAt }

// Age is the time since the DB was built.
func (db *DB) Age() time.Duration { return time.Since(db.builtAt) }

// CheckAge returns a *StaleError when the DB is older than max; max <= 0
// allows any age.
func (db *DB) CheckAge(max time.Duration) error {
	if max <= 0 {
		return nil
	}
	if age := db.Age(); age > max {
		return &StaleError{Path: db.path, BuiltAt: db.builtAt, Age: age, Max: max}
	}
	return nil
}

// Sources describes every feed the DB was built from, by name.
func (db *DB) Sources() []SourceMeta { return append([]SourceMeta(nil), db.sources...) }

// Counts sizes the DB's content.
func (db *DB) Counts() Counts { return db.counts }

// Size is the file size in bytes.
func (db *DB) Size() int64 {
	var n int64
	_ = db.bolt.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// Affected implements store.AdvisoryReader. The result is shared with
// later lookups of the same package (see lookupCache): callers read it and
// must not modify the slice or the entries in it; copy first to change.
func (db *DB) Affected(_ context.Context, namespace, name string) ([]model.Affected, error) {
	key := pkgKey{namespace, keyName(namespace, name)}
	if cached, ok := db.cache.get(key); ok {
		return cached, nil
	}
	r, err := db.readers.get(db.bolt)
	if err != nil {
		return nil, fmt.Errorf("affected %s/%s in %s: %w", namespace, name, db.path, err)
	}
	defer db.readers.put(r)
	var out []model.Affected
	if ns := r.namespace(namespace); ns != nil {
		if v := ns.Get([]byte(key.name)); v != nil {
			if out, err = decodeAffected(v); err != nil {
				return nil, fmt.Errorf("affected %s/%s in %s: %w", namespace, name, db.path, err)
			}
		}
	}
	db.cache.put(key, out)
	return out, nil
}

// readerPool keeps read transactions open for lookups. Beginning a bbolt
// transaction and opening the namespace bucket cost more than the lookup
// itself; the file is read-only, so a transaction never goes stale. Each
// reader serves one goroutine at a time.
type readerPool struct {
	mu     sync.Mutex
	free   []*reader
	all    []*reader
	closed bool
}

type reader struct {
	tx       *bolt.Tx
	affected *bolt.Bucket
	ns       map[string]*bolt.Bucket
}

func (p *readerPool) get(b *bolt.DB) (*reader, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.New("DB is closed")
	}
	if n := len(p.free); n > 0 {
		r := p.free[n-1]
		p.free = p.free[:n-1]
		return r, nil
	}
	tx, err := b.Begin(false)
	if err != nil {
		return nil, err
	}
	r := &reader{tx: tx, affected: tx.Bucket(bucketAffected), ns: map[string]*bolt.Bucket{}}
	p.all = append(p.all, r)
	return r, nil
}

func (p *readerPool) put(r *reader) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, r)
}

// close ends every transaction; bbolt cannot close a file with open ones.
func (p *readerPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, r := range p.all {
		r.tx.Rollback()
	}
	p.all, p.free = nil, nil
}

func (r *reader) namespace(ns string) *bolt.Bucket {
	if b, ok := r.ns[ns]; ok {
		return b
	}
	b := r.affected.Bucket([]byte(ns))
	r.ns[ns] = b
	return b
}

// lookupCache keeps decoded entries of recently looked-up packages. Scans
// ask for the same source package once per binary package built from it,
// and the server re-matches many images against the same packages; the
// file never changes under an open DB, so nothing goes stale. Handing out
// the cached slice itself, not a copy, is what keeps a repeated lookup
// free of allocation: copying the entries costs as much as decoding them.
type lookupCache struct {
	mu      sync.Mutex
	m       map[pkgKey][]model.Affected
	entries int
}

// cacheEntries bounds the cache (about 250 bytes per entry); when full it
// starts over, which is cheap and keeps no bookkeeping per lookup.
const cacheEntries = 1 << 17

func (c *lookupCache) get(k pkgKey) ([]model.Affected, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *lookupCache) put(k pkgKey, v []model.Affected) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.entries+len(v) > cacheEntries {
		c.m, c.entries = map[pkgKey][]model.Affected{}, 0
	}
	c.m[k] = v
	c.entries += len(v)
}

// Vulnerability implements store.AdvisoryReader.
func (db *DB) Vulnerability(_ context.Context, id string) (*model.Vulnerability, error) {
	var out *model.Vulnerability
	err := db.bolt.View(func(tx *bolt.Tx) error {
		vb := tx.Bucket(bucketVuln)
		v := vb.Get([]byte(id))
		if v == nil {
			pref := tx.Bucket(bucketAlias).Get([]byte(id))
			if pref == nil {
				return nil
			}
			if v = vb.Get(pref); v == nil {
				return fmt.Errorf("alias %s points at missing %s", id, pref)
			}
		}
		out = new(model.Vulnerability)
		return json.Unmarshal(v, out)
	})
	if err != nil {
		return nil, fmt.Errorf("vulnerability %s in %s: %w", id, db.path, err)
	}
	return out, nil
}

// HasNamespace implements store.AdvisoryReader.
func (db *DB) HasNamespace(_ context.Context, namespace string) (bool, error) {
	var ok bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketAffected).Bucket([]byte(namespace)) != nil
		return nil
	})
	return ok, err
}

// Namespaces lists every namespace with data, sorted.
func (db *DB) Namespaces() ([]string, error) {
	var out []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAffected).ForEachBucket(func(k []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, err
}

// Info implements store.AdvisoryReader.
func (db *DB) Info(context.Context) (model.DBInfo, error) {
	info := model.DBInfo{Schema: db.schema, BuiltAt: db.builtAt}
	for _, s := range db.sources {
		info.Sources = append(info.Sources, s.Name)
	}
	return info, nil
}

// LastDiff returns what the update that built this DB changed.
func (db *DB) LastDiff() (*Diff, error) {
	var d *Diff
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDiff)
		if b == nil || b.Get(keyLast) == nil {
			return nil
		}
		d = new(Diff)
		return json.Unmarshal(b.Get(keyLast), d)
	})
	if err != nil {
		return nil, fmt.Errorf("last diff in %s: %w", db.path, err)
	}
	return d, nil
}

// LastDiff reads what the update that built the DB at path changed.
func LastDiff(path string) (*Diff, error) {
	db, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.LastDiff()
}
