// Package scan orchestrates a scan: it resolves an image reference, walks
// every layer once (or takes the layer's result from the cache), coalesces
// the layers and returns the inventory that matching and reports consume.
package scan

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/ecosystem/all"
	"github.com/bulwark-security/bulwark/internal/image"
	"github.com/bulwark-security/bulwark/internal/model"
)

// Options control an inventory scan.
type Options struct {
	// Image is how the reference is resolved (platform, insecure
	// registries). Image.TempDir defaults to CacheDir/tmp.
	Image image.Options
	// CacheDir holds the layer cache (CacheDir/layers) and temporary
	// files (CacheDir/tmp). Empty disables the cache and uses the system
	// temp dir.
	CacheDir string
	// Catalogers and Detectors default to internal/ecosystem/all.
	Catalogers []catalog.Cataloger
	Detectors  []catalog.Detector
	// Progress, when set, receives progress events. It is called from
	// several goroutines, one call at a time.
	Progress func(Event)
	// Scanner names the tool in the inventory.
	Scanner model.Tool
	// Now stamps Inventory.CreatedAt; defaults to time.Now.
	Now func() time.Time
}

// Event reports progress: the image was resolved, a layer started, moved
// on or finished.
type Event struct {
	Kind   EventKind
	Layer  int   // index, for layer events
	Layers int   // total layers
	Bytes  int64 // uncompressed bytes read so far in this layer
	Size   int64 // the layer blob's size as stored, when known
	Cached bool  // the layer result came from the cache
}

// EventKind names a progress event.
type EventKind int

// Progress event kinds.
const (
	EventResolved EventKind = iota
	EventLayerStart
	EventLayerBytes
	EventLayerDone
)

// Inventory resolves ref and returns its package inventory.
func Inventory(ctx context.Context, ref string, opts Options) (*model.Inventory, error) {
	if opts.Catalogers == nil {
		opts.Catalogers = all.Catalogers()
	}
	if opts.Detectors == nil {
		opts.Detectors = all.Detectors()
	}
	if opts.Image.TempDir == "" && opts.CacheDir != "" {
		opts.Image.TempDir = filepath.Join(opts.CacheDir, "tmp")
	}
	img, err := image.Open(ctx, ref, opts.Image)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	return Image(ctx, img, opts)
}

// Image inventories an already opened image.
func Image(ctx context.Context, img image.Image, opts Options) (*model.Inventory, error) {
	id := img.Identity()
	progress := serialize(opts.Progress)
	progress(Event{Kind: EventResolved, Layers: len(id.Layers)})
	walker := &catalog.Walker{Catalogers: opts.Catalogers, Detectors: opts.Detectors, SpoolDir: opts.Image.TempDir}

	var results []*catalog.LayerResult
	layers := id.Layers
	if r, ok := img.(image.Rooted); ok {
		res, err := walker.Dir(ctx, r.Root())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id.Ref, err)
		}
		results = []*catalog.LayerResult{res}
		layers = []model.Layer{{}}
	} else {
		var err error
		results, err = walkLayers(ctx, img, walker, opts, progress)
		if err != nil {
			return nil, err
		}
	}
	co := catalog.Coalesce(layers, results, opts.Catalogers, opts.Detectors)
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	inv := &model.Inventory{
		Schema:     model.InventorySchema,
		Image:      id,
		Distro:     co.Distro,
		Packages:   co.Packages,
		GoBinaries: co.GoBinaries,
		Status:     co.Status,
		CreatedAt:  now().UTC(),
		Scanner:    opts.Scanner,
	}
	if inv.Packages == nil {
		inv.Packages = []model.Package{}
	}
	if inv.Distro == nil {
		inv.Distro = &model.Distro{ID: model.DistroUnknown}
	}
	return inv, nil
}

// walkLayers returns one result per layer: from the cache when every
// plugin's version matches, otherwise by streaming the layer, at most
// GOMAXPROCS layers at a time.
func walkLayers(ctx context.Context, img image.Image, w *catalog.Walker, opts Options, progress func(Event)) ([]*catalog.LayerResult, error) {
	id := img.Identity()
	var cache *catalog.Cache
	if opts.CacheDir != "" {
		cache = &catalog.Cache{Dir: opts.CacheDir}
	}
	results := make([]*catalog.LayerResult, len(id.Layers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	// Biggest layers first, so the longest walk starts at once.
	for _, i := range bySize(id.Layers) {
		l := id.Layers[i]
		key := catalog.CacheKey(l.DiffID, w.Catalogers, w.Detectors)
		if r, err := cache.Get(key); err == nil && r != nil {
			results[i] = r
			progress(Event{Kind: EventLayerDone, Layer: i, Layers: len(id.Layers), Bytes: r.Bytes, Size: l.Size, Cached: true})
			continue
		}
		g.Go(func() error {
			progress(Event{Kind: EventLayerStart, Layer: i, Layers: len(id.Layers), Size: l.Size})
			rc, err := img.OpenLayer(gctx, i)
			if err != nil {
				return err
			}
			defer rc.Close()
			pr := &progressReader{r: rc, report: func(n int64) {
				progress(Event{Kind: EventLayerBytes, Layer: i, Layers: len(id.Layers), Bytes: n, Size: l.Size})
			}}
			res, err := w.Layer(gctx, pr)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("%s: layer %d (%s): %w", id.Ref, i, l.DiffID, err)
			}
			results[i] = res
			progress(Event{Kind: EventLayerDone, Layer: i, Layers: len(id.Layers), Bytes: res.Bytes, Size: l.Size})
			// A cache that cannot be written costs speed, not correctness.
			_ = cache.Put(key, res)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

func bySize(ls []model.Layer) []int {
	idx := make([]int, len(ls))
	for i := range idx {
		idx[i] = i
	}
	// Insertion sort: layer counts are small.
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && ls[idx[j]].Size > ls[idx[j-1]].Size; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	return idx
}

func serialize(f func(Event)) func(Event) {
	if f == nil {
		return func(Event) {}
	}
	var mu sync.Mutex
	return func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		f(e)
	}
}

// progressReader reports bytes read about every 4 MiB.
type progressReader struct {
	r      io.Reader
	n      int64
	last   int64
	report func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n-p.last >= 4<<20 {
		p.last = p.n
		p.report(p.n)
	}
	return n, err
}
