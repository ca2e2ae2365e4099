package rust

import (
	"bytes"
	"compress/zlib"
	"context"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// AuditableCataloger reads the dependency list cargo-auditable embeds in
// Rust executables: zlib-compressed JSON in a ".dep-v0" section.
// Executables without one yield nothing, silently.
type AuditableCataloger struct{}

var _ catalog.Cataloger = (*AuditableCataloger)(nil)

// NewAuditableCataloger returns the cargo-auditable cataloger.
func NewAuditableCataloger() *AuditableCataloger { return &AuditableCataloger{} }

// Name implements catalog.Plugin.
func (*AuditableCataloger) Name() string { return "cargo-auditable" }

// Version implements catalog.Plugin.
func (*AuditableCataloger) Version() int { return 1 }

// binDirs hold executables even when the executable bit is missing.
var binDirs = []string{"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/", "/usr/libexec/"}

// Wants claims executable regular files, like the Go binary cataloger.
func (*AuditableCataloger) Wants(fi catalog.FileInfo) bool {
	if !fi.Mode.IsRegular() || fi.Size < 512 {
		return false
	}
	if notProgram(fi.Path) {
		return false
	}
	if fi.Mode.Perm()&0o111 != 0 || strings.HasSuffix(fi.Path, ".exe") {
		return true
	}
	for _, d := range binDirs {
		if strings.HasPrefix(fi.Path, d) {
			return true
		}
	}
	return false
}

// MaxSize implements catalog.Cataloger.
func (*AuditableCataloger) MaxSize() int64 { return 512 << 20 }

// Limits on the embedded data; cargo-auditable's own reader uses the
// same order of magnitude.
const (
	maxCompressed   = 4 << 20
	maxDecompressed = 16 << 20
)

type auditInfo struct {
	Packages []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Source  string `json:"source"`
		Kind    string `json:"kind"`
		Root    bool   `json:"root"`
	} `json:"packages"`
}

// Catalog implements catalog.Cataloger.
func (c *AuditableCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	compressed, err := depSection(in.Content)
	if err != nil {
		return catalog.Result{}, fmt.Errorf("%s: %w", in.Path, err)
	}
	if compressed == nil {
		return catalog.Result{}, nil
	}
	pkgs, err := parseAuditData(compressed, c.Name(), in.Path)
	if err != nil {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %w", in.Path, err)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}

func parseAuditData(compressed []byte, foundBy, path string) ([]model.Package, error) {
	zr, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, fmt.Errorf("cargo-auditable data: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxDecompressed+1))
	if err != nil {
		return nil, fmt.Errorf("cargo-auditable data: %w", err)
	}
	if len(data) > maxDecompressed {
		return nil, fmt.Errorf("cargo-auditable data inflates beyond %d bytes", maxDecompressed)
	}
	var info auditInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("cargo-auditable JSON: %w", err)
	}
	var pkgs []model.Package
	bad := 0
	for _, e := range info.Packages {
		if !validName(e.Name) || e.Version == "" {
			bad++
			continue
		}
		if e.Source == "local" && !e.Root {
			continue // workspace members are the project's own code
		}
		p := newPackage(e.Name, e.Version, model.OriginBinary, foundBy, path)
		meta := map[string]string{}
		if e.Root {
			meta["cargo.root"] = "true"
		}
		if e.Kind == "build" {
			meta["cargo.kind"] = "build"
		}
		if e.Source != "" && e.Source != "crates.io" {
			meta["cargo.source"] = e.Source
		}
		if len(meta) > 0 {
			p.Metadata = meta
		}
		pkgs = append(pkgs, p)
	}
	if bad > 0 {
		return pkgs, fmt.Errorf("cargo-auditable data: %d packages without a valid name and version", bad)
	}
	return pkgs, nil
}

// depSection returns the raw ".dep-v0" section, or nil when the file is
// not an executable or has no such section. The first four bytes decide
// whether the file is parsed at all.
func depSection(r io.ReaderAt) ([]byte, error) {
	var magic [4]byte
	if n, _ := r.ReadAt(magic[:], 0); n < 4 {
		return nil, nil
	}
	var size uint64
	var open func() io.Reader
	switch {
	case string(magic[:]) == "\x7fELF":
		f, err := elf.NewFile(r)
		if err != nil {
			return nil, nil // not an executable we can read; not ours to judge
		}
		s := f.Section(".dep-v0")
		if s == nil {
			return nil, nil
		}
		size, open = s.Size, func() io.Reader { return s.Open() }
	case magic[0] == 'M' && magic[1] == 'Z':
		f, err := pe.NewFile(r)
		if err != nil {
			return nil, nil
		}
		s := f.Section(".dep-v0")
		if s == nil {
			return nil, nil
		}
		size, open = uint64(s.Size), func() io.Reader { return s.Open() }
	case bytes.Equal(magic[:], []byte{0xcf, 0xfa, 0xed, 0xfe}), bytes.Equal(magic[:], []byte{0xce, 0xfa, 0xed, 0xfe}):
		f, err := macho.NewFile(r)
		if err != nil {
			return nil, nil
		}
		s := f.Section(".dep-v0")
		if s == nil {
			return nil, nil
		}
		size, open = s.Size, func() io.Reader { return s.Open() }
	default:
		return nil, nil
	}
	if size > maxCompressed {
		return nil, fmt.Errorf(".dep-v0 section of %d bytes exceeds the %d byte limit", size, maxCompressed)
	}
	b, err := io.ReadAll(io.LimitReader(open(), int64(size)))
	if err != nil {
		return nil, fmt.Errorf("reading .dep-v0 section: %w", err)
	}
	return b, nil
}

// notProgram recognises executable files that cannot be programs of
// interest by their names: shared libraries (the C runtime and friends
// carry the executable bit on Debian) and scripts.
func notProgram(p string) bool {
	base := p[strings.LastIndexByte(p, '/')+1:]
	if strings.HasSuffix(base, ".so") || strings.Contains(base, ".so.") {
		return true
	}
	switch base[strings.LastIndexByte(base, '.')+1:] {
	case "sh", "bash", "py", "pl", "pm", "rb", "js", "txt", "conf", "json":
		return strings.Contains(base, ".")
	}
	return false
}
