package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeOverlay lays out an overlay2-like container: one lower (image)
// layer, an upper (writable) layer and a merged view that, as a real
// overlay mount would, shows the union. The merged view is built by hand
// since mounting needs privileges the unit tier does not assume.
func fakeOverlay(t *testing.T) *Container {
	t.Helper()
	root := t.TempDir()
	c := &Container{
		ID:        cid,
		MergedDir: filepath.Join(root, "merged"),
		UpperDir:  filepath.Join(root, "upper"),
		LowerDirs: []string{filepath.Join(root, "init"), filepath.Join(root, "lower")},
	}
	file := func(dir, p, content string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(dir, p, target string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{c.LowerDirs[1], c.MergedDir} {
		file(dir, "usr/bin/ls", "ls")
		file(dir, "usr/bin/id", "id")
		file(dir, "usr/bin/gone", "gone")
		link(dir, "bin", "usr/bin")
		link(dir, "usr/local/bin/list", "/bin/ls")
		link(dir, "loop", "/loop")
	}
	os.MkdirAll(c.LowerDirs[0], 0o755)
	// The writable layer replaced id and added /tmp/x; gone is deleted.
	for _, dir := range []string{c.UpperDir, c.MergedDir} {
		file(dir, "usr/bin/id", "not id")
		file(dir, "tmp/x", "x")
	}
	if err := syscall.Mknod(filepath.Join(c.UpperDir, "usr/bin/gone"), syscall.S_IFCHR, 0); err != nil {
		t.Logf("whiteout not creatable (%v); covered by the kernel tier", err)
	}
	return c
}

func TestCanonical(t *testing.T) {
	c := fakeOverlay(t)
	tests := []struct{ in, want, wantErr string }{
		{"/bin/ls", "/usr/bin/ls", ""},
		{"/usr/local/bin/list", "/usr/bin/ls", ""},
		{"/usr/bin/../bin/./ls", "/usr/bin/ls", ""},
		{"/../../bin/ls", "/usr/bin/ls", ""},
		{"/loop", "", "too many symlinks"},
		{"/bin/missing", "", "no such file"},
		{"bin/ls", "", "not absolute"},
	}
	for _, tc := range tests {
		got, err := canonical(c.MergedDir, tc.in)
		if got != tc.want || (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("canonical(%q) = %q, %v; want %q, error containing %q", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestLocate(t *testing.T) {
	c := fakeOverlay(t)
	tests := []struct {
		in, wantPath, wantLayer string
		drift                   bool
	}{
		{"/bin/ls", "/usr/bin/ls", c.LowerDirs[1], false},
		{"/usr/bin/id", "/usr/bin/id", c.UpperDir, true},
		{"/tmp/x", "/tmp/x", c.UpperDir, true},
	}
	for _, tc := range tests {
		lf, err := locate(c, tc.in)
		if err != nil {
			t.Errorf("locate(%q): %v", tc.in, err)
			continue
		}
		if lf.Path != tc.wantPath || lf.Drift != tc.drift || lf.Host != filepath.Join(tc.wantLayer, tc.wantPath) {
			t.Errorf("locate(%q) = %+v; want %s in %s, drift %v", tc.in, *lf, tc.wantPath, tc.wantLayer, tc.drift)
		}
		fi, _ := os.Stat(lf.Host)
		if st := fi.Sys().(*syscall.Stat_t); st.Ino != lf.Ino || st.Dev != lf.Dev {
			t.Errorf("locate(%q): identity %d/%d is not the layer file's %d/%d", tc.in, lf.Dev, lf.Ino, st.Dev, st.Ino)
		}
	}
	if _, err := locate(c, "/usr/bin/nothing"); err == nil {
		t.Error("missing file located")
	}
	if _, err := os.Stat(filepath.Join(c.UpperDir, "usr/bin/gone")); err == nil {
		if _, err := locate(c, "/usr/bin/gone"); err == nil {
			t.Error("file deleted by a whiteout located in the image layer")
		}
	}
	if _, err := locate(&Container{ID: cid}, "/bin/ls"); err == nil || !strings.Contains(err.Error(), "overlay") {
		t.Errorf("container without overlay dirs: err = %v", err)
	}
}

func TestHashCache(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("one"), 0o644)
	h := newHashCache(2)
	k := hashKey{1, 2, 3, 4}
	sum, err := h.file(k, p)
	want := sha256.Sum256([]byte("one"))
	if err != nil || sum != hex.EncodeToString(want[:]) {
		t.Fatalf("file = %s, %v", sum, err)
	}
	// The identity key decides: same key, cached answer without reading.
	os.Remove(p)
	if again, err := h.file(k, p); err != nil || again != sum {
		t.Errorf("cached hash = %s, %v", again, err)
	}
	if _, err := h.file(hashKey{9, 9, 9, 9}, p); err == nil {
		t.Error("missing file hashed")
	}
	// The cache stays bounded.
	h.reader(hashKey{dev: 5}, strings.NewReader("a"))
	h.reader(hashKey{dev: 6}, strings.NewReader("b"))
	if len(h.m) > 2 {
		t.Errorf("cache grew to %d entries", len(h.m))
	}
}

func TestInterpreterOf(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "s")
	os.WriteFile(script, []byte("#!/bin/sh -e\necho hi\n"), 0o755)
	envScript := filepath.Join(dir, "e")
	os.WriteFile(envScript, []byte("#! /usr/bin/env python3\n"), 0o755)
	data := filepath.Join(dir, "d")
	os.WriteFile(data, []byte("plain text"), 0o644)
	for path, want := range map[string]string{script: "/bin/sh", envScript: "/usr/bin/env", data: "", filepath.Join(dir, "missing"): ""} {
		if got := interpreterOf(path); got != want {
			t.Errorf("interpreterOf(%s) = %q, want %q", filepath.Base(path), got, want)
		}
	}
	// A dynamically linked ELF names its loader: every Debian system has /bin/true.
	if got := interpreterOf("/bin/true"); !strings.Contains(got, "ld-linux") {
		t.Errorf("interpreterOf(/bin/true) = %q, want the ld-linux loader", got)
	}
}

func TestDevEncoding(t *testing.T) {
	// stat(2) numbers and the kernel's s_dev for the same devices.
	for _, tc := range []struct {
		stat uint64
		kdev uint32
	}{
		{39, 39},                  // 0:39, an overlay mount
		{65024, 254<<20 | 0},      // 254:0, a virtio disk
		{2049, 8<<20 | 1},         // 8:1
		{0x100500, 5<<20 | 0x100}, // minor above 255
	} {
		if got := kernelDev(tc.stat); got != tc.kdev {
			t.Errorf("kernelDev(%#x) = %#x, want %#x", tc.stat, got, tc.kdev)
		}
		if got := statDev(tc.kdev); got != tc.stat {
			t.Errorf("statDev(%#x) = %#x, want %#x", tc.kdev, got, tc.stat)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	for in, want := range map[string]struct {
		comm string
		ppid uint32
	}{
		"42 (sleep) S 7 42 42 0 -1": {"sleep", 7},
		"43 (a b) (c)) R 1 43 43 0": {"a b) (c)", 1},
		"44 (short)":                {"short", 0},
		"garbage":                   {"", 0},
	} {
		comm, ppid := parseProcStat(in)
		if comm != want.comm || ppid != want.ppid {
			t.Errorf("parseProcStat(%q) = %q, %d; want %q, %d", in, comm, ppid, want.comm, want.ppid)
		}
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add("43 (a b) (c)) R 1 43 43 0")
	f.Fuzz(func(t *testing.T, in string) {
		comm, _ := parseProcStat(in)
		if len(comm) > len(in) {
			t.Errorf("comm longer than input")
		}
	})
}

func TestFdReader(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte(strings.Repeat("z", 10000)), 0o644)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Seek(5000, 0) // the reader must not depend on or move the offset
	h := newHashCache(4)
	got, err := h.reader(hashKey{dev: 1}, &fdReader{fd: int(f.Fd())})
	want := sha256.Sum256([]byte(strings.Repeat("z", 10000)))
	if err != nil || got != hex.EncodeToString(want[:]) {
		t.Errorf("hash through fd = %s, %v", got, err)
	}
	if off, _ := f.Seek(0, 1); off != 5000 {
		t.Errorf("offset moved to %d", off)
	}
}

func TestBootToWall(t *testing.T) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	got := bootToWall(uint64(ts.Nano())-uint64(time.Second), now)
	if d := now.Sub(got); d < time.Second || d > 2*time.Second {
		t.Errorf("an exec 1s ago converts to %v before now", d)
	}
	if got := bootToWall(0, now); !got.Equal(now) {
		t.Errorf("zero boot time = %v, want now", got)
	}
}
