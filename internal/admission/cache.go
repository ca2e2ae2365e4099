package admission

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"golang.org/x/sync/singleflight"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/policy"
)

// CacheOptions tune a Cache. Zero values take the defaults.
type CacheOptions struct {
	// TTL bounds how long a verdict is served without asking the backing
	// store again, so replicas that missed an Update converge (default 5m).
	TTL time.Duration
	// NegativeTTL is how long "never scanned" is remembered (default 5s):
	// short, because a scan usually follows the denial.
	NegativeTTL time.Duration
	// TagTTL is how long a tag→digest mapping is trusted before the
	// registry is asked again (default 10m).
	TagTTL time.Duration
	// DecisionTTL bounds reuse of a policy evaluation, whose age rules
	// depend on the clock (default 1m).
	DecisionTTL time.Duration
	// MaxEntries caps the verdicts and tags kept (default 100000 each).
	MaxEntries int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Cache is the verdict cache keyed by digest in front of a Verdicts
// store, plus the tag→digest mappings the mutating webhook pins with. It
// is safe for concurrent use. The server calls Update after every scan or
// rescan and Invalidate when a stored verdict is removed.
type Cache struct {
	backing Verdicts
	opt     CacheOptions
	flight  singleflight.Group

	mu       sync.RWMutex
	verdicts map[string]*cacheEntry
	tags     map[string]tagEntry
}

var _ Verdicts = (*Cache)(nil)

type cacheEntry struct {
	v       Verdict
	found   bool
	expires time.Time

	mu        sync.Mutex
	decisions map[string]memoDecision
}

type memoDecision struct {
	d       model.Decision
	expires time.Time
}

type tagEntry struct {
	digest  string
	expires time.Time
}

// NewCache returns a cache in front of backing (required).
func NewCache(backing Verdicts, opt CacheOptions) (*Cache, error) {
	if backing == nil {
		return nil, fmt.Errorf("verdict cache: a backing verdict store is required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opt.TTL, 5*time.Minute)
	def(&opt.NegativeTTL, 5*time.Second)
	def(&opt.TagTTL, 10*time.Minute)
	def(&opt.DecisionTTL, time.Minute)
	if opt.MaxEntries <= 0 {
		opt.MaxEntries = 100000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Cache{backing: backing, opt: opt, verdicts: map[string]*cacheEntry{}, tags: map[string]tagEntry{}}, nil
}

// Lookup returns the verdict for digest from memory, asking the backing
// store only on a miss or after the entry's TTL.
func (c *Cache) Lookup(ctx context.Context, digest string) (Verdict, bool, error) {
	e, err := c.entry(ctx, digest)
	if err != nil {
		return Verdict{}, false, err
	}
	return e.v, e.found, nil
}

func (c *Cache) entry(ctx context.Context, digest string) (*cacheEntry, error) {
	now := c.opt.Now()
	c.mu.RLock()
	e, ok := c.verdicts[digest]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e, nil
	}
	res, err, _ := c.flight.Do(digest, func() (any, error) {
		v, found, err := c.backing.Lookup(ctx, digest)
		if err != nil {
			return nil, fmt.Errorf("verdict for %s: %w", digest, err)
		}
		ttl := c.opt.TTL
		if !found {
			ttl = c.opt.NegativeTTL
			// An Update (a scan stored meanwhile) that raced this lookup
			// is newer than the store's answer.
			c.mu.RLock()
			cur, ok := c.verdicts[digest]
			c.mu.RUnlock()
			if ok && cur.found && c.opt.Now().Before(cur.expires) {
				return cur, nil
			}
		}
		e := &cacheEntry{v: v, found: found, expires: c.opt.Now().Add(ttl)}
		c.put(digest, e)
		if found {
			c.addTags(v)
		}
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*cacheEntry), nil
}

// Update stores v as the current verdict for v.Digest, replacing any
// cached verdict and policy evaluations, and records its references as
// tag→digest mappings. A rescan that turns an image from passing to
// failing calls this so the next admission sees the new verdict.
func (c *Cache) Update(v Verdict) {
	if v.Digest == "" {
		return
	}
	c.put(v.Digest, &cacheEntry{v: v, found: true, expires: c.opt.Now().Add(c.opt.TTL)})
	c.addTags(v)
}

// Invalidate drops what is cached for digest; the next lookup asks the
// backing store.
func (c *Cache) Invalidate(digest string) {
	c.mu.Lock()
	delete(c.verdicts, digest)
	c.mu.Unlock()
	c.flight.Forget(digest)
}

// Digest returns the digest ref (a tag reference) is known to point to.
func (c *Cache) Digest(ref string) (string, bool) {
	key, ok := tagKey(ref)
	if !ok {
		return "", false
	}
	return c.digestByKey(key)
}

// digestByKey is Digest for a canonical tag reference.
func (c *Cache) digestByKey(key string) (string, bool) {
	c.mu.RLock()
	t, ok := c.tags[key]
	c.mu.RUnlock()
	if !ok || !c.opt.Now().Before(t.expires) {
		return "", false
	}
	return t.digest, true
}

// SetDigest records that ref resolved to digest.
func (c *Cache) SetDigest(ref, digest string) {
	key, ok := tagKey(ref)
	if !ok {
		return
	}
	c.mu.Lock()
	c.evictLocked(len(c.tags), func() { c.pruneTagsLocked() })
	c.tags[key] = tagEntry{digest: digest, expires: c.opt.Now().Add(c.opt.TagTTL)}
	c.mu.Unlock()
}

func (c *Cache) addTags(v Verdict) {
	for _, r := range v.Refs {
		if !strings.Contains(r, "@") {
			c.SetDigest(r, v.Digest)
		}
	}
}

func (c *Cache) put(digest string, e *cacheEntry) {
	c.mu.Lock()
	c.evictLocked(len(c.verdicts), func() { c.pruneVerdictsLocked() })
	c.verdicts[digest] = e
	c.mu.Unlock()
}

// evictLocked makes room when a map is full: expired entries go first,
// then prune empties the map entirely rather than tracking recency, since
// the backing store refills it.
func (c *Cache) evictLocked(n int, prune func()) {
	if n >= c.opt.MaxEntries {
		prune()
	}
}

func (c *Cache) pruneVerdictsLocked() {
	now := c.opt.Now()
	for k, e := range c.verdicts {
		if !now.Before(e.expires) {
			delete(c.verdicts, k)
		}
	}
	if len(c.verdicts) >= c.opt.MaxEntries {
		clear(c.verdicts)
	}
}

func (c *Cache) pruneTagsLocked() {
	now := c.opt.Now()
	for k, t := range c.tags {
		if !now.Before(t.expires) {
			delete(c.tags, k)
		}
	}
	if len(c.tags) >= c.opt.MaxEntries {
		clear(c.tags)
	}
}

// decide evaluates p against the verdict's report for pctx, reusing an
// earlier evaluation for the same digest and the same set of applicable
// overrides. Without a policy or a stored report, the stored decision
// stands.
func (c *Cache) decide(ctx context.Context, digest string, p *policy.Policy, pctx policy.Context) (model.Decision, error) {
	e, err := c.entry(ctx, digest)
	if err != nil {
		return model.Decision{}, err
	}
	if !e.found {
		return model.Decision{}, fmt.Errorf("no verdict for %s", digest)
	}
	if p == nil || e.v.Report == nil {
		return e.v.Decision, nil
	}
	_, applied := p.Effective(pctx)
	key := strings.Join(applied, "\x00")
	e.mu.Lock()
	defer e.mu.Unlock()
	if m, ok := e.decisions[key]; ok && pctx.Now.Before(m.expires) {
		return m.d, nil
	}
	d := policy.Evaluate(p, e.v.Report, pctx)
	if e.decisions == nil {
		e.decisions = map[string]memoDecision{}
	}
	e.decisions[key] = memoDecision{d: d, expires: pctx.Now.Add(c.opt.DecisionTTL)}
	return d, nil
}

// tagKey canonicalises a tag reference ("nginx" → index.docker.io/library/nginx:latest).
func tagKey(ref string) (string, bool) {
	t, err := name.NewTag(ref, name.WeakValidation)
	if err != nil {
		return "", false
	}
	return t.Name(), true
}

// MemoryVerdicts is an in-memory Verdicts store, for tests and for
// running the webhook without a database.
type MemoryVerdicts struct {
	mu sync.RWMutex
	m  map[string]Verdict
}

var _ Verdicts = (*MemoryVerdicts)(nil)

// Put stores v under v.Digest.
func (s *MemoryVerdicts) Put(v Verdict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]Verdict{}
	}
	s.m[v.Digest] = v
}

// Delete forgets digest.
func (s *MemoryVerdicts) Delete(digest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, digest)
}

// Lookup implements Verdicts.
func (s *MemoryVerdicts) Lookup(_ context.Context, digest string) (Verdict, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.m[digest]
	return v, ok, nil
}
