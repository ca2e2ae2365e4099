package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fanotify enforces with FAN_OPEN_EXEC_PERM: the kernel holds every open
// for execution on a marked filesystem until the agent answers, and an
// answer of FAN_DENY fails the execve with EPERM. The kernel also opens
// the ELF interpreter this way, so profiles carry it as an interpreter.
type fanotify struct {
	f *os.File

	mu    sync.Mutex
	marks map[string]bool
}

// decider answers one permission event for the open file fd, opened for
// execution by process pid. It must not block on the network: the exec
// waits for it.
type decider func(fd int, pid int32) bool

func newFanotify() (*fanotify, error) {
	fd, err := unix.FanotifyInit(unix.FAN_CLASS_CONTENT|unix.FAN_CLOEXEC|unix.FAN_NONBLOCK,
		unix.O_RDONLY|unix.O_LARGEFILE|unix.O_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("fanotify_init: %w", err)
	}
	return &fanotify{f: os.NewFile(uintptr(fd), "fanotify"), marks: map[string]bool{}}, nil
}

// probeFanotify checks that this kernel delivers exec permission events,
// by marking and unmarking a directory.
func probeFanotify(dir string) error {
	fan, err := newFanotify()
	if err != nil {
		return err
	}
	defer fan.Close()
	if err := unix.FanotifyMark(int(fan.f.Fd()), unix.FAN_MARK_ADD, unix.FAN_OPEN_EXEC_PERM, unix.AT_FDCWD, dir); err != nil {
		return fmt.Errorf("fanotify_mark FAN_OPEN_EXEC_PERM: %w", err)
	}
	return nil
}

// mark starts checking execs on the filesystem (superblock) of dir: a
// filesystem mark, because the container's mount namespace has its own
// copy of the mount and mount marks would not see its opens.
func (fa *fanotify) mark(dir string) error {
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if fa.marks[dir] {
		return nil
	}
	if err := unix.FanotifyMark(int(fa.f.Fd()), unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM, unix.FAN_OPEN_EXEC_PERM, unix.AT_FDCWD, dir); err != nil {
		return fmt.Errorf("fanotify mark %s: %w", dir, err)
	}
	fa.marks[dir] = true
	return nil
}

// unmark stops checking dir's filesystem. The kernel drops marks of
// unmounted filesystems itself, so errors for gone directories are ignored.
func (fa *fanotify) unmark(dir string) {
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if !fa.marks[dir] {
		return
	}
	delete(fa.marks, dir)
	_ = unix.FanotifyMark(int(fa.f.Fd()), unix.FAN_MARK_REMOVE|unix.FAN_MARK_FILESYSTEM, unix.FAN_OPEN_EXEC_PERM, unix.AT_FDCWD, dir)
}

// run answers permission events until ctx ends or the group is closed.
// Closing the group makes the kernel allow every pending event.
func (fa *fanotify) run(ctx context.Context, decide decider) error {
	go func() {
		<-ctx.Done()
		fa.f.Close()
	}()
	buf := make([]byte, 64*int(unsafe.Sizeof(unix.FanotifyEventMetadata{})))
	for {
		n, err := fa.f.Read(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read fanotify events: %w", err)
		}
		for off := 0; off+int(unsafe.Sizeof(unix.FanotifyEventMetadata{})) <= n; {
			md := (*unix.FanotifyEventMetadata)(unsafe.Pointer(&buf[off]))
			if md.Event_len == 0 || md.Vers != unix.FANOTIFY_METADATA_VERSION {
				return fmt.Errorf("fanotify: unexpected event metadata version %d", md.Vers)
			}
			off += int(md.Event_len)
			if md.Fd < 0 {
				continue // queue overflow; permission events are never dropped this way
			}
			allow := true
			if md.Mask&unix.FAN_OPEN_EXEC_PERM != 0 {
				allow = decide(int(md.Fd), md.Pid)
			}
			resp := unix.FanotifyResponse{Fd: md.Fd, Response: unix.FAN_ALLOW}
			if !allow {
				resp.Response = unix.FAN_DENY
			}
			b := unsafe.Slice((*byte)(unsafe.Pointer(&resp)), unsafe.Sizeof(resp))
			_, werr := fa.f.Write(b)
			unix.Close(int(md.Fd))
			if werr != nil {
				return fmt.Errorf("answer fanotify event: %w", werr)
			}
		}
	}
}

// Close closes the group; pending events are allowed by the kernel.
func (fa *fanotify) Close() error { return fa.f.Close() }

// fdReader reads an event's file descriptor from the start without moving
// or owning it.
type fdReader struct {
	fd  int
	off int64
}

func (r *fdReader) Read(p []byte) (int, error) {
	n, err := unix.Pread(r.fd, p, r.off)
	if n > 0 {
		r.off += int64(n)
	}
	if err != nil {
		return n, err
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}
