package catalog

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Defaults for Walker limits.
const (
	// DefaultSpoolThreshold: claimed files bigger than this are spooled
	// to a temporary file instead of memory.
	DefaultSpoolThreshold = 32 << 20
	// MaxFileSize caps every claimed file whatever a cataloger's MaxSize
	// says (0 or more is clamped to it), so no file is spooled without
	// bound.
	MaxFileSize = 2 << 30
	// maxReleaseFile caps what a distro detector is given per file.
	maxReleaseFile = 64 << 10
	// retainSmall and retainBudget bound the claimed files kept in memory
	// for LayerView.Open and hardlinks within one layer.
	retainSmall  = 1 << 20
	retainBudget = 8 << 20
	// maxWarnings per plugin per layer; the rest are counted.
	maxWarnings = 50
)

// ErrCorrupt wraps errors for layer streams that are not a readable tar
// (truncated or corrupt compression, broken headers).
var ErrCorrupt = errors.New("corrupt or truncated layer")

// Walker runs catalogers and detectors over layer tar streams and
// directory trees. It is safe for concurrent use on different layers.
type Walker struct {
	Catalogers []Cataloger
	Detectors  []Detector
	// SpoolDir receives temporary copies of claimed files bigger than
	// SpoolThreshold. Empty means os.TempDir().
	SpoolDir       string
	SpoolThreshold int64
}

// Layer walks one uncompressed layer tar stream once. A corrupt or
// truncated stream is an error; problems with single entries or plugins
// are warnings in the result.
func (w *Walker) Layer(ctx context.Context, r io.Reader) (*LayerResult, error) {
	lw := w.newLayerWalk()
	defer lw.close()
	cr := &countingReader{r: r}
	tr := tar.NewReader(cr)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w after %d bytes: %w", ErrCorrupt, cr.n, err)
		}
		if err := lw.entry(ctx, tr, h); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%w at %q: %w", ErrCorrupt, h.Name, err)
		}
	}
	// Drain trailing padding so Bytes reflects the whole stream.
	_, _ = io.Copy(io.Discard, cr)
	lw.res.Bytes = cr.n
	return lw.finish(), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// cleanPath turns a tar entry name into an absolute, cleaned image path.
// It reports false for names that climb out of the root ("../x",
// "/../x", "a/../../x").
func cleanPath(name string) (string, bool) {
	rel := strings.TrimLeft(name, "/")
	if rel == "" || rel == "." || rel == "./" {
		return "/", true
	}
	c := path.Clean(rel)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return "/" + strings.TrimPrefix(c, "./"), true
}

type layerWalk struct {
	w        *Walker
	res      *LayerResult
	store    *contentStore
	counts   map[string]int
	detWants func(string) bool
}

func (w *Walker) newLayerWalk() *layerWalk {
	lw := &layerWalk{
		w:      w,
		res:    &LayerResult{},
		store:  newContentStore(w.SpoolDir, w.threshold()),
		counts: map[string]int{},
	}
	lw.detWants = func(p string) bool {
		for _, d := range w.Detectors {
			if d.Wants(p) {
				return true
			}
		}
		return false
	}
	return lw
}

func (w *Walker) threshold() int64 {
	if w.SpoolThreshold > 0 {
		return w.SpoolThreshold
	}
	return DefaultSpoolThreshold
}

func (lw *layerWalk) close() { lw.store.close() }

func (lw *layerWalk) finish() *LayerResult {
	for plugin, n := range lw.counts {
		if n > maxWarnings {
			lw.res.Warnings = append(lw.res.Warnings, Warning{Plugin: plugin, Message: fmt.Sprintf("%d more warnings not shown", n-maxWarnings)})
		}
	}
	return lw.res
}

func (lw *layerWalk) warn(plugin string, failed bool, format string, args ...any) {
	lw.counts[plugin]++
	if lw.counts[plugin] > maxWarnings && !failed {
		return
	}
	lw.res.Warnings = append(lw.res.Warnings, Warning{Plugin: plugin, Message: fmt.Sprintf(format, args...), Failed: failed})
}

func (lw *layerWalk) entry(ctx context.Context, tr *tar.Reader, h *tar.Header) error {
	p, ok := cleanPath(h.Name)
	if !ok {
		lw.warn(WalkerName, false, "%q: path escapes the image root, entry skipped", h.Name)
		return nil
	}
	base := path.Base(p)
	if strings.HasPrefix(base, ".wh.") {
		dir := path.Dir(p)
		if base == ".wh..wh..opq" {
			lw.res.Opaque = append(lw.res.Opaque, dir)
		} else if name := strings.TrimPrefix(base, ".wh."); name != "" && name != "." && name != ".." {
			lw.res.Whiteouts = append(lw.res.Whiteouts, path.Join(dir, name))
		}
		return nil
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return nil
	case tar.TypeSymlink:
		lw.res.Entries = append(lw.res.Entries, p)
		if lw.res.Symlinks == nil {
			lw.res.Symlinks = map[string]string{}
		}
		lw.res.Symlinks[p] = h.Linkname
		return nil
	case tar.TypeLink:
		lw.res.Entries = append(lw.res.Entries, p)
		return lw.hardlink(ctx, h, p)
	case tar.TypeReg, tar.TypeGNUSparse:
		lw.res.Entries = append(lw.res.Entries, p)
		fi := FileInfo{Path: p, Mode: h.FileInfo().Mode(), Size: h.Size}
		return lw.regular(ctx, fi, tr)
	default:
		lw.res.Entries = append(lw.res.Entries, p)
		return nil
	}
}

// hardlink catalogs a hard link with the content of its target, which must
// be an earlier claimed (and retained) file of the same layer.
func (lw *layerWalk) hardlink(ctx context.Context, h *tar.Header, p string) error {
	target, ok := cleanPath(h.Linkname)
	if !ok {
		lw.warn(WalkerName, false, "%s: hardlink target %q escapes the image root, skipped", p, h.Linkname)
		return nil
	}
	size, known := lw.store.size(target)
	fi := FileInfo{Path: p, Mode: h.FileInfo().Mode() &^ fs.ModeType, Size: size}
	claim := lw.claimers(fi)
	det := lw.detWants(p)
	if len(claim) == 0 && !det {
		return nil
	}
	if !known {
		for _, c := range claim {
			lw.warn(c.Name(), false, "%s: hardlink to %s, whose content was not kept", p, target)
		}
		return nil
	}
	content, err := lw.store.open(target)
	if err != nil {
		return nil
	}
	lw.process(ctx, fi, claim, det, content)
	return nil
}

// claimers returns the catalogers that want fi and accept its size,
// warning for those that want it but not at that size.
func (lw *layerWalk) claimers(fi FileInfo) []Cataloger {
	var out []Cataloger
	for _, c := range lw.w.Catalogers {
		if !safeWants(c, fi) {
			continue
		}
		limit := c.MaxSize()
		if limit <= 0 || limit > MaxFileSize {
			limit = MaxFileSize
		}
		if fi.Size > limit {
			lw.warn(c.Name(), false, "%s: %d bytes exceeds the %d-byte limit, skipped", fi.Path, fi.Size, limit)
			continue
		}
		out = append(out, c)
	}
	return out
}

// safeWants calls Wants, treating a panic as "no" (Wants is a string test;
// a panic there is a bug the per-file Catalog recovery would not catch).
func safeWants(c Cataloger, fi FileInfo) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return c.Wants(fi)
}

func (lw *layerWalk) regular(ctx context.Context, fi FileInfo, r io.Reader) error {
	claim := lw.claimers(fi)
	det := lw.detWants(fi.Path) && fi.Size <= maxReleaseFile
	if len(claim) == 0 && !det {
		return nil
	}
	content, err := lw.store.read(fi.Path, r, fi.Size)
	if err != nil {
		return err
	}
	lw.process(ctx, fi, claim, det, content)
	return nil
}

// process hands one file's content to the detectors' collection and to
// every claiming cataloger.
func (lw *layerWalk) process(ctx context.Context, fi FileInfo, claim []Cataloger, det bool, content readerAtLen) {
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
		lw.catalog(ctx, c, fi, content)
	}
	lw.store.retain(fi.Path, content)
}

func (lw *layerWalk) catalog(ctx context.Context, c Cataloger, fi FileInfo, content readerAtLen) {
	res, err, panicked := safeCatalog(ctx, c, Input{FileInfo: fi, Content: content, Layer: lw.store})
	if panicked != nil {
		lw.warn(c.Name(), true, "%s: cataloger panicked: %v", fi.Path, panicked)
		return
	}
	if err != nil {
		lw.warn(c.Name(), false, "%s: %v", fi.Path, err)
	}
	lw.record(c.Name(), fi.Path, res)
}

func (lw *layerWalk) record(plugin, p string, res Result) {
	if len(res.Packages) == 0 && len(res.GoBinaries) == 0 && len(res.OwnedFiles) == 0 {
		return
	}
	for i := range res.Packages {
		pk := &res.Packages[i]
		if pk.FoundBy == "" {
			pk.FoundBy = plugin
		}
		if len(pk.Locations) == 0 {
			pk.Locations = []string{p}
		}
		pk.Layer = nil
	}
	for i := range res.GoBinaries {
		if res.GoBinaries[i].Path == "" {
			res.GoBinaries[i].Path = p
		}
		res.GoBinaries[i].Layer = nil
	}
	lw.res.Found = append(lw.res.Found, Found{Path: p, Plugin: plugin, Packages: res.Packages, GoBinaries: res.GoBinaries, OwnedFiles: res.OwnedFiles})
}

// safeCatalog runs one Catalog call, turning a panic into a value.
func safeCatalog(ctx context.Context, c Cataloger, in Input) (res Result, err error, panicked any) {
	defer func() {
		if r := recover(); r != nil {
			panicked = r
			res, err = Result{}, nil
		}
	}()
	res, err = c.Catalog(ctx, in)
	return res, err, nil
}
