package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bulwark-security/bulwark/internal/runtime"
	"golang.org/x/sys/unix"
)

// handleExec judges one exec event from the tracepoint.
func (a *Agent) handleExec(ctx context.Context, ev *rawEvent) {
	a.procs.forget(ev.Pid)
	id := a.cgroups.lookup(ev.CgroupId)
	if id == "" {
		id = containerIDFromProc(a.procRoot, ev.Pid)
	}
	if id == "" {
		return // a host process
	}
	t := a.container(ctx, id)
	if t == nil {
		a.mu.Lock()
		a.unresolved++
		a.mu.Unlock()
		return
	}
	now := time.Now()
	p := cString(ev.Filename[:])
	if !path.IsAbs(p) {
		cwd, err := os.Readlink(filepath.Join(a.procRoot, strconv.Itoa(int(ev.Pid)), "cwd"))
		if err != nil {
			cwd = "/"
		}
		p = path.Join(cwd, p)
	}
	x, lf := a.resolve(t, p, ev.Pid)
	x.Role = runtime.RoleExec
	if lf != nil && !lf.Drift && a.base.Mode(t.c.ImageID, now) == runtime.ModeLearn {
		x.Interpreters = a.interpreters(t, lf)
	}
	v := a.base.Judge(x, now)
	if v.Changed || v.LearningDone {
		a.mu.Lock()
		a.dirty[x.ImageDigest] = true
		a.mu.Unlock()
	}
	mech := MechObserve
	switch {
	case ev.Flags&flagKilled != 0:
		mech = MechKill
		if v.Action != runtime.Deny {
			// The user-space judgement allows what the kernel allowlist,
			// built from profile paths, did not contain.
			v.Action = runtime.Deny
			v.Reason = fmt.Sprintf("killed in the kernel: %s is not at a profiled path (%s)", x.Path, v.Reason)
		}
	case v.Action == runtime.Deny:
		mech = MechLateKill
		if err := killExec(a.procRoot, ev.Pid, ev.Ino); err != nil {
			v.Reason += "; not killed: " + err.Error()
		}
	}
	if v.Action == runtime.Allow && !a.opts.EmitAllowed && v.Mode != runtime.ModeLearn {
		return
	}
	a.emit(&Event{
		Time: bootToWall(ev.TimeNs, time.Now()),
		Type: EventExec, PID: ev.Pid, Comm: cString(ev.Comm[:]), Path: x.Path, SHA256: x.SHA256, Drift: x.Drift,
		Parents: a.parents(ev.Ppid, cString(ev.Pcomm[:]), t.c.ID),
		Verdict: string(v.Action), Mode: string(v.Mode), Reason: v.Reason, Mechanism: mech,
		ContainerID: t.c.ID, ContainerName: t.c.Name, ImageDigest: t.c.ImageID, ImageName: t.c.ImageName,
		RepoDigests: t.c.RepoDigests, Pod: t.c.Pod(), Namespace: t.c.Namespace(),
	})
}

// resolve identifies the file the container ran at p: its layer, whether
// it drifted, and its content hash.
func (a *Agent) resolve(t *tracked, p string, pid uint32) (runtime.Exec, *layerFile) {
	x := runtime.Exec{ImageDigest: t.c.ImageID, ImageName: t.c.ImageName, Path: p}
	lf, err := locate(t.c, p)
	if err == nil {
		x.Path, x.Device, x.Inode, x.Drift = lf.Path, lf.Dev, lf.Ino, lf.Drift
		x.SHA256, _ = a.hashes.file(hashKey{lf.Dev, lf.Ino, lf.Size, lf.Mtime}, lf.Host)
		return x, lf
	}
	if errors.Is(err, errNotInImage) {
		// A volume, a tmpfs or a deleted file: not from the image. Hash it
		// through the process's root while it still runs.
		x.Drift = true
		if f, err := os.Open(filepath.Join(a.procRoot, strconv.Itoa(int(pid)), "root", p)); err == nil {
			if fi, err := f.Stat(); err == nil {
				st := fi.Sys().(*syscall.Stat_t)
				x.SHA256, _ = a.hashes.reader(hashKey{st.Dev, st.Ino, st.Size, fi.ModTime().UnixNano()}, f)
			}
			f.Close()
		}
	}
	return x, nil
}

// interpreters returns the interpreter (ELF or #!) of lf as a profile
// entry, so permission-event enforcers allow the kernel's open of it.
func (a *Agent) interpreters(t *tracked, lf *layerFile) []runtime.Executable {
	ip := interpreterOf(lf.Host)
	if ip == "" || !path.IsAbs(ip) {
		return nil
	}
	il, err := locate(t.c, ip)
	if err != nil || il.Drift {
		return nil
	}
	sum, err := a.hashes.file(hashKey{il.Dev, il.Ino, il.Size, il.Mtime}, il.Host)
	if err != nil {
		return nil
	}
	return []runtime.Executable{{Path: il.Path, SHA256: sum, Device: il.Dev, Inode: il.Ino, Role: runtime.RoleInterpreter}}
}

// decideFanotify answers a FAN_OPEN_EXEC_PERM event: the file at fd is
// about to be executed (or loaded as an interpreter) by pid.
func (a *Agent) decideFanotify(fd int, pid int32) bool {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return true
	}
	a.mu.Lock()
	t := a.byOvlDev[st.Dev]
	armed := t != nil && t.enforcedBy == MechFanotify
	a.mu.Unlock()
	if !armed {
		return true
	}
	link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	p := strings.TrimPrefix(link, t.c.MergedDir)
	if !path.IsAbs(p) {
		p = "/" + p
	}
	x := runtime.Exec{ImageDigest: t.c.ImageID, ImageName: t.c.ImageName, Path: p, Role: runtime.RoleInterpreter}
	lf, err := locate(t.c, p)
	if err == nil && lf.OvlIno == st.Ino {
		x.Path, x.Device, x.Inode, x.Drift = lf.Path, lf.Dev, lf.Ino, lf.Drift
		x.SHA256, _ = a.hashes.file(hashKey{lf.Dev, lf.Ino, lf.Size, lf.Mtime}, lf.Host)
	} else {
		// Not traceable to a layer file (renamed or replaced since the
		// open): judge the open file itself and treat it as not from the
		// image.
		x.Drift = true
		x.SHA256, _ = a.hashes.reader(hashKey{st.Dev, st.Ino, st.Size, st.Mtim.Nano()}, &fdReader{fd: fd})
	}
	v := a.base.Judge(x, time.Now())
	if v.Action != runtime.Deny {
		return true
	}
	comm, ppid := procStat(a.procRoot, uint32(pid))
	a.emit(&Event{
		Type: EventExec, PID: uint32(pid), Comm: comm, Path: x.Path, SHA256: x.SHA256, Drift: x.Drift,
		Parents: a.parents(ppid, "", t.c.ID),
		Verdict: string(v.Action), Mode: string(v.Mode), Reason: v.Reason, Mechanism: MechFanotify,
		ContainerID: t.c.ID, ContainerName: t.c.Name, ImageDigest: t.c.ImageID, ImageName: t.c.ImageName,
		RepoDigests: t.c.RepoDigests, Pod: t.c.Pod(), Namespace: t.c.Namespace(),
	})
	return false
}

// maxParents bounds the reported parent chain.
const maxParents = 6

// parents returns the chain of ancestors from ppid up, nearest first, as
// far as they are still running. It ends with the first ancestor outside
// container id (runc or the shim for docker exec, the container's init
// otherwise), so host processes above the runtime are not reported.
func (a *Agent) parents(ppid uint32, pcomm, id string) []Process {
	var out []Process
	pid := ppid
	for i := 0; i < maxParents && pid > 0; i++ {
		var buf [2048]byte
		data, _ := readProcFile(filepath.Join(a.procRoot, strconv.Itoa(int(pid)), "stat"), buf[:])
		comm, next := parseProcStat(string(data))
		if i == 0 && pcomm != "" {
			comm = pcomm
		}
		if comm == "" {
			break
		}
		start := parseProcStart(string(data))
		pe, ok := a.procs.get(pid, start)
		if !ok {
			pe.start = start
			pe.exe, _ = os.Readlink(filepath.Join(a.procRoot, strconv.Itoa(int(pid)), "exe"))
			pe.container = containerIDFromProc(a.procRoot, pid)
			a.procs.put(pid, pe)
		}
		out = append(out, Process{PID: pid, Comm: comm, Path: pe.exe})
		if pid == 1 || pe.container != id {
			break
		}
		pid = next
	}
	return out
}

// procStat returns a process's comm and parent pid from /proc/<pid>/stat.
func procStat(procRoot string, pid uint32) (string, uint32) {
	data, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(int(pid)), "stat"))
	if err != nil {
		return "", 0
	}
	return parseProcStat(string(data))
}

// readProcFile reads a small /proc file with one read into buf.
// os.ReadFile also registers the file with the poller, stats it and reads
// until EOF, more than doubling the system calls of the per-ancestor reads
// that are made for every exec event.
func readProcFile(name string, buf []byte) ([]byte, error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	n, err := unix.Read(fd, buf)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if n == len(buf) {
		return os.ReadFile(name) // larger than expected
	}
	return buf[:n], nil
}

// parseProcStart returns the start time field of /proc/<pid>/stat, 0 when
// it is missing.
func parseProcStart(s string) uint64 {
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return 0
	}
	// Field 22 overall; the fields after comm start at field 3.
	fields := strings.Fields(s[end+1:])
	if len(fields) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(fields[19], 10, 64)
	return v
}

func parseProcStat(s string) (string, uint32) {
	// "pid (comm) state ppid ...": comm may contain spaces and parentheses.
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", 0
	}
	fields := strings.Fields(s[end+1:])
	if len(fields) < 2 {
		return s[open+1 : end], 0
	}
	ppid, _ := strconv.ParseUint(fields[1], 10, 32)
	return s[open+1 : end], uint32(ppid)
}

// killExec sends SIGKILL to pid if it still runs the file with inode ino,
// through a pidfd so that a reused pid is never hit.
func killExec(procRoot string, pid uint32, ino uint64) error {
	pfd, err := unix.PidfdOpen(int(pid), 0)
	if err != nil {
		return fmt.Errorf("process %d gone: %w", pid, err)
	}
	defer unix.Close(pfd)
	fi, err := os.Stat(filepath.Join(procRoot, strconv.Itoa(int(pid)), "exe"))
	if err != nil {
		return fmt.Errorf("process %d: %w", pid, err)
	}
	if fi.Sys().(*syscall.Stat_t).Ino != ino {
		return fmt.Errorf("process %d runs another program now", pid)
	}
	if err := unix.PidfdSendSignal(pfd, unix.SIGKILL, nil, 0); err != nil {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	return nil
}

// bootToWall converts a CLOCK_BOOTTIME reading (what the BPF program
// records) to wall-clock time, so an event carries when the exec happened
// rather than when it was read.
func bootToWall(bootNs uint64, now time.Time) time.Time {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return now.UTC()
	}
	cur := uint64(ts.Nano())
	if bootNs == 0 || bootNs > cur {
		return now.UTC()
	}
	return now.Add(-time.Duration(cur - bootNs)).UTC()
}
