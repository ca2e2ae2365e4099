//go:build kernel

package agent

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/bulwark-security/bulwark/internal/runtime"
)

// execCount is how many execs the overhead test runs (half with the
// program attached); BULWARK_OVERHEAD_EXECS overrides it (docs/runtime.md
// records a 20,000-exec run).
func execCount(t *testing.T) int {
	n := 4000
	if s := os.Getenv("BULWARK_OVERHEAD_EXECS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 500 {
			t.Fatalf("BULWARK_OVERHEAD_EXECS=%q: want a number >= 500", s)
		}
		n = v
	}
	return n
}

// TestExecOverhead measures the kernel path per exec with BPF run-time
// statistics, and wall time per exec with and without the program attached,
// interleaved in blocks so that machine noise hits both sides alike.
func TestExecOverhead(t *testing.T) {
	requireKernel(t)
	stats, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	if err != nil {
		t.Fatalf("enable BPF run-time stats: %v", err)
	}
	defer stats.Close()
	k, err := loadKernel(64, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()

	var received atomic.Uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var rec ringbuf.Record
		var ev rawEvent
		for {
			err := k.read(&rec, &ev)
			if errors.Is(err, os.ErrClosed) {
				return
			}
			if err == nil {
				received.Add(1)
			}
		}
	}()

	total, block := execCount(t), 250
	var with, without time.Duration
	var nWith, nWithout int
	attached := true
	startRT, startRC, err := k.runStats()
	if err != nil {
		t.Fatal(err)
	}
	for done := 0; done < total; done += block {
		start := time.Now()
		for range block {
			if err := exec.Command("/bin/true").Run(); err != nil {
				t.Fatal(err)
			}
		}
		if d := time.Since(start); attached {
			with, nWith = with+d, nWith+block
		} else {
			without, nWithout = without+d, nWithout+block
		}
		// Toggle the attachment for the next block.
		if attached {
			if err := k.links[0].Close(); err != nil {
				t.Fatal(err)
			}
			k.links = k.links[:0]
		} else {
			l, err := link.AttachTracing(link.TracingOptions{Program: k.objs.HandleExec})
			if err != nil {
				t.Fatal(err)
			}
			k.links = append(k.links, l)
		}
		attached = !attached
	}
	rt, rc, err := k.runStats()
	if err != nil {
		t.Fatal(err)
	}
	rt, rc = rt-startRT, rc-startRC
	if rc < uint64(nWith) {
		t.Fatalf("program ran %d times for %d execs with it attached", rc, nWith)
	}
	perExec := rt / time.Duration(rc)
	time.Sleep(200 * time.Millisecond) // let the last poll drain the ring
	dropped, err := k.counter(counterDropped)
	if err != nil {
		t.Fatal(err)
	}
	k.reader.Close()
	wg.Wait()
	t.Logf("kernel path: %v per exec (%d runs, bpf_stats run_time_ns/run_cnt)", perExec, rc)
	t.Logf("wall time per exec: %v attached (%d execs), %v detached (%d execs), overhead %v",
		with/time.Duration(nWith), nWith, without/time.Duration(nWithout), nWithout,
		with/time.Duration(nWith)-without/time.Duration(nWithout))
	t.Logf("events received %d, dropped %d", received.Load(), dropped)
	if perExec > 10*time.Microsecond {
		t.Errorf("kernel path costs %v per exec, target under 10µs", perExec)
	}
	if dropped != 0 {
		t.Errorf("%d events dropped", dropped)
	}
}

// countingSink counts exec events by path without keeping them: of one
// container when container is set, else of all.
type countingSink struct {
	container string
	mu        sync.Mutex
	byPath    map[string]int
}

func (c *countingSink) Emit(e *Event) error {
	if e.Type != EventExec || (c.container != "" && e.ContainerID != c.container) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byPath[e.Path]++
	return nil
}

func (c *countingSink) count(p string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byPath[p]
}

// TestAgentBurst runs an exec burst inside a container with the whole
// agent attached: every exec must be reported (none dropped) and the
// agent's memory must stay small.
func TestAgentBurst(t *testing.T) {
	requireKernel(t)
	c := startContainer(t, baseImage)
	d, err := NewDocker("")
	if err != nil {
		t.Fatal(err)
	}
	sink := &countingSink{byPath: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(ctx, Options{Mode: runtime.ModeAlert, Runtime: d, Sink: sink, Tick: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	time.Sleep(300 * time.Millisecond)

	const n = 2000
	start := time.Now()
	mustExec(t, c, "sh", "-c", "i=0; while [ $i -lt "+strconv.Itoa(n)+" ]; do /bin/true; i=$((i+1)); done")
	rate := float64(n) / time.Since(start).Seconds()
	deadline := time.Now().Add(20 * time.Second)
	for sink.count("/usr/bin/true") < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	got := sink.count("/usr/bin/true")
	dropped, err := a.Dropped()
	if err != nil {
		t.Fatal(err)
	}
	rss := vmRSS(t)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	t.Logf("burst: %d execs at %.0f/s in the container, %d reported, %d dropped; process RSS %d MiB", n, rate, got, dropped, rss>>20)
	if got != n || dropped != 0 {
		t.Errorf("reported %d of %d execs, %d dropped", got, n, dropped)
	}
	if rss > 40<<20 {
		t.Errorf("RSS %d MiB, target under 40 MiB", rss>>20)
	}
}

// vmRSS returns this process's resident set size.
func vmRSS(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// TestWakeupBatching compares the kernel path with a reader wakeup on
// every event against the batched wakeups the agent uses.
func TestWakeupBatching(t *testing.T) {
	requireKernel(t)
	stats, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	if err != nil {
		t.Fatalf("enable BPF run-time stats: %v", err)
	}
	defer stats.Close()
	cost := map[int]time.Duration{}
	for _, wakeup := range []int{1, 64} {
		k, err := loadKernel(wakeup, 50*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rec ringbuf.Record
			var ev rawEvent
			for !errors.Is(k.read(&rec, &ev), os.ErrClosed) {
			}
		}()
		for range 1000 {
			if err := exec.Command("/bin/true").Run(); err != nil {
				t.Fatal(err)
			}
		}
		rt, rc, err := k.runStats()
		k.reader.Close()
		wg.Wait()
		k.Close()
		if err != nil || rc == 0 {
			t.Fatalf("run stats: %d runs, %v", rc, err)
		}
		cost[wakeup] = rt / time.Duration(rc)
	}
	t.Logf("kernel path per exec: %v with a wakeup per event, %v with wakeups batched by 64", cost[1], cost[64])
}
