package golang

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"strings"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// BinaryCataloger reads the module list that the Go linker embeds in every
// module-aware executable, and the names of the functions linked into it.
type BinaryCataloger struct{}

var _ catalog.Cataloger = (*BinaryCataloger)(nil)

// NewBinaryCataloger returns the Go executable cataloger.
func NewBinaryCataloger() *BinaryCataloger { return &BinaryCataloger{} }

// Name implements catalog.Plugin.
func (*BinaryCataloger) Name() string { return "go-binary" }

// Version implements catalog.Plugin.
func (*BinaryCataloger) Version() int { return 1 }

// Wants claims executable regular files and files in the usual bin
// directories.
func (*BinaryCataloger) Wants(fi catalog.FileInfo) bool { return wantsExecutable(fi) }

// MaxSize implements catalog.Cataloger.
func (*BinaryCataloger) MaxSize() int64 { return 512 << 20 }

// Catalog implements catalog.Cataloger. Files that are not Go executables
// yield nothing and no error.
func (c *BinaryCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	format := peekFormat(in.Content)
	if format == formatNone {
		return catalog.Result{}, nil
	}
	bi, err := buildinfo.Read(in.Content)
	if err != nil {
		// Most executables in an image are not Go programs, and build
		// info from before modules (Go < 1.13) has nothing to report.
		return catalog.Result{}, nil
	}
	if err := ctx.Err(); err != nil {
		return catalog.Result{}, err
	}
	res := catalog.Result{Packages: buildInfoPackages(bi, c.Name(), in.Path)}
	gb := model.GoBinary{Path: in.Path, MainModule: bi.Main.Path, GoVersion: bi.GoVersion}
	syms, symErr := linkedSymbols(in.Content, format)
	gb.Symbols = syms
	res.GoBinaries = []model.GoBinary{gb}
	if symErr != nil {
		return res, fmt.Errorf("%s: reading Go symbol table: %w", in.Path, symErr)
	}
	return res, nil
}

// buildInfoPackages turns build info into one package per dependency
// module (after replace directives), one for the main module and one for
// the standard library.
func buildInfoPackages(bi *buildinfo.BuildInfo, foundBy, path string) []model.Package {
	var pkgs []model.Package
	if bi.Main.Path != "" {
		v := bi.Main.Version
		if v == "(devel)" {
			v = ""
		}
		p := newPackage(bi.Main.Path, v, model.OriginBinary, foundBy, path)
		p.Metadata = map[string]string{"go.main": "true"}
		pkgs = append(pkgs, p)
	}
	for _, dep := range bi.Deps {
		m := dep
		if dep.Replace != nil {
			m = dep.Replace
		}
		if m.Path == "" || strings.HasPrefix(m.Path, ".") || strings.HasPrefix(m.Path, "/") {
			// A replacement by a local directory has no module version to
			// match; report the module it stands in for without one.
			p := newPackage(dep.Path, "", model.OriginBinary, foundBy, path)
			p.Metadata = map[string]string{"go.replace": m.Path}
			pkgs = append(pkgs, p)
			continue
		}
		p := newPackage(m.Path, m.Version, model.OriginBinary, foundBy, path)
		if dep.Replace != nil {
			p.Metadata = map[string]string{"go.replaces": dep.Path + "@" + dep.Version}
		}
		pkgs = append(pkgs, p)
	}
	if tc := toolchainVersion(bi.GoVersion); tc != "" {
		p := newPackage("stdlib", tc, model.OriginBinary, foundBy, path)
		p.Metadata = map[string]string{"go.toolchain": bi.GoVersion}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// toolchainVersion cuts experiment suffixes ("go1.22.1 X:boringcrypto")
// so the standard library version compares like a release.
func toolchainVersion(v string) string {
	v, _, _ = strings.Cut(strings.TrimSpace(v), " ")
	if !strings.HasPrefix(v, "go1") {
		return ""
	}
	return v
}
