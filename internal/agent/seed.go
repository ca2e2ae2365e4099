package agent

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/bulwark-security/bulwark/internal/image"
	"github.com/bulwark-security/bulwark/internal/runtime"
)

// SeedOptions select what Seed puts into a profile.
type SeedOptions struct {
	// Paths are path.Match globs ("/usr/sbin/*"); an owned executable is
	// seeded when its packaged or its canonical path matches one. None
	// seeds every owned executable.
	Paths []string
}

// SeedStats says what Seed found, for the user to judge the result.
type SeedStats struct {
	// Packages is how many packages had a file list.
	Packages int
	// Owned is how many paths in those lists are executable regular
	// files (a file listed under two paths counts twice).
	Owned int
	// Seeded is how many entries the profile got (interpreters included).
	Seeded int
}

// Seed reads img's layers and returns a profile for it listing the
// executables its packages own (dpkg's info/*.list, distroless
// status.d/*.md5sums, apk's installed database), each with the content hash
// of the file in the image and its canonical path (symlinks resolved, as
// the agent reports paths), plus the ELF and #! interpreters those need.
//
// Identity stays the content hash: a seeded entry allows exactly the file
// the image shipped, and the agent fills in device and inode when it first
// sees the file. The package that owns each entry is recorded so a
// reviewer can tell seeded entries from learned ones.
func Seed(ctx context.Context, img image.Image, o SeedOptions) (*runtime.Profile, SeedStats, error) {
	var st SeedStats
	for _, g := range o.Paths {
		if _, err := path.Match(g, "/"); err != nil {
			return nil, st, fmt.Errorf("seed: path pattern %q: %w", g, err)
		}
	}
	id := img.Identity()
	digest := id.ConfigDigest
	if digest == "" {
		return nil, st, fmt.Errorf("seed %s: the image has no image ID (config digest); profiles are keyed by it", id.Ref)
	}
	if len(id.Layers) == 0 {
		return nil, st, fmt.Errorf("seed %s: no layers to read (seed needs an image, not a directory)", id.Ref)
	}
	v := seedView{}
	for i := range id.Layers {
		if err := v.readLayer(ctx, img, i); err != nil {
			return nil, st, fmt.Errorf("seed %s: layer %d: %w", id.Ref, i, err)
		}
	}
	owned := v.ownedFiles()
	if len(owned) == 0 {
		return nil, st, fmt.Errorf("seed %s: no package file lists found (dpkg /var/lib/dpkg/info/*.list, status.d/*.md5sums or apk /lib/apk/db/installed)", id.Ref)
	}
	type ownedExec struct {
		owned, canon string
		f            *seedFile
	}
	paths := make([]string, 0, len(owned))
	for f := range owned {
		paths = append(paths, f)
	}
	sort.Strings(paths)
	var execs []ownedExec
	canonOwner := map[string]string{}
	for _, op := range paths {
		canon, f := v.resolve(op)
		if f == nil || f.kind != tar.TypeReg {
			continue
		}
		if _, ok := canonOwner[canon]; !ok {
			canonOwner[canon] = owned[op]
		}
		if f.exec {
			execs = append(execs, ownedExec{op, canon, f})
		}
	}
	pkgs := map[string]bool{}
	var entries []runtime.Executable
	for _, x := range execs {
		st.Owned++
		pkgs[owned[x.owned]] = true
		if !seedMatch(o.Paths, x.owned, x.canon) {
			continue
		}
		entries = append(entries, runtime.Executable{Path: x.canon, SHA256: x.f.sum, Role: runtime.RoleExec, Package: owned[x.owned]})
		if x.f.interp == "" {
			continue
		}
		ipath, in := v.resolve(x.f.interp)
		if in != nil && in.kind == tar.TypeReg && in.sum != "" {
			entries = append(entries, runtime.Executable{Path: ipath, SHA256: in.sum, Role: runtime.RoleInterpreter, Package: canonOwner[ipath]})
		}
	}
	p := &runtime.Profile{ImageDigest: digest, ImageName: seedImageName(id.Name, id.Tags), Revision: 1}
	st.Packages = len(pkgs)
	p.Merge(entries)
	st.Seeded = len(p.Executables)
	if err := p.Validate(); err != nil {
		return nil, st, fmt.Errorf("seed %s: %w", id.Ref, err)
	}
	return p, st, nil
}

func seedImageName(name string, tags []string) string {
	if len(tags) > 0 {
		return tags[0]
	}
	return name
}

func seedMatch(globs []string, paths ...string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		for _, p := range paths {
			if ok, _ := path.Match(g, p); ok {
				return true
			}
		}
	}
	return false
}

// seedFile is one path of the squashed filesystem as far as seeding cares.
type seedFile struct {
	layer int
	kind  byte // tar.TypeReg, tar.TypeSymlink or tar.TypeDir
	exec  bool
	link  string // symlink target
	sum   string // hex SHA-256 of executables and likely interpreters
	// interp is the ELF PT_INTERP or #! interpreter of an executable.
	interp string
	// data holds package database files.
	data []byte
}

// seedView is the image's filesystem after stacking layers, keyed by
// clean absolute path.
type seedView map[string]*seedFile

// Limits that keep a hostile image from exhausting memory.
const (
	maxSeedDBFile  = 32 << 20
	maxSeedEntries = 2 << 20
	seedPrefixLen  = 8 << 10
)

// isPackageDB reports whether p is a package database file Seed reads.
func isPackageDB(p string) bool {
	dir, base := path.Split(p)
	switch {
	case dir == "/var/lib/dpkg/info/" && strings.HasSuffix(base, ".list"):
		return true
	case dir == "/var/lib/dpkg/status.d/" && strings.HasSuffix(base, ".md5sums"):
		return true
	}
	return p == "/lib/apk/db/installed"
}

func (v seedView) readLayer(ctx context.Context, img image.Image, layer int) error {
	rc, err := img.OpenLayer(ctx, layer)
	if err != nil {
		return err
	}
	defer rc.Close()
	// What this layer deletes from lower layers is applied once, after
	// the layer: deleting subtrees at each whiteout would cost a pass over
	// the whole view per whiteout, which a hostile image could make huge.
	gone, opaque := map[string]bool{}, map[string]bool{}
	tr := tar.NewReader(rc)
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			v.hide(gone, opaque, layer)
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		if len(v) > maxSeedEntries {
			return fmt.Errorf("more than %d files", maxSeedEntries)
		}
		p := path.Clean("/" + h.Name)
		dir, base := path.Split(p)
		if base == ".wh..wh..opq" {
			opaque[path.Clean(dir)] = true
			continue
		}
		if name, ok := strings.CutPrefix(base, ".wh."); ok {
			gone[path.Join(dir, name)] = true
			continue
		}
		f := &seedFile{layer: layer}
		switch h.Typeflag {
		case tar.TypeReg:
			f.kind = tar.TypeReg
			f.exec = h.FileInfo().Mode()&0o111 != 0
			if err := f.read(tr, p, h.Size); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		case tar.TypeLink:
			target := v[path.Clean("/"+h.Linkname)]
			if target == nil {
				continue
			}
			c := *target
			c.layer, c.exec = layer, h.FileInfo().Mode()&0o111 != 0
			f = &c
		case tar.TypeSymlink:
			f.kind, f.link = tar.TypeSymlink, h.Linkname
		case tar.TypeDir:
			f.kind = tar.TypeDir
			// A directory replacing a non-directory hides nothing else.
		default:
			continue
		}
		if old := v[p]; old != nil && old.kind == tar.TypeDir && f.kind != tar.TypeDir {
			gone[p] = true // the lower directory's contents go with it
		}
		v[p] = f
	}
}

// read hashes executables and files an interpreter may be, and keeps
// package database files.
func (f *seedFile) read(r io.Reader, p string, size int64) error {
	base := path.Base(p)
	if isPackageDB(p) {
		if size > maxSeedDBFile {
			return fmt.Errorf("package database file of %d bytes: larger than %d", size, maxSeedDBFile)
		}
		data, err := io.ReadAll(io.LimitReader(r, maxSeedDBFile))
		f.data = data
		return err
	}
	if !f.exec && !strings.HasPrefix(base, "ld-") {
		return nil
	}
	h := sha256.New()
	prefix := make([]byte, seedPrefixLen)
	n, err := io.ReadFull(r, prefix)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	h.Write(prefix[:n])
	if _, err := io.Copy(h, r); err != nil {
		return err
	}
	f.sum = hex.EncodeToString(h.Sum(nil))
	f.interp = interpreterInPrefix(prefix[:n])
	return nil
}

// hide removes what lower layers put at or under a path in gone, and
// strictly under a directory in opaque: one pass over the view, looking
// up each entry's ancestors.
func (v seedView) hide(gone, opaque map[string]bool, layer int) {
	if len(gone) == 0 && len(opaque) == 0 {
		return
	}
	for k, f := range v {
		if f.layer < layer && hiddenBy(k, gone, opaque) {
			delete(v, k)
		}
	}
}

// hiddenBy reports whether p or an ancestor is in gone, or a strict
// ancestor is in opaque.
func hiddenBy(p string, gone, opaque map[string]bool) bool {
	if gone[p] {
		return true
	}
	for p != "/" {
		p = path.Dir(p)
		if gone[p] || opaque[p] {
			return true
		}
	}
	return false
}

// resolve follows symlinks in every component of p within the image's
// root, as the kernel would inside the container, and returns the
// canonical path and its file (nil when missing or a loop).
func (v seedView) resolve(p string) (string, *seedFile) {
	p = path.Clean("/" + p)
	for hops := 0; hops < 40; hops++ {
		parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
		cur, again := "", false
		for i, part := range parts {
			next := cur + "/" + part
			f := v[next]
			if f != nil && f.kind == tar.TypeSymlink {
				target := f.link
				if !strings.HasPrefix(target, "/") {
					target = path.Join(path.Dir(next), target)
				}
				p = path.Clean("/" + path.Join(append([]string{target}, parts[i+1:]...)...))
				again = true
				break
			}
			cur = next
		}
		if !again {
			return p, v[p]
		}
	}
	return p, nil
}
