package java

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits bound the work one archive may cause. Declared sizes in a zip
// are attacker-controlled: they are checked against what is actually
// read and never used to size an allocation.
type Limits struct {
	// MaxDepth is how deep archives nested in archives are opened.
	MaxDepth int
	// MaxEntries is the largest number of entries an archive may list.
	MaxEntries uint64
	// MaxNested is the largest nested archive read into memory.
	MaxNested int64
	// MaxMetadata is the largest pom.properties or manifest read.
	MaxMetadata int64
	// MaxTotal is the most uncompressed bytes read for one top-level
	// archive, nested archives included.
	MaxTotal int64
}

// DefaultLimits fit real archives (a Spring Boot fat jar holds a few
// hundred nested jars of a few MiB each) with room to spare.
var DefaultLimits = Limits{MaxDepth: 4, MaxEntries: 200_000, MaxNested: 64 << 20, MaxMetadata: 1 << 20, MaxTotal: 1 << 30}

// errBudget is returned once an archive has read its MaxTotal.
var errBudget = errors.New("uncompressed size limit reached")

type budget struct{ left int64 }

func (b *budget) take(n int64) error {
	if n > b.left {
		b.left = 0
		return errBudget
	}
	b.left -= n
	return nil
}

// readEntry reads one zip entry completely, refusing entries larger than
// limit and entries that inflate to more than they declare.
func readEntry(f *zip.File, limit int64, b *budget) ([]byte, error) {
	declared := f.UncompressedSize64
	if declared > uint64(limit) {
		return nil, fmt.Errorf("entry %s: declared size %d exceeds the %d byte limit", f.Name, declared, limit)
	}
	if err := b.take(int64(declared)); err != nil {
		return nil, fmt.Errorf("entry %s: %w", f.Name, err)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("entry %s: %w", f.Name, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(rc, int64(declared)+1))
	if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) {
		// archive/zip stops at the declared size and checks the CRC.
		return nil, fmt.Errorf("entry %s: content does not match its declared size or checksum: %w", f.Name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("entry %s: %w", f.Name, err)
	}
	if n > int64(declared) {
		return nil, fmt.Errorf("entry %s: inflates beyond its declared size %d", f.Name, declared)
	}
	return buf.Bytes(), nil
}

// entryCount reads the number of entries from the end of central
// directory record before archive/zip allocates one header per entry.
func entryCount(r io.ReaderAt, size int64) (uint64, error) {
	const eocdLen, maxComment = 22, 65535
	tail := min(size, eocdLen+maxComment)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, zip.ErrFormat
	}
	n := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xffff {
		return n, nil
	}
	// Zip64: the locator just before the record points at the zip64 end
	// of central directory record, which holds the real count.
	if i < 20 || !bytes.Equal(buf[i-20:i-16], []byte("PK\x06\x07")) {
		return n, nil
	}
	off := binary.LittleEndian.Uint64(buf[i-20+8:])
	var rec [56]byte
	if off > uint64(size) || int64(off)+56 > size {
		return 0, zip.ErrFormat
	}
	if _, err := r.ReadAt(rec[:], int64(off)); err != nil {
		return 0, err
	}
	if !bytes.Equal(rec[:4], []byte("PK\x06\x06")) {
		return 0, zip.ErrFormat
	}
	return binary.LittleEndian.Uint64(rec[32:]), nil
}
