package rpm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// rpm's own "ndb" format (Packages.db, SUSE since SLES 15 SP3 and
// openSUSE): a header, pages of 16-byte slots, and blobs addressed in
// 16-byte blocks (lib/backend/ndb/rpmpkg.c). All integers little-endian.
const (
	ndbMagic      = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic  = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobMagic  = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbSlotPage   = 4096
	ndbSlotSize   = 16
	ndbBlockSize  = 16
	ndbHeaderSize = 32 // the first two slots
	ndbMaxPages   = 2048
)

var errNotNDB = errors.New("not an rpm ndb database")

type ndbReader struct {
	r     io.ReaderAt
	size  int64
	slots []byte
}

func openNDB(r io.ReaderAt, size int64) (*ndbReader, error) {
	hdr := make([]byte, ndbHeaderSize)
	if _, err := r.ReadAt(hdr, 0); err != nil {
		return nil, fmt.Errorf("%w: %w", errNotNDB, err)
	}
	if binary.LittleEndian.Uint32(hdr[0:4]) != ndbMagic {
		return nil, errNotNDB
	}
	if v := binary.LittleEndian.Uint32(hdr[4:8]); v != 0 {
		return nil, fmt.Errorf("ndb: unsupported version %d", v)
	}
	pages := binary.LittleEndian.Uint32(hdr[12:16])
	if pages == 0 || pages > ndbMaxPages || int64(pages)*ndbSlotPage > size {
		return nil, fmt.Errorf("ndb: %d slot pages in a %d-byte file", pages, size)
	}
	slots := make([]byte, int(pages)*ndbSlotPage-ndbHeaderSize)
	if _, err := r.ReadAt(slots, ndbHeaderSize); err != nil {
		return nil, fmt.Errorf("ndb: slots: %w", err)
	}
	return &ndbReader{r: r, size: size, slots: slots}, nil
}

// each calls fn with every package blob.
func (n *ndbReader) each(ctx context.Context, fn func(blob []byte) error) error {
	var head [16]byte
	for i := 0; i+ndbSlotSize <= len(n.slots); i += ndbSlotSize {
		if i%(ndbSlotSize*256) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		s := n.slots[i : i+ndbSlotSize]
		if binary.LittleEndian.Uint32(s[0:4]) != ndbSlotMagic {
			return fmt.Errorf("ndb: slot %d: bad magic", i/ndbSlotSize)
		}
		pkg := binary.LittleEndian.Uint32(s[4:8])
		if pkg == 0 {
			continue // a free slot
		}
		off := int64(binary.LittleEndian.Uint32(s[8:12])) * ndbBlockSize
		blocks := int64(binary.LittleEndian.Uint32(s[12:16]))
		if off+blocks*ndbBlockSize > n.size || off+int64(len(head)) > n.size {
			return fmt.Errorf("ndb: package %d: blob at %d is past the end of the file", pkg, off)
		}
		if _, err := n.r.ReadAt(head[:], off); err != nil {
			return fmt.Errorf("ndb: package %d: %w", pkg, err)
		}
		if binary.LittleEndian.Uint32(head[0:4]) != ndbBlobMagic || binary.LittleEndian.Uint32(head[4:8]) != pkg {
			return fmt.Errorf("ndb: package %d: bad blob header", pkg)
		}
		length := int64(binary.LittleEndian.Uint32(head[12:16]))
		if int64(len(head))+length > blocks*ndbBlockSize {
			return fmt.Errorf("ndb: package %d: blob of %d bytes in %d blocks", pkg, length, blocks)
		}
		blob := make([]byte, length)
		if _, err := n.r.ReadAt(blob, off+int64(len(head))); err != nil {
			return fmt.Errorf("ndb: package %d: %w", pkg, err)
		}
		if err := fn(blob); err != nil {
			return err
		}
	}
	return nil
}
