package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
)

// Dir walks a directory tree (an unpacked root filesystem or a project)
// with the same catalogers. All reads go through an os.Root, so symlinks
// are resolved inside the tree only; links that loop or point outside it
// are reported and skipped. Symlinked directories are not descended.
func (w *Walker) Dir(ctx context.Context, dir string) (*LayerResult, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	defer root.Close()
	lw := w.newLayerWalk()
	defer lw.close()
	view := &dirView{root: root}
	err = filepath.WalkDir(dir, func(full string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, rerr := filepath.Rel(dir, full)
		if rerr != nil {
			return rerr
		}
		p := "/" + filepath.ToSlash(rel)
		if rel == "." {
			p = "/"
		}
		if err != nil {
			lw.warn(WalkerName, false, "%s: %v", p, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		lw.res.Entries = append(lw.res.Entries, p)
		if d.Type()&fs.ModeSymlink != 0 {
			return lw.dirSymlink(ctx, root, view, p, rel)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			lw.warn(WalkerName, false, "%s: %v", p, err)
			return nil
		}
		lw.dirFile(ctx, root, view, FileInfo{Path: p, Mode: info.Mode(), Size: info.Size()}, rel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(lw.res.Entries)
	return lw.finish(), nil
}

// dirSymlink records a link and, when it resolves inside the tree to a
// regular file that a detector or cataloger wants under the link's path,
// reads it through the root.
func (lw *layerWalk) dirSymlink(ctx context.Context, root *os.Root, view *dirView, p, rel string) error {
	target, err := root.Readlink(rel)
	if err != nil {
		lw.warn(WalkerName, false, "%s: %v", p, err)
		return nil
	}
	if lw.res.Symlinks == nil {
		lw.res.Symlinks = map[string]string{}
	}
	lw.res.Symlinks[p] = target
	st, err := root.Stat(rel)
	if err != nil {
		lw.warn(WalkerName, false, "%s: symlink to %q not followed (loop, dangling or outside the root): %v", p, target, unwrapPathErr(err))
		return nil
	}
	if !st.Mode().IsRegular() {
		return nil
	}
	// Catalogers see the file at its real path; the link matters only to
	// detectors (/etc/os-release -> ../usr/lib/os-release).
	if lw.detWants(p) && st.Size() <= maxReleaseFile {
		lw.dirFile(ctx, root, view, FileInfo{Path: p, Mode: st.Mode(), Size: st.Size()}, rel)
	}
	return nil
}

func (lw *layerWalk) dirFile(ctx context.Context, root *os.Root, view *dirView, fi FileInfo, rel string) {
	claim := lw.claimers(fi)
	det := lw.detWants(fi.Path) && fi.Size <= maxReleaseFile
	if len(claim) == 0 && !det {
		return
	}
	f, err := root.Open(rel)
	if err != nil {
		lw.warn(WalkerName, false, "%s: %v", fi.Path, unwrapPathErr(err))
		return
	}
	defer f.Close()
	content, err := lw.store.read(fi.Path, io.LimitReader(f, fi.Size), fi.Size)
	if err != nil {
		lw.warn(WalkerName, false, "%s: read: %v", fi.Path, err)
		return
	}
	if det && fi.Size <= maxReleaseFile {
		buf := make([]byte, int(content.Len()))
		if _, err := content.ReadAt(buf, 0); err == nil || errors.Is(err, io.EOF) {
			if lw.res.Release == nil {
				lw.res.Release = map[string][]byte{}
			}
			lw.res.Release[fi.Path] = buf
		}
	}
	for _, c := range claim {
		res, err, panicked := safeCatalog(ctx, c, Input{FileInfo: fi, Content: content, Layer: view})
		if panicked != nil {
			lw.warn(c.Name(), true, "%s: cataloger panicked: %v", fi.Path, panicked)
			continue
		}
		if err != nil {
			lw.warn(c.Name(), false, "%s: %v", fi.Path, err)
		}
		lw.record(c.Name(), fi.Path, res)
	}
	if mc, ok := content.(*memContent); ok && mc.pooled != nil {
		putBuf(mc.pooled)
	}
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dirView is LayerView over a directory tree.
type dirView struct{ root *os.Root }

var _ LayerView = (*dirView)(nil)

func (v *dirView) Open(name string) (io.ReadCloser, error) {
	p, ok := cleanPath(name)
	if !ok {
		return nil, fs.ErrNotExist
	}
	rel := path.Clean(p[1:])
	if p == "/" {
		rel = "."
	}
	f, err := v.root.Open(rel)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file: %w", p, fs.ErrNotExist)
	}
	return f, nil
}
