package agent

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

//go:generate ../../scripts/gen-bpf.sh

// Values of enforce_cgroups in bpf/exec.bpf.c: which program stops a
// cgroup's unlisted execs.
const (
	enforceKill uint32 = 1
	enforceLSM  uint32 = 2
)

// Flags of exec_event.
const (
	flagKilled            = 1
	flagFilenameTruncated = 2
)

// Indexes of the counters map.
const (
	counterDropped = 0
	counterKilled  = 1
)

// kernel is the loaded and attached BPF side of the agent.
type kernel struct {
	spec     *ebpf.CollectionSpec
	objs     kernelObjects
	links    []link.Link
	lsm      *ebpf.Program
	reader   *ringbuf.Reader
	poll     time.Duration
	eventLen int
}

// kernelObjects are the objects the detector needs; the LSM program is
// loaded on its own so that a kernel refusing it still gets detection.
type kernelObjects struct {
	HandleExec *ebpf.Program `ebpf:"handle_exec"`
	bulwarkExecMaps
}

// rawEvent is exec_event as the BPF program writes it.
type rawEvent = bulwarkExecExecEvent

// loadKernel loads and attaches the exec tracepoint. wakeupEvents is how
// many pending events wake the reader early; poll is how often it reads
// otherwise.
func loadKernel(wakeupEvents int, poll time.Duration) (*kernel, error) {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return nil, fmt.Errorf("kernel BTF not available (%w): the agent needs CONFIG_DEBUG_INFO_BTF", err)
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("raise memlock limit: %w", err)
	}
	spec, err := loadBulwarkExec()
	if err != nil {
		return nil, err
	}
	k := &kernel{spec: spec, poll: poll, eventLen: int(unsafe.Sizeof(rawEvent{}))}
	if err := spec.Variables["wakeup_bytes"].Set(uint64(wakeupEvents * k.eventLen)); err != nil {
		return nil, fmt.Errorf("set wakeup threshold: %w", err)
	}
	if err := spec.LoadAndAssign(&k.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("load exec program: %+v", ve)
		}
		return nil, fmt.Errorf("load exec program: %w", err)
	}
	l, err := link.AttachTracing(link.TracingOptions{Program: k.objs.HandleExec})
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("attach sched_process_exec: %w", err)
	}
	k.links = append(k.links, l)
	k.reader, err = ringbuf.NewReader(k.objs.Events)
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("open ring buffer: %w", err)
	}
	return k, nil
}

// probeLSM loads and attaches the BPF LSM program. Kernels without BPF LSM
// in their lsm= list, or that refuse trampolines, fail here.
func (k *kernel) probeLSM() error {
	spec := k.spec.Copy()
	var objs struct {
		LSM *ebpf.Program `ebpf:"lsm_bprm_check"`
	}
	opts := &ebpf.CollectionOptions{MapReplacements: map[string]*ebpf.Map{
		"enforce_cgroups": k.objs.EnforceCgroups,
		"allowed":         k.objs.Allowed,
	}}
	if err := spec.LoadAndAssign(&objs, opts); err != nil {
		if errors.Is(err, unix.EPERM) {
			// cilium/ebpf suggests MEMLOCK for every EPERM; the memlock limit is
			// already lifted, so the kernel refused the program type itself.
			return fmt.Errorf("kernel refused the BPF LSM program (bpf not in lsm= or trampolines not permitted): %w", unix.EPERM)
		}
		return fmt.Errorf("load BPF LSM program: %w", err)
	}
	l, err := link.AttachLSM(link.LSMOptions{Program: objs.LSM})
	if err != nil {
		objs.LSM.Close()
		return fmt.Errorf("attach BPF LSM bprm_check_security: %w", err)
	}
	k.lsm = objs.LSM
	k.links = append(k.links, l)
	return nil
}

// read blocks until the next event, returning os.ErrDeadlineExceeded when
// none arrived within the poll interval. Events committed without a wakeup
// are delivered by these polls.
func (k *kernel) read(rec *ringbuf.Record, ev *rawEvent) error {
	k.reader.SetDeadline(time.Now().Add(k.poll))
	if err := k.reader.ReadInto(rec); err != nil {
		return err
	}
	if len(rec.RawSample) < k.eventLen {
		return fmt.Errorf("short exec event: %d bytes, want %d", len(rec.RawSample), k.eventLen)
	}
	return binary.Read(bytes.NewReader(rec.RawSample[:k.eventLen]), binary.NativeEndian, ev)
}

// counter returns one of the counters map's values.
func (k *kernel) counter(idx uint32) (uint64, error) {
	var v uint64
	if err := k.objs.Counters.Lookup(idx, &v); err != nil {
		return 0, fmt.Errorf("read counter %d: %w", idx, err)
	}
	return v, nil
}

// enforce marks cgroup cg for in-kernel enforcement by mech, allowing only
// the given overlay files. The allowlist is written before the mark so
// that no allowed exec is ever stopped.
func (k *kernel) enforce(cg uint64, mech uint32, files []fileKey) error {
	for _, f := range files {
		key := bulwarkExecAllowKey{CgroupId: cg, Ino: f.ino, Dev: f.kdev}
		if err := k.objs.Allowed.Update(key, uint8(1), ebpf.UpdateAny); err != nil {
			return fmt.Errorf("allow file in cgroup %d: %w", cg, err)
		}
	}
	if err := k.objs.EnforceCgroups.Update(cg, mech, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("enforce cgroup %d: %w", cg, err)
	}
	return nil
}

// release forgets a cgroup's enforcement and allowlist.
func (k *kernel) release(cg uint64) {
	_ = k.objs.EnforceCgroups.Delete(cg)
	var key bulwarkExecAllowKey
	var stale []bulwarkExecAllowKey
	var val uint8
	it := k.objs.Allowed.Iterate()
	for it.Next(&key, &val) {
		if key.CgroupId == cg {
			stale = append(stale, key)
		}
	}
	for _, s := range stale {
		_ = k.objs.Allowed.Delete(s)
	}
}

// runStats returns the exec program's cumulative run time and count, which
// the kernel keeps while sysctl kernel.bpf_stats_enabled is 1.
func (k *kernel) runStats() (time.Duration, uint64, error) {
	st, err := k.objs.HandleExec.Stats()
	if err != nil {
		return 0, 0, fmt.Errorf("exec program stats: %w", err)
	}
	return st.Runtime, st.RunCount, nil
}

// Close detaches and frees everything.
func (k *kernel) Close() error {
	var errs []error
	if k.reader != nil {
		errs = append(errs, k.reader.Close())
	}
	for i := len(k.links) - 1; i >= 0; i-- {
		errs = append(errs, k.links[i].Close())
	}
	if k.lsm != nil {
		errs = append(errs, k.lsm.Close())
	}
	errs = append(errs, k.objs.HandleExec.Close(), k.objs.bulwarkExecMaps.Close())
	return errors.Join(errs...)
}

// fileKey is a file as the kernel sees it: inode number and the kernel's
// encoding of the superblock device (MAJOR<<20 | MINOR).
type fileKey struct {
	kdev uint32
	ino  uint64
}

// kernelDev converts a stat(2) device number to the kernel's internal
// dev_t encoding used by super_block.s_dev.
func kernelDev(statDev uint64) uint32 {
	major := uint32((statDev >> 8) & 0xfff)
	minor := uint32((statDev & 0xff) | ((statDev >> 12) & 0xfff00))
	return major<<20 | minor
}

// statDev converts the kernel's dev_t encoding back to stat(2)'s.
func statDev(kdev uint32) uint64 {
	major, minor := uint64(kdev>>20), uint64(kdev&0xfffff)
	return (minor & 0xff) | (major << 8) | ((minor &^ 0xff) << 12)
}

// cString returns the NUL-terminated prefix of b.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}
