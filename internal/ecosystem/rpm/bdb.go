package rpm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Berkeley DB hash database, the rpmdb format of rpm before 4.16 (RHEL and
// CentOS up to 8, Amazon Linux 2, SLES 12/15 before 15 SP3): only as much
// of the on-disk format (db_page.h) as reading every record needs.
const (
	bdbHashMagic   = 0x061561
	bdbPageHeader  = 26 // sizeof(PAGE)
	bdbTypeHashU   = 2  // P_HASH_UNSORTED (written by old releases)
	bdbTypeOver    = 7  // P_OVERFLOW
	bdbTypeHash    = 13 // P_HASH
	bdbItemKeyData = 1  // H_KEYDATA
	bdbItemOffPage = 3  // H_OFFPAGE
	bdbMetaChksum  = 0x01
)

var errNotBDB = errors.New("not a Berkeley DB hash database")

type bdbReader struct {
	r        io.ReaderAt
	order    binary.ByteOrder
	pageSize uint32
	lastPage uint32
}

func openBDB(r io.ReaderAt, size int64) (*bdbReader, error) {
	meta := make([]byte, 72)
	if _, err := r.ReadAt(meta, 0); err != nil {
		return nil, fmt.Errorf("%w: %w", errNotBDB, err)
	}
	b := &bdbReader{r: r}
	switch {
	case binary.LittleEndian.Uint32(meta[12:16]) == bdbHashMagic:
		b.order = binary.LittleEndian
	case binary.BigEndian.Uint32(meta[12:16]) == bdbHashMagic:
		b.order = binary.BigEndian
	default:
		return nil, errNotBDB
	}
	b.pageSize = b.order.Uint32(meta[20:24])
	b.lastPage = b.order.Uint32(meta[32:36])
	switch {
	case b.pageSize < 512 || b.pageSize > 65536 || b.pageSize&(b.pageSize-1) != 0:
		return nil, fmt.Errorf("berkeley db: invalid page size %d", b.pageSize)
	case meta[24] != 0:
		return nil, errors.New("berkeley db: encrypted databases are not supported")
	case meta[26]&bdbMetaChksum != 0:
		return nil, errors.New("berkeley db: checksummed databases are not supported")
	case (int64(b.lastPage)+1)*int64(b.pageSize) > size:
		return nil, fmt.Errorf("berkeley db: last page %d of %d bytes is past the end of a %d-byte file", b.lastPage, b.pageSize, size)
	}
	return b, nil
}

func (b *bdbReader) page(n uint32, buf []byte) error {
	if n > b.lastPage {
		return fmt.Errorf("page %d past the last page %d", n, b.lastPage)
	}
	if _, err := b.r.ReadAt(buf, int64(n)*int64(b.pageSize)); err != nil {
		return fmt.Errorf("page %d: %w", n, err)
	}
	return nil
}

// each calls fn with every record's value. Keys are rpm's header numbers;
// the value under number 0, if any, is bookkeeping and not a header.
func (b *bdbReader) each(ctx context.Context, fn func(value []byte) error) error {
	pg := make([]byte, b.pageSize)
	for n := uint32(1); n <= b.lastPage; n++ {
		if n%64 == 1 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := b.page(n, pg); err != nil {
			return err
		}
		if t := pg[25]; t != bdbTypeHash && t != bdbTypeHashU {
			continue
		}
		entries := int(b.order.Uint16(pg[20:22]))
		if bdbPageHeader+2*entries > len(pg) {
			return fmt.Errorf("page %d: %d entries do not fit", n, entries)
		}
		for i := 0; i+1 < entries; i += 2 {
			key, err := b.item(pg, i)
			if err != nil {
				return fmt.Errorf("page %d: %w", n, err)
			}
			if len(key) >= 5 && key[0] == bdbItemKeyData && b.order.Uint32(key[1:5]) == 0 {
				continue
			}
			val, err := b.item(pg, i+1)
			if err != nil {
				return fmt.Errorf("page %d: %w", n, err)
			}
			var data []byte
			switch val[0] {
			case bdbItemKeyData:
				data = val[1:]
			case bdbItemOffPage:
				if data, err = b.overflow(val); err != nil {
					return fmt.Errorf("page %d item %d: %w", n, i+1, err)
				}
			default:
				// Duplicates are never written for rpm's Packages.
				continue
			}
			if err := fn(data); err != nil {
				return err
			}
		}
	}
	return nil
}

// item returns the bytes of item i of a hash page: items are packed from
// the end of the page downwards, so each ends where the previous begins.
func (b *bdbReader) item(pg []byte, i int) ([]byte, error) {
	start := int(b.order.Uint16(pg[bdbPageHeader+2*i:]))
	end := len(pg)
	if i > 0 {
		end = int(b.order.Uint16(pg[bdbPageHeader+2*(i-1):]))
	}
	if start < bdbPageHeader || start >= end || end > len(pg) {
		return nil, fmt.Errorf("item %d spans [%d, %d) in a %d-byte page", i, start, end, len(pg))
	}
	return pg[start:end], nil
}

// overflow reads a value stored on a chain of overflow pages.
func (b *bdbReader) overflow(item []byte) ([]byte, error) {
	if len(item) < 12 {
		return nil, fmt.Errorf("off-page item of %d bytes", len(item))
	}
	next := b.order.Uint32(item[4:8])
	total := b.order.Uint32(item[8:12])
	if int64(total) > int64(b.lastPage+1)*int64(b.pageSize) {
		return nil, fmt.Errorf("off-page value of %d bytes is larger than the file", total)
	}
	out := make([]byte, 0, total)
	pg := make([]byte, b.pageSize)
	for pages := uint32(0); next != 0; pages++ {
		if pages > b.lastPage {
			return nil, errors.New("overflow chain loops")
		}
		if err := b.page(next, pg); err != nil {
			return nil, err
		}
		if pg[25] != bdbTypeOver {
			return nil, fmt.Errorf("page %d in an overflow chain has type %d", next, pg[25])
		}
		n := int(b.order.Uint16(pg[22:24])) // OV_LEN: bytes used on this page
		if bdbPageHeader+n > len(pg) || len(out)+n > int(total) {
			return nil, fmt.Errorf("overflow page %d holds %d bytes", next, n)
		}
		out = append(out, pg[bdbPageHeader:bdbPageHeader+n]...)
		next = b.order.Uint32(pg[16:20])
	}
	if len(out) != int(total) {
		return nil, fmt.Errorf("overflow chain holds %d of %d bytes", len(out), total)
	}
	return out, nil
}
