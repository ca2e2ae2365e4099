package agent

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// layerFile is an executable of a container located in its overlay layers.
type layerFile struct {
	// Path is the canonical path inside the container (no symlinks).
	Path string
	// Host is the real file on the host: in the upper (writable) dir or in
	// one of the image's lower dirs.
	Host string
	// Dev and Ino identify Host (stat(2) numbers).
	Dev, Ino uint64
	// OvlDev and OvlIno identify the file through the merged overlay mount,
	// as the kernel reports it in exec events.
	OvlDev, OvlIno uint64
	// Drift is true when the file is in the writable layer.
	Drift bool
	Size  int64
	Mtime int64
}

var errNotInImage = errors.New("not in the container's root filesystem layers")

// maxSymlinks bounds symlink resolution like the kernel's MAXSYMLINKS.
const maxSymlinks = 40

// canonical resolves p inside the container rooted at root (the merged
// overlay dir), interpreting absolute symlinks relative to root, and
// returns the symlink-free in-container path. The final component must
// exist.
func canonical(root, p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("path %q is not absolute", p)
	}
	todo := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
	done := "/"
	links := 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			done = path.Dir(done)
			continue
		}
		next := path.Join(done, name)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			done = next
			continue
		}
		links++
		if links > maxSymlinks {
			return "", fmt.Errorf("resolve %s: too many symlinks", p)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			done = "/"
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return done, nil
}

// locate finds the container path p in c's layers: the upper dir first,
// then the lower dirs in order, as overlayfs does.
func locate(c *Container, p string) (*layerFile, error) {
	if c.MergedDir == "" {
		return nil, fmt.Errorf("container %.12s: no overlay directories (storage driver not overlay2?)", c.ID)
	}
	cp, err := canonical(c.MergedDir, p)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errNotInImage, p, err)
	}
	merged, err := os.Stat(filepath.Join(c.MergedDir, cp))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errNotInImage, cp, err)
	}
	if !merged.Mode().IsRegular() {
		return nil, fmt.Errorf("%s in container %.12s is not a regular file", cp, c.ID)
	}
	mst := merged.Sys().(*syscall.Stat_t)
	lf := &layerFile{Path: cp, OvlDev: mst.Dev, OvlIno: mst.Ino, Size: merged.Size(), Mtime: merged.ModTime().UnixNano()}
	dirs := append([]string{c.UpperDir}, c.LowerDirs...)
	for i, dir := range dirs {
		if dir == "" {
			continue
		}
		fi, err := os.Lstat(filepath.Join(dir, cp))
		if err != nil {
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode()&os.ModeCharDevice != 0 && st.Rdev == 0 {
			break // whiteout: deleted in this layer
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		lf.Host, lf.Dev, lf.Ino, lf.Drift = filepath.Join(dir, cp), st.Dev, st.Ino, i == 0
		return lf, nil
	}
	return nil, fmt.Errorf("%w: %s found in the merged view but in no layer", errNotInImage, cp)
}

// hashCache remembers content hashes by file identity, so an executable
// run a thousand times is read once. Size and mtime are part of the key
// because a writable file keeps its inode when rewritten.
type hashCache struct {
	mu  sync.Mutex
	max int
	m   map[hashKey]string
}

type hashKey struct {
	dev, ino     uint64
	size, mtimeN int64
}

func newHashCache(max int) *hashCache { return &hashCache{max: max, m: map[hashKey]string{}} }

// file returns the SHA-256 of the file at host path with identity k.
func (h *hashCache) file(k hashKey, host string) (string, error) {
	if sum, ok := h.get(k); ok {
		return sum, nil
	}
	f, err := os.Open(host)
	if err != nil {
		return "", fmt.Errorf("hash executable: %w", err)
	}
	defer f.Close()
	return h.reader(k, f)
}

// reader hashes r (an open executable) and caches the result under k.
func (h *hashCache) reader(k hashKey, r io.Reader) (string, error) {
	if sum, ok := h.get(k); ok {
		return sum, nil
	}
	d := sha256.New()
	if _, err := io.Copy(d, r); err != nil {
		return "", fmt.Errorf("hash executable: %w", err)
	}
	sum := hex.EncodeToString(d.Sum(nil))
	h.mu.Lock()
	if len(h.m) >= h.max {
		clear(h.m)
	}
	h.m[k] = sum
	h.mu.Unlock()
	return sum, nil
}

func (h *hashCache) get(k hashKey) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sum, ok := h.m[k]
	return sum, ok
}

// interpreterOf returns the path of the program the kernel loads to run
// the file at host: the ELF PT_INTERP (ld-linux) or a script's #! line;
// "" for static binaries and unknown formats.
func interpreterOf(host string) string {
	f, err := os.Open(host)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if bytes.HasPrefix(head, []byte("#!")) {
		line, _, _ := bytes.Cut(head[2:], []byte("\n"))
		fields := strings.Fields(string(line))
		if len(fields) > 0 {
			return fields[0]
		}
		return ""
	}
	if !bytes.HasPrefix(head, []byte(elf.ELFMAG)) {
		return ""
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return ""
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, min(p.Filesz, 4096))
		if _, err := p.ReadAt(b, 0); err != nil {
			return ""
		}
		return string(bytes.TrimRight(b, "\x00"))
	}
	return ""
}
