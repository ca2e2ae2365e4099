package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeProc writes /proc/<pid>/{stat,cgroup,exe} for a process started at
// start (clock ticks) under root.
func fakeProc(t *testing.T, root, pid, comm, ppid, start, cgroup, exe string) {
	t.Helper()
	dir := filepath.Join(root, pid)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Fields 3..22 of stat; the last one is the start time.
	rest := strings.Repeat(" 0", 17)
	stat := pid + " (" + comm + ") S " + ppid + rest + " " + start + "\n"
	for name, data := range map[string]string{"stat": stat, "cgroup": cgroup} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(exe, filepath.Join(dir, "exe")); err != nil {
		t.Fatal(err)
	}
}

func TestParseProcStart(t *testing.T) {
	for in, want := range map[string]uint64{
		"42 (sleep) S 7 42 42 0 -1 4194560 104 0 0 0 0 0 0 0 20 0 1 0 1314348 2207744": 1314348,
		"43 (a b) (c)) R 1 43 43 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77":                   77,
		"44 (short) S 1": 0,
		"garbage":        0,
		"45 (x) S 1 " + strings.Repeat("0 ", 16) + "nan": 0,
	} {
		if got := parseProcStart(in); got != want {
			t.Errorf("parseProcStart(%q) = %d, want %d", in, got, want)
		}
	}
}

func FuzzParseProcStart(f *testing.F) {
	f.Add("43 (a b) (c)) R 1 43 43 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77")
	f.Fuzz(func(t *testing.T, in string) {
		if parseProcStart(in) != 0 && !strings.Contains(in, ")") {
			t.Errorf("start time without a comm field in %q", in)
		}
	})
}

// TestParentsCache checks that a parent's executable and container are
// read once per process, and read again after its exec or when its pid is
// reused by a process started later.
func TestParentsCache(t *testing.T) {
	proc := t.TempDir()
	inside, host := "0::/docker/"+cid+"\n", "0::/system.slice/docker.service\n"
	fakeProc(t, proc, "100", "worker", "90", "5000", inside, "/usr/local/bin/execrate")
	fakeProc(t, proc, "90", "execrate", "80", "4900", inside, "/usr/local/bin/execrate")
	fakeProc(t, proc, "80", "containerd-shim", "1", "100", host, "/usr/bin/containerd-shim-runc-v2")
	a := &Agent{procRoot: proc, procs: newProcCache(16)}
	chain := func() []Process { return a.parents(100, "", cid) }
	want := []Process{
		{PID: 100, Comm: "worker", Path: "/usr/local/bin/execrate"},
		{PID: 90, Comm: "execrate", Path: "/usr/local/bin/execrate"},
		{PID: 80, Comm: "containerd-shim", Path: "/usr/bin/containerd-shim-runc-v2"},
	}
	if diff := cmp.Diff(want, chain()); diff != "" {
		t.Fatalf("parents (-want +got):\n%s", diff)
	}

	// Same processes: the cached executable is reported even though the
	// files changed behind the cache's back.
	fakeProc(t, proc, "100", "worker", "90", "5000", inside, "/changed")
	if diff := cmp.Diff(want, chain()); diff != "" {
		t.Errorf("cached parents (-want +got):\n%s", diff)
	}

	// pid 100 ran an exec: its new executable is read.
	a.procs.forget(100)
	want[0].Path = "/changed"
	if diff := cmp.Diff(want, chain()); diff != "" {
		t.Errorf("parents after exec (-want +got):\n%s", diff)
	}

	// pid 90 was reused by a later host process: the chain stops there.
	fakeProc(t, proc, "90", "cron", "1", "6000", host, "/usr/sbin/cron")
	want = append(want[:1], Process{PID: 90, Comm: "cron", Path: "/usr/sbin/cron"})
	if diff := cmp.Diff(want, chain()); diff != "" {
		t.Errorf("parents after pid reuse (-want +got):\n%s", diff)
	}
}

func TestProcCacheBounded(t *testing.T) {
	c := newProcCache(2)
	for pid := uint32(1); pid <= 5; pid++ {
		c.put(pid, procEntry{start: 1, exe: "/x"})
	}
	if len(c.m) > 2 {
		t.Errorf("cache holds %d entries, max 2", len(c.m))
	}
	if _, ok := c.get(5, 1); !ok {
		t.Error("latest entry missing")
	}
	if _, ok := c.get(5, 2); ok {
		t.Error("entry returned for another start time")
	}
	c.put(6, procEntry{exe: "/unknown-start"})
	if _, ok := c.get(6, 0); ok {
		t.Error("entry without a start time cached")
	}
	var none *procCache
	none.put(1, procEntry{start: 1})
	none.forget(1)
	if _, ok := none.get(1, 1); ok {
		t.Error("nil cache returned an entry")
	}
}

func TestReadProcFile(t *testing.T) {
	dir := t.TempDir()
	small, large := filepath.Join(dir, "small"), filepath.Join(dir, "large")
	os.WriteFile(small, []byte("42 (sleep) S 7"), 0o644)
	os.WriteFile(large, []byte(strings.Repeat("x", 100)), 0o644)
	var buf [16]byte
	for name, want := range map[string]string{small: "42 (sleep) S 7", large: strings.Repeat("x", 100)} {
		got, err := readProcFile(name, buf[:])
		if err != nil || string(got) != want {
			t.Errorf("readProcFile(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := readProcFile(filepath.Join(dir, "missing"), buf[:]); err == nil {
		t.Error("no error for a missing file")
	}
}
