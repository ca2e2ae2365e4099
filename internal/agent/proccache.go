package agent

import "sync"

// procCache remembers, for the processes seen as parents of execs, what
// only an exec changes: the executable and the container. Parent chains
// are rebuilt for every exec event, and reading /proc/<pid>/exe and
// /proc/<pid>/cgroup for each ancestor was most of the agent's cost per
// event under exec bursts. An entry is valid only for the process start
// time it was read at (pids are reused) and is forgotten when that pid's
// own exec is handled.
type procCache struct {
	mu  sync.Mutex
	max int
	m   map[uint32]procEntry
}

type procEntry struct {
	start          uint64 // start time in clock ticks after boot, /proc/<pid>/stat field 22
	exe, container string
}

func newProcCache(max int) *procCache {
	return &procCache{max: max, m: map[uint32]procEntry{}}
}

// get returns pid's entry if it was stored for the same start time. A nil
// cache holds nothing.
func (c *procCache) get(pid uint32, start uint64) (procEntry, bool) {
	if c == nil || start == 0 {
		return procEntry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[pid]
	return e, ok && e.start == start
}

// put stores e for pid; a full cache is emptied first rather than tracking
// recency, since the processes that matter are re-read at once.
func (c *procCache) put(pid uint32, e procEntry) {
	if c == nil || e.start == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[pid] = e
}

// forget drops pid, whose exec changed its executable.
func (c *procCache) forget(pid uint32) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.m, pid)
	c.mu.Unlock()
}
