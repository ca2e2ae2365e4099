package admission

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
)

// countingStore counts backing lookups.
type countingStore struct {
	MemoryVerdicts
	calls atomic.Int64
	err   error
}

func (s *countingStore) Lookup(ctx context.Context, d string) (Verdict, bool, error) {
	s.calls.Add(1)
	if s.err != nil {
		return Verdict{}, false, s.err
	}
	return s.MemoryVerdicts.Lookup(ctx, d)
}

func TestCacheTTLs(t *testing.T) {
	clock := now
	store := &countingStore{}
	store.Put(Verdict{Digest: digestPass, Refs: []string{"registry.local/web:1.4", "registry.local/web@" + digestPass}, Decision: model.Decision{Pass: true}})
	c, err := NewCache(store, CacheOptions{TTL: time.Minute, NegativeTTL: time.Second, TagTTL: time.Hour, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for range 3 {
		if _, found, err := c.Lookup(ctx, digestPass); !found || err != nil {
			t.Fatalf("lookup: %v %v", found, err)
		}
	}
	if n := store.calls.Load(); n != 1 {
		t.Errorf("backing lookups = %d, want 1", n)
	}
	if d, ok := c.Digest("registry.local/web:1.4"); !ok || d != digestPass {
		t.Errorf("tag from the verdict's refs: %q %v", d, ok)
	}
	if _, found, _ := c.Lookup(ctx, digestNew); found {
		t.Fatal("unknown digest found")
	}
	c.Lookup(ctx, digestNew)
	if n := store.calls.Load(); n != 2 {
		t.Errorf("negative result not cached: %d lookups", n)
	}
	clock = clock.Add(2 * time.Second)
	c.Lookup(ctx, digestNew)
	if n := store.calls.Load(); n != 3 {
		t.Errorf("negative result outlived its TTL: %d lookups", n)
	}
	clock = clock.Add(2 * time.Minute)
	c.Lookup(ctx, digestPass)
	if n := store.calls.Load(); n != 4 {
		t.Errorf("verdict outlived its TTL: %d lookups", n)
	}
	clock = clock.Add(2 * time.Hour)
	if _, ok := c.Digest("registry.local/web:1.4"); ok {
		t.Error("tag mapping outlived its TTL")
	}
	if _, ok := c.Digest("not a ref"); ok {
		t.Error("bad reference mapped")
	}
}

func TestCacheBackingError(t *testing.T) {
	store := &countingStore{err: errors.New("database is down")}
	c, _ := NewCache(store, CacheOptions{})
	h, err := New(Config{}, c, &fakeResolver{digests: map[string]string{"registry.local/web:1.4": digestPass}})
	if err != nil {
		t.Fatal(err)
	}
	got := post(t, h.Validating(), reviewOf(t, pod("shop", nil, "registry.local/web:1.4")))
	if got.Allowed || message(got) == "" {
		t.Fatalf("a store error must deny (fail-closed): %+v", got)
	}
	if _, err := NewCache(nil, CacheOptions{}); err == nil {
		t.Error("NewCache(nil): want an error")
	}
}

func TestCacheEviction(t *testing.T) {
	store := &MemoryVerdicts{}
	c, _ := NewCache(store, CacheOptions{MaxEntries: 2})
	for _, d := range []string{digestPass, digestFail, digestNew} {
		c.Update(Verdict{Digest: d})
	}
	c.mu.RLock()
	n := len(c.verdicts)
	c.mu.RUnlock()
	if n > 2 {
		t.Errorf("%d cached verdicts, cap 2", n)
	}
	// The newest verdict survives eviction.
	if _, found, _ := c.Lookup(t.Context(), digestNew); !found {
		t.Error("newest verdict evicted")
	}
}

// racingStore answers "not found" after an Update has landed, as a store
// read that started before the scan was stored does.
type racingStore struct {
	cache *Cache
	v     Verdict
}

func (s *racingStore) Lookup(context.Context, string) (Verdict, bool, error) {
	s.cache.Update(s.v)
	return Verdict{}, false, nil
}

func TestCacheUpdateWinsOverARacingMiss(t *testing.T) {
	rs := &racingStore{v: Verdict{Digest: digestNew, Decision: model.Decision{Pass: true}}}
	c, err := NewCache(rs, CacheOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	rs.cache = c
	if _, found, err := c.Lookup(t.Context(), digestNew); err != nil || !found {
		t.Fatalf("found = %v, err = %v; the update that raced the miss must win", found, err)
	}
}
