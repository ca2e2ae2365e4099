package npm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// InstalledCataloger reads the package.json of every package installed
// under a node_modules directory. A package.json outside node_modules
// describes a project, not an installed package, and is not claimed.
type InstalledCataloger struct{}

var _ catalog.Cataloger = (*InstalledCataloger)(nil)

// NewInstalledCataloger returns the node_modules cataloger.
func NewInstalledCataloger() *InstalledCataloger { return &InstalledCataloger{} }

// Name implements catalog.Plugin.
func (*InstalledCataloger) Name() string { return "node-modules" }

// Version implements catalog.Plugin.
func (*InstalledCataloger) Version() int { return 1 }

// Wants claims ".../node_modules/NAME/package.json" and
// ".../node_modules/@SCOPE/NAME/package.json", not the package.json files
// that packages keep in their own subdirectories.
func (*InstalledCataloger) Wants(fi catalog.FileInfo) bool {
	rest, ok := strings.CutSuffix(fi.Path, "/package.json")
	if !ok {
		return false
	}
	i := strings.LastIndex(rest, "/node_modules/")
	if i < 0 {
		return false
	}
	dir := rest[i+len("/node_modules/"):]
	switch strings.Count(dir, "/") {
	case 0:
		return dir != "" && dir[0] != '.' && dir[0] != '@'
	case 1:
		return dir[0] == '@'
	}
	return false
}

// MaxSize implements catalog.Cataloger.
func (*InstalledCataloger) MaxSize() int64 { return 8 << 20 }

type packageJSON struct {
	Name     string          `json:"name"`
	Version  string          `json:"version"`
	License  json.RawMessage `json:"license"`
	Licenses json.RawMessage `json:"licenses"`
	Private  bool            `json:"private"`
}

// Catalog implements catalog.Cataloger.
func (c *InstalledCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := readAll(in)
	if err != nil {
		return catalog.Result{}, err
	}
	var pj packageJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return catalog.Result{}, fmt.Errorf("%s: invalid package.json: %w", in.Path, err)
	}
	if pj.Name == "" || pj.Version == "" {
		// Some packages ship stub package.json files without a
		// version; there is nothing to match them by.
		return catalog.Result{}, nil
	}
	if !validName(pj.Name) {
		return catalog.Result{}, fmt.Errorf("%s: invalid package name %q", in.Path, pj.Name)
	}
	p := newPackage(pj.Name, pj.Version, model.OriginInstalled, c.Name(), in.Path)
	p.Licenses = licenses(pj.License)
	if len(p.Licenses) == 0 {
		p.Licenses = licenses(pj.Licenses)
	}
	return catalog.Result{Packages: []model.Package{p}}, ctx.Err()
}
