package golang

import (
	"bytes"
	"debug/elf"
	"debug/gosym"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
)

// maxPclntab bounds the function table read into memory; real binaries
// stay far below it.
const maxPclntab = 128 << 20

// linkedSymbols returns the functions linked into a Go executable, named
// as Go vulnerability data names them (see model.GoBinary.Symbols). It
// reads the pclntab, which the linker keeps even in stripped binaries.
func linkedSymbols(r io.ReaderAt, format int) ([]string, error) {
	tab, text, err := pclntab(r, format)
	if err != nil {
		return nil, err
	}
	if tab == nil {
		return nil, nil
	}
	return symbolsFromPclntab(tab, text)
}

func symbolsFromPclntab(tab []byte, text uint64) (syms []string, err error) {
	defer func() {
		// debug/gosym trusts the table's offsets; a corrupt table must
		// become an error, not a crash of the scan.
		if r := recover(); r != nil {
			syms, err = nil, fmt.Errorf("corrupt pclntab: %v", r)
		}
	}()
	if err := checkFuncCount(tab); err != nil {
		return nil, err
	}
	t, err := gosym.NewTable(nil, gosym.NewLineTable(tab, text))
	if err != nil {
		return nil, fmt.Errorf("parsing pclntab: %w", err)
	}
	seen := make(map[string]struct{}, len(t.Funcs))
	add := func(s *gosym.Sym) {
		if name, ok := symbolName(s); ok {
			seen[name] = struct{}{}
		}
	}
	for i := range t.Funcs {
		add(t.Funcs[i].Sym)
	}
	// The function name table also names every function inlined into
	// another, which the function list above does not.
	for _, n := range funcNames(tab) {
		add(&gosym.Sym{Name: n})
	}
	syms = make([]string, 0, len(seen))
	for s := range seen {
		syms = append(syms, s)
	}
	slices.Sort(syms)
	return syms, nil
}

// minFuncBytes is the least space one function takes in any pclntab
// version: its function table entry and its _func record.
const minFuncBytes = 40

// checkFuncCount refuses a header whose function count the table cannot
// hold: debug/gosym allocates per function before reading any of them.
func checkFuncCount(tab []byte) error {
	if len(tab) < 16 {
		return errors.New("pclntab header truncated")
	}
	var n uint64
	switch tab[7] {
	case 4:
		n = uint64(binary.LittleEndian.Uint32(tab[8:]))
	case 8:
		n = binary.LittleEndian.Uint64(tab[8:])
	default:
		return fmt.Errorf("pclntab pointer size %d not supported", tab[7])
	}
	if n > uint64(len(tab))/minFuncBytes {
		return fmt.Errorf("pclntab claims %d functions in %d bytes", n, len(tab))
	}
	return nil
}

// funcNames returns every name in the pclntab's function name table
// (Go 1.16 and later): the names of compiled functions and of functions
// inlined into them. It returns nil for older or unrecognised tables.
func funcNames(tab []byte) []string {
	if len(tab) < 8 || tab[4] != 0 || tab[5] != 0 {
		return nil
	}
	ptr := int(tab[7])
	if ptr != 4 && ptr != 8 {
		return nil
	}
	var field int // index of the name table offset in the header words
	switch binary.LittleEndian.Uint32(tab) {
	case 0xfffffffa: // Go 1.16, 1.17
		field = 2
	case 0xfffffff0, 0xfffffff1: // Go 1.18, 1.19; Go 1.20 and later
		field = 3
	default:
		return nil
	}
	word := func(i int) (uint64, bool) {
		off := 8 + i*ptr
		if off+ptr > len(tab) {
			return 0, false
		}
		if ptr == 4 {
			return uint64(binary.LittleEndian.Uint32(tab[off:])), true
		}
		return binary.LittleEndian.Uint64(tab[off:]), true
	}
	start, ok1 := word(field)
	end, ok2 := word(field + 1) // the compilation unit table follows
	if !ok1 || !ok2 || start > end || end > uint64(len(tab)) {
		return nil
	}
	var names []string
	for _, b := range bytes.Split(tab[start:end], []byte{0}) {
		if len(b) > 0 {
			names = append(names, string(b))
		}
	}
	return names
}

// symbolName returns "PKG.FUNC" or "PKG.TYPE.METHOD": pointer receivers
// and type arguments are dropped ("gopkg.in/yaml.v2.(*decoder).unmarshal"
// becomes "gopkg.in/yaml.v2.decoder.unmarshal"), which is how
// vulnerability databases list affected symbols; closures keep their
// compiler suffix ("PKG.TYPE.METHOD.func1"). Compiler-generated symbols
// are skipped.
func symbolName(s *gosym.Sym) (string, bool) {
	if strings.HasPrefix(s.Name, "type:") || strings.HasPrefix(s.Name, "go:") || strings.HasPrefix(s.Name, "type.") || strings.HasPrefix(s.Name, "go.") {
		return "", false
	}
	raw := s.PackageName()
	name := model.NormalizeGoSymbol(s.Name)
	if raw == "" || !strings.HasPrefix(name, raw+".") {
		return "", false
	}
	rest := name[len(raw)+1:]
	if rest == "" {
		return "", false
	}
	pkg := raw
	if strings.Contains(pkg, "%") {
		// Older linkers escape dots in the last path element
		// ("gopkg.in/yaml%2ev2").
		if u, err := url.PathUnescape(pkg); err == nil {
			pkg = u
		}
	}
	return pkg + "." + rest, true
}

// pclntab finds the function table and the start of the text segment.
// It returns a nil table when the format keeps no table it can find
// (PE binaries stripped of their symbols).
func pclntab(r io.ReaderAt, format int) ([]byte, uint64, error) {
	switch format {
	case formatELF:
		f, err := elf.NewFile(r)
		if err != nil {
			return nil, 0, err
		}
		text := uint64(0)
		if s := f.Section(".text"); s != nil {
			text = s.Addr
		}
		s := f.Section(".gopclntab")
		if s == nil {
			// Position-independent binaries keep the table in
			// .data.rel.ro; the symbol table says where.
			return elfSymbolRange(f, text)
		}
		return readSection(s.Size, s.Open(), text)
	case formatMachO:
		f, err := macho.NewFile(r)
		if err != nil {
			return nil, 0, err
		}
		text := uint64(0)
		if s := f.Section("__text"); s != nil {
			text = s.Addr
		}
		s := f.Section("__gopclntab")
		if s == nil {
			return nil, 0, nil
		}
		return readSection(s.Size, s.Open(), text)
	case formatPE:
		return pePclntab(r)
	}
	return nil, 0, nil
}

func readSection(size uint64, rd io.ReadSeeker, text uint64) ([]byte, uint64, error) {
	if size > maxPclntab {
		return nil, 0, fmt.Errorf("pclntab of %d bytes exceeds the %d byte limit", size, maxPclntab)
	}
	b, err := io.ReadAll(io.LimitReader(rd, int64(size)))
	if err != nil {
		return nil, 0, err
	}
	return b, text, nil
}

func elfSymbolRange(f *elf.File, text uint64) ([]byte, uint64, error) {
	syms, err := f.Symbols()
	if err != nil {
		if errors.Is(err, elf.ErrNoSymbols) {
			return nil, 0, nil
		}
		return nil, 0, err
	}
	var start, end uint64
	for _, s := range syms {
		switch s.Name {
		case "runtime.pclntab":
			start = s.Value
		case "runtime.epclntab":
			end = s.Value
		}
	}
	if start == 0 || end <= start || end-start > maxPclntab {
		return nil, 0, nil
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && start >= p.Vaddr && end <= p.Vaddr+p.Filesz {
			b := make([]byte, end-start)
			if _, err := p.ReadAt(b, int64(start-p.Vaddr)); err != nil {
				return nil, 0, err
			}
			return b, text, nil
		}
	}
	return nil, 0, nil
}

func pePclntab(r io.ReaderAt) ([]byte, uint64, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return nil, 0, err
	}
	var start, end uint32
	var sect int16
	for _, s := range f.Symbols {
		switch s.Name {
		case "runtime.pclntab":
			start, sect = s.Value, s.SectionNumber
		case "runtime.epclntab":
			end = s.Value
		}
	}
	if end <= start || end-start > maxPclntab || sect < 1 || int(sect) > len(f.Sections) {
		return nil, 0, nil
	}
	s := f.Sections[sect-1]
	b := make([]byte, end-start)
	if _, err := s.ReadAt(b, int64(start)); err != nil {
		return nil, 0, err
	}
	return b, 0, nil
}
