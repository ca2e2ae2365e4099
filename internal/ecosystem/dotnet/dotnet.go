package dotnet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// DepsCataloger reads "*.deps.json": the libraries of type "package" that
// the .NET host loads. Project and reference entries are the application
// itself and the framework.
type DepsCataloger struct{}

var _ catalog.Cataloger = (*DepsCataloger)(nil)

// NewDepsCataloger returns the .deps.json cataloger.
func NewDepsCataloger() *DepsCataloger { return &DepsCataloger{} }

// Name implements catalog.Plugin.
func (*DepsCataloger) Name() string { return "dotnet-deps" }

// Version implements catalog.Plugin.
func (*DepsCataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*DepsCataloger) Wants(fi catalog.FileInfo) bool {
	return strings.HasSuffix(fi.Path, ".deps.json")
}

// MaxSize implements catalog.Cataloger.
func (*DepsCataloger) MaxSize() int64 { return 64 << 20 }

// Catalog implements catalog.Cataloger. A .deps.json is published with
// the application's assemblies, so its packages count as installed.
func (c *DepsCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	var doc struct {
		Libraries map[string]struct {
			Type string `json:"type"`
		} `json:"libraries"`
	}
	if err := decode(in, &doc); err != nil {
		return catalog.Result{}, err
	}
	if doc.Libraries == nil {
		return catalog.Result{}, fmt.Errorf("%s: no libraries: not a .deps.json file", in.Path)
	}
	keys := sortedKeys(doc.Libraries)
	var pkgs []model.Package
	bad := 0
	for _, k := range keys {
		if doc.Libraries[k].Type != "package" {
			continue
		}
		name, version, ok := strings.Cut(k, "/")
		if !ok || !validName(name) || version == "" {
			bad++
			continue
		}
		pkgs = append(pkgs, newPackage(name, version, model.OriginInstalled, c.Name(), in.Path))
	}
	if bad > 0 {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %d libraries not of the form NAME/VERSION", in.Path, bad)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}

// LockCataloger reads NuGet's packages.lock.json. A package resolved for
// several target frameworks is reported once.
type LockCataloger struct{}

var _ catalog.Cataloger = (*LockCataloger)(nil)

// NewLockCataloger returns the packages.lock.json cataloger.
func NewLockCataloger() *LockCataloger { return &LockCataloger{} }

// Name implements catalog.Plugin.
func (*LockCataloger) Name() string { return "nuget-lock" }

// Version implements catalog.Plugin.
func (*LockCataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*LockCataloger) Wants(fi catalog.FileInfo) bool {
	return path.Base(fi.Path) == "packages.lock.json"
}

// MaxSize implements catalog.Cataloger.
func (*LockCataloger) MaxSize() int64 { return 64 << 20 }

type lockEntry struct {
	Type     string `json:"type"`
	Resolved string `json:"resolved"`
}

// Catalog implements catalog.Cataloger.
func (c *LockCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	var doc struct {
		Version      int                             `json:"version"`
		Dependencies map[string]map[string]lockEntry `json:"dependencies"`
	}
	if err := decode(in, &doc); err != nil {
		return catalog.Result{}, err
	}
	if doc.Version == 0 || doc.Dependencies == nil {
		return catalog.Result{}, fmt.Errorf("%s: no version or dependencies: not a NuGet lock file", in.Path)
	}
	seen := map[string]bool{}
	var pkgs []model.Package
	bad := 0
	for _, target := range sortedKeys(doc.Dependencies) {
		deps := doc.Dependencies[target]
		for _, name := range sortedKeys(deps) {
			e := deps[name]
			if e.Type == "Project" {
				continue
			}
			if !validName(name) || e.Resolved == "" {
				bad++
				continue
			}
			k := strings.ToLower(name) + "@" + e.Resolved
			if seen[k] {
				continue
			}
			seen[k] = true
			pkgs = append(pkgs, newPackage(name, e.Resolved, model.OriginLockfile, c.Name(), in.Path))
		}
	}
	if bad > 0 {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %d dependencies without a valid name and resolved version", in.Path, bad)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}

func decode(in catalog.Input, v any) error {
	data, err := io.ReadAll(io.NewSectionReader(in.Content, 0, in.Size))
	if err != nil {
		return fmt.Errorf("%s: %w", in.Path, err)
	}
	// Visual Studio writes a byte order mark.
	data = []byte(strings.TrimPrefix(string(data), "\ufeff"))
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: invalid JSON: %w", in.Path, err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func newPackage(name, version string, origin model.Origin, foundBy, path string) model.Package {
	return model.Package{
		Ecosystem: model.EcosystemNuGet,
		Name:      name,
		Version:   version,
		PURL:      packageurl.NewPackageURL(packageurl.TypeNuget, "", name, version, nil, "").ToString(),
		Origin:    origin,
		FoundBy:   foundBy,
		Locations: []string{path},
	}
}

// validName accepts NuGet package ids: letters, digits, ".", "-", "_".
func validName(n string) bool {
	if n == "" || len(n) > 256 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
