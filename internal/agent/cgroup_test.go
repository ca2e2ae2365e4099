package agent

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const cid = "c8301f282064181b350091259665b367129ef164e8f52e0366032a4b125630f5"

func TestContainerIDFromCgroup(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{cid, cid},
		{"docker-" + cid + ".scope", cid},
		{"cri-containerd-" + cid + ".scope", cid},
		{"crio-" + cid + ".scope", cid},
		{"libpod-" + cid + ".scope", cid},
		{"docker", ""},
		{"system.slice", ""},
		{"session-3.scope", ""},
		{strings.ToUpper(cid), ""},
		{cid[:63], ""},
	}
	for _, tc := range tests {
		got, ok := containerIDFromCgroup(tc.name)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("containerIDFromCgroup(%q) = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}

func TestParseCgroup2Root(t *testing.T) {
	for file, want := range map[string]string{
		"testdata/mountinfo-hybrid.txt": "/sys/fs/cgroup/unified",
		"testdata/mountinfo-v1.txt":     "",
	} {
		got, err := cgroup2Root(file)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("cgroup2Root(%s) = %q, %v; want %q", file, got, err, want)
		}
	}
	if _, err := cgroup2Root("testdata/missing"); err == nil {
		t.Error("missing mountinfo: no error")
	}
}

func TestCgroupIndex(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"docker/" + cid, "system.slice/docker-" + strings.Repeat("a", 64) + ".scope", "user.slice/session-1.scope"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ino := func(p string) uint64 {
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	x := newCgroupIndex(root)
	if got := x.lookup(ino("docker/" + cid)); got != cid {
		t.Errorf("lookup(docker/<id>) = %q", got)
	}
	if got := x.lookup(ino("user.slice/session-1.scope")); got != "" {
		t.Errorf("a session cgroup attributed to container %q", got)
	}
	if got := x.find(strings.Repeat("a", 64)); got != ino("system.slice/docker-"+strings.Repeat("a", 64)+".scope") {
		t.Errorf("find(systemd scope) = %d", got)
	}
	// A container started after the last scan is found by a rescan.
	late := strings.Repeat("b", 64)
	if err := os.MkdirAll(filepath.Join(root, "docker", late), 0o755); err != nil {
		t.Fatal(err)
	}
	x.minScan = 0
	if got := x.lookup(ino("docker/" + late)); got != late {
		t.Errorf("lookup after start = %q, want %q", got, late)
	}
	if got := x.find("missing"); got != 0 {
		t.Errorf("find(missing) = %d", got)
	}
}

func TestContainerIDFromProc(t *testing.T) {
	proc := t.TempDir()
	write := func(pid, content string) {
		if err := os.MkdirAll(filepath.Join(proc, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(proc, pid, "cgroup"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("10", "8:pids:/docker/"+cid+"\n1:cpu:/docker/"+cid+"\n0::/\n")
	write("11", "8:pids:/user.slice\n0::/user.slice/session-1.scope\n")
	for pid, want := range map[uint32]string{10: cid, 11: "", 12: ""} {
		if got := containerIDFromProc(proc, pid); got != want {
			t.Errorf("containerIDFromProc(%d) = %q, want %q", pid, got, want)
		}
	}
}

func FuzzParseCgroup2Root(f *testing.F) {
	b, err := os.ReadFile("testdata/mountinfo-hybrid.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("1 2 0:1 / /x rw - cgroup2 none rw\n")
	f.Fuzz(func(t *testing.T, in string) {
		root, err := parseCgroup2Root(strings.NewReader(in))
		if err == nil && root == "" {
			t.Error("no error and no root")
		}
	})
}

func FuzzContainerIDFromCgroup(f *testing.F) {
	f.Add("docker-" + cid + ".scope")
	f.Fuzz(func(t *testing.T, name string) {
		if id, ok := containerIDFromCgroup(name); ok && (len(id) != 64 || !strings.Contains(name, id)) {
			t.Errorf("containerIDFromCgroup(%q) = %q", name, id)
		}
	})
}

func TestParentsStopAtContainerBoundary(t *testing.T) {
	proc := t.TempDir()
	proc1 := func(pid, stat, cgroup string) {
		os.MkdirAll(filepath.Join(proc, pid), 0o755)
		os.WriteFile(filepath.Join(proc, pid, "stat"), []byte(stat), 0o644)
		os.WriteFile(filepath.Join(proc, pid, "cgroup"), []byte(cgroup), 0o644)
	}
	inside := "0::/docker/" + cid + "\n"
	proc1("100", "100 (sh) S 90 1 1 0", inside)
	proc1("90", "90 (sleep) S 80 1 1 0", inside)
	proc1("80", "80 (containerd-shim) S 1 1 1 0", "0::/system.slice/docker.service\n")
	proc1("1", "1 (init) S 0 1 1 0", "0::/\n")
	a := &Agent{procRoot: proc}
	var got []string
	for _, p := range a.parents(100, "", cid) {
		got = append(got, p.Comm)
	}
	if diff := cmp.Diff([]string{"sh", "sleep", "containerd-shim"}, got); diff != "" {
		t.Errorf("parents (-want +got):\n%s", diff)
	}
}
