package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// cacheFormat is bumped when the LayerResult encoding changes.
const cacheFormat = 1

// Cache stores LayerResults on disk under Dir/layers, one file per key,
// JSON compressed with zstd, written atomically.
type Cache struct {
	Dir string
}

// CacheKey is the layer cache key: the diff ID plus every plugin's
// name@version (sorted) plus the walker's version, so bumping any plugin
// invalidates exactly the layers it was part of.
func CacheKey(diffID string, cats []Cataloger, dets []Detector) string {
	ids := make([]string, 0, len(cats)+len(dets)+1)
	for _, c := range cats {
		ids = append(ids, "c:"+c.Name()+"@"+strconv.Itoa(c.Version()))
	}
	for _, d := range dets {
		ids = append(ids, "d:"+d.Name()+"@"+strconv.Itoa(d.Version()))
	}
	ids = append(ids, WalkerName+"@"+strconv.Itoa(WalkerVersion), "format@"+strconv.Itoa(cacheFormat))
	sort.Strings(ids)
	h := sha256.New()
	h.Write([]byte(diffID))
	h.Write([]byte{'\n'})
	h.Write([]byte(strings.Join(ids, "\n")))
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Cache) dir() string { return filepath.Join(c.Dir, "layers") }

func (c *Cache) file(key string) string { return filepath.Join(c.dir(), key+".json.zst") }

var (
	encOnce sync.Once
	enc     *zstd.Encoder
	dec     *zstd.Decoder
)

func codecs() (*zstd.Encoder, *zstd.Decoder) {
	encOnce.Do(func() {
		// Entries are JSON of a few hundred KiB at most; the default 8 MiB
		// window would make the encoder hold 16 MiB of history for them.
		enc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(1<<20), zstd.WithLowerEncoderMem(true))
		dec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<30))
	})
	return enc, dec
}

// Get returns the cached result for key, or (nil, nil) when there is none.
// A damaged entry is treated as a miss.
func (c *Cache) Get(key string) (*LayerResult, error) {
	if c == nil || c.Dir == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(c.file(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("layer cache: %w", err)
	}
	_, d := codecs()
	js, err := d.DecodeAll(raw, nil)
	if err != nil {
		return nil, nil
	}
	var r LayerResult
	if err := json.Unmarshal(js, &r); err != nil {
		return nil, nil
	}
	return &r, nil
}

// Put stores r under key: temp file, fsync, rename, so readers never see
// a partial entry.
func (c *Cache) Put(key string, r *LayerResult) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	js, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("layer cache: encode: %w", err)
	}
	e, _ := codecs()
	data := e.EncodeAll(js, nil)
	if err := os.MkdirAll(c.dir(), 0o700); err != nil {
		return fmt.Errorf("layer cache: %w", err)
	}
	f, err := os.CreateTemp(c.dir(), ".tmp-*")
	if err != nil {
		return fmt.Errorf("layer cache: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, c.file(key))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("layer cache: %w", err)
	}
	return nil
}

// Clean removes every cached layer result and reports how many entries
// and bytes were removed. Only Dir/layers is touched.
func (c *Cache) Clean() (files int, bytes int64, err error) {
	entries, err := os.ReadDir(c.dir())
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("layer cache: %w", err)
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			files++
			bytes += info.Size()
		}
	}
	if err := os.RemoveAll(c.dir()); err != nil {
		return files, bytes, fmt.Errorf("layer cache: %w", err)
	}
	return files, bytes, nil
}
