package rpm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Tags of the rpm header read for the inventory (rpmtag.h).
const (
	tagName            = 1000
	tagVersion         = 1001
	tagRelease         = 1002
	tagEpoch           = 1003
	tagLicense         = 1014
	tagVendor          = 1011
	tagArch            = 1022
	tagOldFilenames    = 1027
	tagSourceRPM       = 1044
	tagDirIndexes      = 1116
	tagBasenames       = 1117
	tagDirNames        = 1118
	tagModularityLabel = 5096
)

// Types of header entries.
const (
	typeInt32       = 4
	typeString      = 6
	typeStringArray = 8
	typeI18NString  = 9
)

// Limits rpm itself enforces on a header (hdrblob limits in header.c);
// anything larger is not a header rpm could have written.
const (
	maxHeaderEntries = 0xffff
	maxHeaderData    = 256 << 20
)

var errNotHeader = errors.New("not an rpm header")

// header is the parsed index of one package header blob, as rpm stores it
// in every database format: a count of index entries, the size of the data
// store, the entries (tag, type, offset, count) and the data store.
type header struct {
	entries map[int32]headerEntry
	data    []byte
}

type headerEntry struct {
	typ    uint32
	offset uint32
	count  uint32
}

// parseHeader validates the blob's structure and indexes its entries.
// Only offsets are checked here; each value is bounds-checked when read.
func parseHeader(blob []byte) (*header, error) {
	if len(blob) < 8 {
		return nil, fmt.Errorf("%w: %d bytes", errNotHeader, len(blob))
	}
	il := binary.BigEndian.Uint32(blob[0:4])
	dl := binary.BigEndian.Uint32(blob[4:8])
	if il == 0 || il > maxHeaderEntries || dl > maxHeaderData {
		return nil, fmt.Errorf("%w: %d entries, %d bytes of data", errNotHeader, il, dl)
	}
	indexEnd := 8 + uint64(il)*16
	if indexEnd+uint64(dl) > uint64(len(blob)) {
		return nil, fmt.Errorf("%w: truncated (%d entries, %d bytes of data, blob of %d bytes)", errNotHeader, il, dl, len(blob))
	}
	h := &header{entries: make(map[int32]headerEntry, il), data: blob[indexEnd : indexEnd+uint64(dl)]}
	for i := range uint64(il) {
		e := blob[8+i*16 : 8+i*16+16]
		tag := int32(binary.BigEndian.Uint32(e[0:4]))
		he := headerEntry{
			typ:    binary.BigEndian.Uint32(e[4:8]),
			offset: binary.BigEndian.Uint32(e[8:12]),
			count:  binary.BigEndian.Uint32(e[12:16]),
		}
		// Region tags (61-63) point at a trailer and say nothing about
		// the package; entries after the region (rpm's "dribble")
		// override earlier ones, as rpm does on import.
		if tag >= 61 && tag <= 63 {
			continue
		}
		h.entries[tag] = he
	}
	return h, nil
}

// strings reads a string, string-array or i18n-string entry. A missing tag
// is not an error: it returns nil.
func (h *header) strings(tag int32) ([]string, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	switch e.typ {
	case typeString, typeStringArray, typeI18NString:
	default:
		return nil, fmt.Errorf("tag %d: type %d is not a string", tag, e.typ)
	}
	if e.typ == typeString && e.count != 1 {
		return nil, fmt.Errorf("tag %d: string with count %d", tag, e.count)
	}
	if uint64(e.offset) > uint64(len(h.data)) || uint64(e.count) > uint64(len(h.data)) {
		return nil, fmt.Errorf("tag %d: offset %d count %d outside %d bytes of data", tag, e.offset, e.count, len(h.data))
	}
	rest := h.data[e.offset:]
	out := make([]string, 0, min(e.count, 1024))
	for range e.count {
		end := bytes.IndexByte(rest, 0)
		if end < 0 {
			return nil, fmt.Errorf("tag %d: unterminated string", tag)
		}
		out = append(out, string(rest[:end]))
		rest = rest[end+1:]
	}
	return out, nil
}

// str reads the first string of an entry, "" when absent.
func (h *header) str(tag int32) (string, error) {
	s, err := h.strings(tag)
	if err != nil || len(s) == 0 {
		return "", err
	}
	return s[0], nil
}

// int32s reads an INT32 array entry.
func (h *header) int32s(tag int32) ([]int32, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	if e.typ != typeInt32 {
		return nil, fmt.Errorf("tag %d: type %d is not int32", tag, e.typ)
	}
	end := uint64(e.offset) + uint64(e.count)*4
	if end > uint64(len(h.data)) {
		return nil, fmt.Errorf("tag %d: %d int32 values at %d outside %d bytes of data", tag, e.count, e.offset, len(h.data))
	}
	out := make([]int32, e.count)
	for i := range out {
		out[i] = int32(binary.BigEndian.Uint32(h.data[e.offset+uint32(i)*4:]))
	}
	return out, nil
}

// files returns the package's file paths: BASENAMES joined to DIRNAMES by
// DIRINDEXES, or the OLDFILENAMES of rpm before 4.0.
func (h *header) files() ([]string, error) {
	base, err := h.strings(tagBasenames)
	if err != nil {
		return nil, err
	}
	if len(base) == 0 {
		return h.strings(tagOldFilenames)
	}
	dirs, err := h.strings(tagDirNames)
	if err != nil {
		return nil, err
	}
	idx, err := h.int32s(tagDirIndexes)
	if err != nil {
		return nil, err
	}
	if len(idx) != len(base) {
		return nil, fmt.Errorf("%d basenames but %d directory indexes", len(base), len(idx))
	}
	out := make([]string, len(base))
	for i, b := range base {
		if idx[i] < 0 || int(idx[i]) >= len(dirs) {
			return nil, fmt.Errorf("directory index %d out of %d directories", idx[i], len(dirs))
		}
		out[i] = dirs[idx[i]] + b
	}
	return out, nil
}
