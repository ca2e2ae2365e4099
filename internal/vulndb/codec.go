package vulndb

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bulwark-security/bulwark/internal/model"
)

// The affected entries of one package are stored as one value in a compact
// binary form: a uvarint count, then per entry its strings and lists, every
// string a uvarint length plus bytes. It decodes several times faster than
// JSON and is about half the size (see BenchmarkDecodeAffected); matching
// reads it on every package of every scan, so the difference is the
// lookup budget. Vulnerability records, read once per finding, stay JSON.

// maxListLen bounds every count read from the file so that corrupt data
// cannot make the decoder allocate without limit.
const maxListLen = 1 << 20

var errCorrupt = errors.New("corrupt affected entry")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// encodeAffected appends the binary form of entries to b.
func encodeAffected(b []byte, entries []model.Affected) []byte {
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for i := range entries {
		b = encodeOne(b, &entries[i])
	}
	return b
}

func encodeOne(b []byte, a *model.Affected) []byte {
	b = appendString(b, a.VulnID)
	b = appendString(b, a.Namespace)
	b = appendString(b, string(a.Ecosystem))
	b = appendString(b, a.Package)
	b = appendString(b, string(a.Status))
	b = appendString(b, a.Urgency)
	b = appendString(b, a.Note)
	b = appendString(b, a.Source)
	b = binary.AppendUvarint(b, uint64(len(a.Ranges)))
	for _, r := range a.Ranges {
		b = appendString(b, r.Introduced)
		b = appendString(b, r.Fixed)
		b = appendString(b, r.LastAffected)
	}
	b = appendStrings(b, a.Versions)
	b = appendStrings(b, a.AdvisoryIDs)
	b = binary.AppendUvarint(b, uint64(len(a.GoSymbols)))
	for _, g := range a.GoSymbols {
		b = appendString(b, g.Package)
		b = appendStrings(b, g.Symbols)
		b = appendStrings(b, g.GOOS)
		b = appendStrings(b, g.GOARCH)
	}
	return b
}

// decoder reads the binary form from a string holding the whole value:
// one allocation copies it out of the memory map, and every decoded string
// is a substring of it, which keeps lookups at a few allocations per
// entry. The first error sticks; later reads return zero values.
type decoder struct {
	b   string
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	var v uint64
	for i := 0; i < len(d.b) && i < binary.MaxVarintLen64; i++ {
		c := d.b[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			d.b = d.b[i+1:]
			return v | uint64(c)<<(7*i)
		}
		v |= uint64(c&0x7f) << (7 * i)
	}
	d.err = errCorrupt
	return 0
}

func (d *decoder) count() int {
	n := d.uvarint()
	// Every element takes at least one byte, which bounds n by what is left.
	if n > maxListLen || n > uint64(len(d.b)) {
		if d.err == nil {
			d.err = errCorrupt
		}
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

// decodeAffected parses the binary form. It copies every string, so the
// result outlives the bbolt transaction the bytes came from.
func decodeAffected(b []byte) ([]model.Affected, error) {
	d := &decoder{b: string(b)}
	n := d.count()
	if d.err != nil {
		return nil, fmt.Errorf("%w: bad count", errCorrupt)
	}
	out := make([]model.Affected, n)
	var ranges []model.Range
	for i := range out {
		a := &out[i]
		a.VulnID = d.str()
		a.Namespace = d.str()
		a.Ecosystem = model.Ecosystem(d.str())
		a.Package = d.str()
		a.Status = model.VendorStatus(d.str())
		a.Urgency = d.str()
		a.Note = d.str()
		a.Source = d.str()
		if nr := d.count(); nr > 0 {
			// The entries' ranges share one backing array: one allocation
			// per value instead of one per entry.
			if cap(ranges)-len(ranges) < nr {
				ranges = make([]model.Range, 0, max(nr, n))
			}
			start := len(ranges)
			for range nr {
				ranges = append(ranges, model.Range{Introduced: d.str(), Fixed: d.str(), LastAffected: d.str()})
			}
			a.Ranges = ranges[start:len(ranges):len(ranges)]
		}
		a.Versions = d.strs()
		a.AdvisoryIDs = d.strs()
		if ng := d.count(); ng > 0 {
			a.GoSymbols = make([]model.GoSymbols, ng)
			for j := range a.GoSymbols {
				a.GoSymbols[j] = model.GoSymbols{Package: d.str(), Symbols: d.strs(), GOOS: d.strs(), GOARCH: d.strs()}
			}
		}
		if d.err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, d.err)
		}
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.b))
	}
	return out, nil
}
