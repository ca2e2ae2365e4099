// Package agent is Bulwark's node agent: it detects every exec with an
// eBPF tracepoint, attributes it to a container by cgroup id, resolves the
// container's image through the container runtime, judges the exec with
// the pure profile logic of internal/runtime and enforces the verdict with
// the strongest mechanism the kernel offers (BPF LSM, fanotify permission
// events, or SIGKILL from the tracepoint).
package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bulwark-security/bulwark/internal/runtime"
	"github.com/cilium/ebpf/ringbuf"
)

// Options configure an Agent. Mode, Runtime and Sink are required.
type Options struct {
	// Mode is the default for images whose profile sets none.
	Mode runtime.Mode
	// LearnFor is the learning window per image in learn mode (0: until
	// restarted in another mode).
	LearnFor time.Duration
	// Profiles is where profiles are loaded from and saved to; "" keeps
	// them in memory only.
	Profiles runtime.Dir
	Runtime  Runtime
	Sink     Sink
	// Enforcers lists the mechanisms to probe, in order; nil means
	// DefaultEnforcers. The first that works enforces.
	Enforcers []string
	// EmitAllowed also reports allowed execs (always in learn mode).
	EmitAllowed bool
	// Poll is how often queued events are read when fewer than
	// WakeupEvents are pending. Defaults: 50ms and 64.
	Poll         time.Duration
	WakeupEvents int
	// Tick is how often containers, learning windows and counters are
	// checked (default 1s).
	Tick time.Duration
}

// DefaultEnforcers is the probe order, strongest first.
var DefaultEnforcers = []string{MechLSM, MechFanotify, MechKill}

// Agent runs detection and enforcement. Create it with New, then Run.
type Agent struct {
	opts     Options
	base     *runtime.Baseline
	kern     *kernel
	fan      *fanotify
	enforcer string
	probes   map[string]string
	cgroups  *cgroupIndex
	hashes   *hashCache
	procs    *procCache
	procRoot string

	mu         sync.Mutex
	containers map[string]*tracked // by container ID
	byOvlDev   map[uint64]*tracked // by overlay superblock device, for fanotify
	dirty      map[string]bool     // image digests with unsaved profile changes
	unresolved uint64
	dropped    uint64
}

// New loads profiles and the BPF programs and probes the enforcement
// mechanisms. The caller must Close the agent.
func New(ctx context.Context, opts Options) (*Agent, error) {
	if opts.Runtime == nil || opts.Sink == nil {
		return nil, errors.New("agent: Runtime and Sink are required")
	}
	if opts.Poll <= 0 {
		opts.Poll = 50 * time.Millisecond
	}
	if opts.WakeupEvents <= 0 {
		opts.WakeupEvents = 64
	}
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.Enforcers == nil {
		opts.Enforcers = DefaultEnforcers
	}
	for _, m := range opts.Enforcers {
		if !slices.Contains(DefaultEnforcers, m) {
			return nil, fmt.Errorf("unknown enforcement mechanism %q (want %s)", m, strings.Join(DefaultEnforcers, ", "))
		}
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err := opts.Runtime.Running(pingCtx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("container runtime unreachable: %w", err)
	}
	profiles, err := opts.Profiles.Load()
	if err != nil {
		return nil, err
	}
	base, err := runtime.NewBaseline(opts.Mode, opts.LearnFor, profiles)
	if err != nil {
		return nil, err
	}
	root, err := cgroup2Root("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	a := &Agent{
		opts: opts, base: base, probes: map[string]string{},
		cgroups: newCgroupIndex(root), hashes: newHashCache(8192), procs: newProcCache(8192), procRoot: "/proc",
		containers: map[string]*tracked{}, byOvlDev: map[uint64]*tracked{}, dirty: map[string]bool{},
	}
	a.kern, err = loadKernel(opts.WakeupEvents, opts.Poll)
	if err != nil {
		return nil, err
	}
	a.probe()
	return a, nil
}

// probe picks the first enforcer in the configured order that works here.
func (a *Agent) probe() {
	for _, m := range a.opts.Enforcers {
		var err error
		switch m {
		case MechLSM:
			err = a.kern.probeLSM()
		case MechFanotify:
			if err = probeFanotify(os.TempDir()); err == nil {
				a.fan, err = newFanotify()
			}
		case MechKill:
			// The tracepoint is attached already; bpf_send_signal was checked
			// by the verifier when it loaded.
		}
		if err != nil {
			a.probes[m] = err.Error()
			continue
		}
		a.probes[m] = "ok"
		if a.enforcer == "" {
			a.enforcer = m
			return
		}
	}
}

// Enforcer is the mechanism that enforces; "" when none works.
func (a *Agent) Enforcer() string { return a.enforcer }

// Probes reports each probed mechanism's result ("ok" or the error).
func (a *Agent) Probes() map[string]string { return a.probes }

// Run watches execs until ctx ends, then saves profiles. It returns the
// first error that stops detection.
func (a *Agent) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Containers running at start are armed before "started" is reported.
	a.sync(ctx)
	a.emit(&Event{Type: EventAgent, Message: "started", Mode: string(a.opts.Mode), Enforcer: a.enforcer, Probes: a.probes})

	errc := make(chan error, 2)
	var wg sync.WaitGroup
	if a.fan != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.fan.run(ctx, a.decideFanotify); err != nil {
				errc <- err
				cancel()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(a.opts.Tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				a.sync(ctx)
			}
		}
	}()

	var rec ringbuf.Record
	var ev rawEvent
	var runErr error
	for ctx.Err() == nil {
		err := a.kern.read(&rec, &ev)
		switch {
		case err == nil:
			a.handleExec(ctx, &ev)
		case errors.Is(err, os.ErrDeadlineExceeded):
		default:
			if ctx.Err() == nil {
				runErr = fmt.Errorf("read exec events: %w", err)
				cancel()
			}
		}
	}
	cancel()
	wg.Wait()
	select {
	case err := <-errc:
		runErr = errors.Join(runErr, err)
	default:
	}
	a.finishLearning(time.Now())
	runErr = errors.Join(runErr, a.flush())
	a.emitCounters("stopped")
	return runErr
}

// Close releases the kernel objects and the fanotify group.
func (a *Agent) Close() error {
	var errs []error
	if a.fan != nil {
		// Run closes the group when it ends; a second close is expected.
		if err := a.fan.Close(); !errors.Is(err, os.ErrClosed) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, a.kern.Close())
	return errors.Join(errs...)
}

// Baseline exposes the profiles being learned and judged.
func (a *Agent) Baseline() *runtime.Baseline { return a.base }

// Dropped returns how many exec events the kernel could not queue.
func (a *Agent) Dropped() (uint64, error) { return a.kern.counter(counterDropped) }

// RunStats returns the exec program's cumulative kernel run time and run
// count (non-zero only while kernel.bpf_stats_enabled is 1).
func (a *Agent) RunStats() (time.Duration, uint64, error) { return a.kern.runStats() }

// sync refreshes the container list, ends learning windows, saves changed
// profiles and reports new drops.
func (a *Agent) sync(ctx context.Context) {
	a.refreshContainers(ctx)
	a.finishLearning(time.Now())
	if err := a.flush(); err != nil {
		a.emit(&Event{Type: EventAgent, Message: "saving profiles failed", Reason: err.Error()})
	}
	if d, err := a.Dropped(); err == nil {
		a.mu.Lock()
		changed := d != a.dropped
		a.dropped = d
		a.mu.Unlock()
		if changed {
			a.emitCounters("events dropped")
		}
	}
}

func (a *Agent) finishLearning(now time.Time) {
	for _, p := range a.base.FinishLearning(now) {
		a.mu.Lock()
		a.dirty[p.ImageDigest] = true
		a.mu.Unlock()
		a.emit(&Event{Type: EventAgent, Message: "learning complete", ImageDigest: p.ImageDigest, ImageName: p.ImageName,
			Mode: string(a.base.Mode(p.ImageDigest, now)), Profile: a.opts.Profiles.FileName(p.ImageDigest)})
	}
}

// flush saves the profiles changed since the last flush.
func (a *Agent) flush() error {
	a.mu.Lock()
	digests := make([]string, 0, len(a.dirty))
	for d := range a.dirty {
		digests = append(digests, d)
	}
	clear(a.dirty)
	a.mu.Unlock()
	if a.opts.Profiles == "" {
		return nil
	}
	var errs []error
	for _, d := range digests {
		if p := a.base.Profile(d); p != nil {
			errs = append(errs, a.opts.Profiles.Save(p))
		}
	}
	return errors.Join(errs...)
}

func (a *Agent) emitCounters(msg string) {
	d, err := a.Dropped()
	e := &Event{Type: EventAgent, Message: msg, Dropped: &d}
	if err != nil {
		e.Reason = err.Error()
	}
	a.mu.Lock()
	e.Unresolved = a.unresolved
	a.mu.Unlock()
	a.emit(e)
}

func (a *Agent) emit(e *Event) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	_ = a.opts.Sink.Emit(e)
}
