package image

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func TestDecompress(t *testing.T) {
	raw := make([]byte, 3<<20+17) // several readahead chunks and a tail
	rand.New(rand.NewSource(1)).Read(raw[:1<<20])
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(raw)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(raw)
	zw.Close()
	tests := map[string]struct {
		in      []byte
		wantErr bool
	}{
		"gzip":           {in: gz.Bytes()},
		"zstd":           {in: zs.Bytes()},
		"uncompressed":   {in: raw},
		"empty":          {in: nil},
		"truncated gzip": {in: gz.Bytes()[:gz.Len()/2], wantErr: true},
		"truncated zstd": {in: zs.Bytes()[:zs.Len()/2], wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rc, err := Decompress(io.NopCloser(bytes.NewReader(tc.in)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error for a truncated stream")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := raw
			if tc.in == nil {
				want = nil
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

// TestDecompressCloseEarly: closing before the end stops the readahead
// goroutine and closes the source.
func TestDecompressCloseEarly(t *testing.T) {
	src := &closeCounter{r: bytes.NewReader(make([]byte, 8<<20))}
	rc, err := Decompress(src)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := rc.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if n := src.closed.Load(); n != 1 {
		t.Errorf("source closed %d times", n)
	}
}

// closeCounter may be closed while a read is in flight, as an *os.File
// or an HTTP body can.
type closeCounter struct {
	r      io.Reader
	closed atomic.Int32
}

func (c *closeCounter) Read(p []byte) (int, error) {
	if c.closed.Load() > 0 {
		return 0, errors.New("read after close")
	}
	return c.r.Read(p)
}
func (c *closeCounter) Close() error { c.closed.Add(1); return nil }
