package rust

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// LockCataloger reads Cargo.lock, format versions 1 to 4 (they differ in
// checksums and dependency notation, not in the package list).
type LockCataloger struct{}

var _ catalog.Cataloger = (*LockCataloger)(nil)

// NewLockCataloger returns the Cargo.lock cataloger.
func NewLockCataloger() *LockCataloger { return &LockCataloger{} }

// Name implements catalog.Plugin.
func (*LockCataloger) Name() string { return "cargo-lock" }

// Version implements catalog.Plugin.
func (*LockCataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*LockCataloger) Wants(fi catalog.FileInfo) bool {
	return path.Base(fi.Path) == "Cargo.lock" && !strings.Contains(fi.Path, "/.cargo/registry/")
}

// MaxSize implements catalog.Cataloger.
func (*LockCataloger) MaxSize() int64 { return 64 << 20 }

type cargoLock struct {
	Package []struct {
		Name    string `toml:"name"`
		Version string `toml:"version"`
		Source  string `toml:"source"`
	} `toml:"package"`
}

// Catalog implements catalog.Cataloger. Crates without a source are the
// workspace's own members and are left out.
func (c *LockCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := io.ReadAll(io.NewSectionReader(in.Content, 0, in.Size))
	if err != nil {
		return catalog.Result{}, fmt.Errorf("%s: %w", in.Path, err)
	}
	var lf cargoLock
	if _, err := toml.Decode(string(data), &lf); err != nil {
		return catalog.Result{}, fmt.Errorf("%s: invalid Cargo.lock TOML: %w", in.Path, err)
	}
	var pkgs []model.Package
	bad := 0
	for _, e := range lf.Package {
		if !validName(e.Name) || e.Version == "" {
			bad++
			continue
		}
		if e.Source == "" {
			continue
		}
		p := newPackage(e.Name, e.Version, model.OriginLockfile, c.Name(), in.Path)
		if !strings.HasPrefix(e.Source, "registry+https://github.com/rust-lang/crates.io-index") && !strings.HasPrefix(e.Source, "sparse+https://index.crates.io/") {
			p.Metadata = map[string]string{"cargo.source": e.Source}
		}
		pkgs = append(pkgs, p)
	}
	if bad > 0 {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %d packages without a valid name and version", in.Path, bad)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}
