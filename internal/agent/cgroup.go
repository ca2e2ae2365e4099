package agent

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// cgroupIndex maps cgroup v2 directory inodes, which is what
// bpf_get_current_cgroup_id returns (also in hybrid v1/v2 mode), to
// container IDs. It rescans the hierarchy when it meets an unknown id, at
// most once per minScan.
type cgroupIndex struct {
	root    string
	minScan time.Duration

	mu       sync.Mutex
	ids      map[uint64]string // "" for cgroups that are not containers
	lastScan time.Time
}

func newCgroupIndex(root string) *cgroupIndex {
	return &cgroupIndex{root: root, minScan: 100 * time.Millisecond, ids: map[uint64]string{}}
}

// cgroup2Root returns where the cgroup v2 hierarchy is mounted, from
// mountinfo: /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on
// hybrid ones.
func cgroup2Root(mountinfo string) (string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return "", fmt.Errorf("find cgroup2 mount: %w", err)
	}
	defer f.Close()
	root, err := parseCgroup2Root(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", mountinfo, err)
	}
	return root, nil
}

func parseCgroup2Root(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER
		left, right, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		lf, rf := strings.Fields(left), strings.Fields(right)
		if len(lf) >= 5 && len(rf) >= 1 && rf[0] == "cgroup2" {
			return lf[4], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read mountinfo: %w", err)
	}
	return "", errors.New("no cgroup2 hierarchy mounted: container attribution needs cgroup v2 or hybrid mode")
}

// lookup returns the container ID of cgroup id cg, or "" for a cgroup that
// is not a container's.
func (x *cgroupIndex) lookup(cg uint64) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	if id, ok := x.ids[cg]; ok {
		return id
	}
	if time.Since(x.lastScan) < x.minScan {
		return ""
	}
	x.scan()
	return x.ids[cg]
}

func (x *cgroupIndex) scan() {
	x.lastScan = time.Now()
	ids := map[uint64]string{}
	base := strings.Count(x.root, string(filepath.Separator))
	_ = filepath.WalkDir(x.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if strings.Count(path, string(filepath.Separator))-base > 6 {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		id, _ := containerIDFromCgroup(d.Name())
		ids[st.Ino] = id
		return nil
	})
	x.ids = ids
}

// containerIDFromCgroup extracts a container ID from a cgroup directory
// name as container runtimes create them: "<id>" under docker/ (cgroupfs
// driver), "docker-<id>.scope" (systemd driver), "cri-containerd-<id>.scope",
// "crio-<id>.scope", "libpod-<id>.scope".
func containerIDFromCgroup(name string) (string, bool) {
	name = strings.TrimSuffix(name, ".scope")
	if i := strings.LastIndexByte(name, '-'); i >= 0 {
		name = name[i+1:]
	}
	if len(name) != 64 {
		return "", false
	}
	for _, c := range name {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return name, true
}

// containerIDFromProc reads /proc/<pid>/cgroup and returns the container
// ID found in any hierarchy (the v1 pids controller on hosts without a v2
// container hierarchy). The process may have exited; then it returns "".
func containerIDFromProc(procRoot string, pid uint32) string {
	data, err := os.ReadFile(filepath.Join(procRoot, fmt.Sprint(pid), "cgroup"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		// hierarchy-ID:controllers:path
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if id, ok := containerIDFromCgroup(filepath.Base(parts[2])); ok {
			return id
		}
	}
	return ""
}

// find returns the cgroup id of container id, rescanning once when it is
// not known yet; 0 when it has no cgroup v2 directory.
func (x *cgroupIndex) find(id string) uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	for pass := 0; pass < 2; pass++ {
		for cg, cid := range x.ids {
			if cid == id {
				return cg
			}
		}
		if pass == 0 {
			x.scan()
		}
	}
	return 0
}
