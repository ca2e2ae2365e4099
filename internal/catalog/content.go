package catalog

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
)

// readerAtLen is a claimed file's content.
type readerAtLen interface {
	io.ReaderAt
	Len() int64
}

type memContent struct {
	b      []byte
	pooled *[]byte // non-nil when b belongs to bufPool
}

func (m *memContent) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memContent) Len() int64 { return int64(len(m.b)) }

type fileContent struct {
	f    *os.File
	size int64
}

func (f *fileContent) ReadAt(p []byte, off int64) (int, error) { return f.f.ReadAt(p, off) }
func (f *fileContent) Len() int64                              { return f.size }

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// contentStore reads claimed files into pooled memory or spool files and
// keeps some of them for LayerView.Open and hardlinks.
type contentStore struct {
	spoolDir  string
	threshold int64
	retained  map[string]readerAtLen
	spooled   []*os.File
	kept      int64
	// overflow holds retained files past the memory budget.
	overflow    *os.File
	overflowEnd int64
}

var _ LayerView = (*contentStore)(nil)

func newContentStore(spoolDir string, threshold int64) *contentStore {
	return &contentStore{spoolDir: spoolDir, threshold: threshold, retained: map[string]readerAtLen{}}
}

// read reads exactly size bytes of r.
func (s *contentStore) read(name string, r io.Reader, size int64) (readerAtLen, error) {
	if size <= s.threshold {
		bp := bufPool.Get().(*[]byte)
		if int64(cap(*bp)) < size {
			*bp = make([]byte, size)
		}
		b := (*bp)[:size]
		if _, err := io.ReadFull(r, b); err != nil {
			putBuf(bp)
			return nil, err
		}
		return &memContent{b: b, pooled: bp}, nil
	}
	if s.spoolDir != "" {
		if err := os.MkdirAll(s.spoolDir, 0o700); err != nil {
			return nil, fmt.Errorf("spool dir: %w", err)
		}
	}
	f, err := os.CreateTemp(s.spoolDir, "spool-*")
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", name, err)
	}
	// Unlinked at once: the handle keeps it readable, and nothing is left
	// behind if the process dies.
	os.Remove(f.Name())
	if _, err := io.CopyN(f, r, size); err != nil {
		f.Close()
		return nil, err
	}
	s.spooled = append(s.spooled, f)
	return &fileContent{f: f, size: size}, nil
}

// retain keeps content under name when it is small enough (memory) or
// already on disk, and returns pooled memory otherwise.
func (s *contentStore) retain(name string, c readerAtLen) {
	switch c := c.(type) {
	case *fileContent:
		s.retained[name] = c
	case *memContent:
		if c.pooled == nil {
			s.retained[name] = c
			return
		}
		switch {
		case c.Len() <= retainSmall && s.kept+c.Len() <= retainBudget:
			s.retained[name] = &memContent{b: bytes.Clone(c.b)}
			s.kept += c.Len()
		default:
			// Past the memory budget, keep it in the layer's overflow
			// file: a later hard link to it still finds its content,
			// and memory stays bounded whatever the layer holds.
			if sc, err := s.overflowed(c.b); err == nil {
				s.retained[name] = sc
			}
		}
		putBuf(c.pooled)
		c.pooled, c.b = nil, nil
	}
}

// overflowed appends b to the layer's overflow file (created, unlinked,
// on first use) and returns a view of it.
func (s *contentStore) overflowed(b []byte) (readerAtLen, error) {
	if s.overflow == nil {
		if s.spoolDir != "" {
			if err := os.MkdirAll(s.spoolDir, 0o700); err != nil {
				return nil, err
			}
		}
		f, err := os.CreateTemp(s.spoolDir, "retained-*")
		if err != nil {
			return nil, err
		}
		os.Remove(f.Name())
		s.overflow = f
		s.spooled = append(s.spooled, f)
	}
	off := s.overflowEnd
	if _, err := s.overflow.WriteAt(b, off); err != nil {
		return nil, err
	}
	s.overflowEnd += int64(len(b))
	return sectionContent{io.NewSectionReader(s.overflow, off, int64(len(b)))}, nil
}

// sectionContent is a retained file inside the overflow file.
type sectionContent struct{ *io.SectionReader }

func (c sectionContent) Len() int64 { return c.Size() }

func (s *contentStore) size(name string) (int64, bool) {
	c, ok := s.retained[name]
	if !ok {
		return 0, false
	}
	return c.Len(), true
}

func (s *contentStore) open(name string) (readerAtLen, error) {
	c, ok := s.retained[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return c, nil
}

// Open implements LayerView over the retained files.
func (s *contentStore) Open(name string) (io.ReadCloser, error) {
	p, ok := cleanPath(name)
	if !ok {
		return nil, fs.ErrNotExist
	}
	c, err := s.open(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return io.NopCloser(io.NewSectionReader(c, 0, c.Len())), nil
}

func (s *contentStore) close() {
	for _, f := range s.spooled {
		f.Close()
	}
	s.spooled = nil
	s.retained = nil
	s.overflow = nil
}

// putBuf returns a buffer to the pool unless it grew large: a few big Go
// binaries must not pin tens of megabytes for the rest of the scan.
func putBuf(bp *[]byte) {
	if cap(*bp) <= 4<<20 {
		bufPool.Put(bp)
	}
}
