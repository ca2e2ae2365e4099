package image

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Decompress returns the uncompressed stream of a layer blob, detecting
// gzip, zstd or an uncompressed tar by its first bytes rather than trusting
// the media type (docker save writes uncompressed layers under gzip-looking
// names, and some registries mislabel zstd). Decompression runs in its own
// goroutine ahead of the reader, so inflating and tar parsing overlap.
// Closing the result closes rc.
func Decompress(rc io.ReadCloser) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(rc, 1<<20)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		rc.Close()
		return nil, fmt.Errorf("read layer: %w", err)
	}
	var src io.Reader
	var closeSrc func()
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			rc.Close()
			return nil, fmt.Errorf("gzip layer: %w", err)
		}
		src, closeSrc = zr, func() { zr.Close() }
	case bytes.HasPrefix(head, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(256<<20))
		if err != nil {
			rc.Close()
			return nil, fmt.Errorf("zstd layer: %w", err)
		}
		src, closeSrc = zr, zr.Close
	default:
		src, closeSrc = br, func() {}
	}
	return newReadahead(src, rc.Close, closeSrc), nil
}

const (
	chunkSize  = 512 << 10
	chunkDepth = 4
)

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

type chunk struct {
	buf *[]byte
	n   int
}

// readahead reads src in a goroutine into a small queue of pooled chunks.
type readahead struct {
	ch       chan chunk
	done     chan struct{}
	cur      chunk
	off      int
	err      error // set by the producer before closing ch
	closeRaw func() error
	closeDec func()
	once     sync.Once
	wg       sync.WaitGroup
}

func newReadahead(src io.Reader, closeRaw func() error, closeDec func()) *readahead {
	r := &readahead{ch: make(chan chunk, chunkDepth), done: make(chan struct{}), closeRaw: closeRaw, closeDec: closeDec}
	r.wg.Add(1)
	go r.produce(src)
	return r
}

func (r *readahead) produce(src io.Reader) {
	defer r.wg.Done()
	defer close(r.ch)
	for {
		buf := chunkPool.Get().(*[]byte)
		n, err := fill(src, *buf)
		if n > 0 {
			select {
			case r.ch <- chunk{buf: buf, n: n}:
			case <-r.done:
				chunkPool.Put(buf)
				return
			}
		} else {
			chunkPool.Put(buf)
		}
		if err != nil {
			r.err = err
			return
		}
	}
}

func (r *readahead) Read(p []byte) (int, error) {
	for r.cur.buf == nil || r.off >= r.cur.n {
		if r.cur.buf != nil {
			chunkPool.Put(r.cur.buf)
			r.cur = chunk{}
		}
		c, ok := <-r.ch
		if !ok {
			return 0, r.err
		}
		r.cur, r.off = c, 0
	}
	n := copy(p, (*r.cur.buf)[r.off:r.cur.n])
	r.off += n
	return n, nil
}

func (r *readahead) Close() error {
	var err error
	r.once.Do(func() {
		close(r.done)
		// Drain so the producer is not blocked, then wait for it.
		go func() {
			for c := range r.ch {
				chunkPool.Put(c.buf)
			}
		}()
		// Closing the raw stream first unblocks a producer waiting on
		// the network or disk; the decompressor is closed only after the
		// producer has stopped using it.
		err = r.closeRaw()
		r.wg.Wait()
		r.closeDec()
	})
	return err
}

// fill reads until buf is full or src fails, returning src's own error
// (io.EOF at a clean end, io.ErrUnexpectedEOF for a truncated stream).
func fill(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := src.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			// A reader that returns nothing without an error is misbehaving;
			// yield once and keep reading.
			continue
		}
	}
	return n, nil
}
