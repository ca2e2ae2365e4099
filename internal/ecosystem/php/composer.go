package php

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// composerCataloger is shared by the two Composer files, which list
// packages in the same shape.
type composerCataloger struct {
	name   string
	origin model.Origin
	wants  func(p string) bool
	parse  func(data []byte) ([]composerPackage, map[string]bool, error)
}

var _ catalog.Cataloger = (*composerCataloger)(nil)

// NewLockCataloger reads composer.lock: "packages" and "packages-dev".
func NewLockCataloger() catalog.Cataloger {
	return &composerCataloger{
		name:   "composer-lock",
		origin: model.OriginLockfile,
		wants:  func(p string) bool { return path.Base(p) == "composer.lock" && !strings.Contains(p, "/vendor/") },
		parse:  parseLock,
	}
}

// NewInstalledCataloger reads vendor/composer/installed.json, both the
// Composer 1 array and the Composer 2 {"packages": [...]} form.
func NewInstalledCataloger() catalog.Cataloger {
	return &composerCataloger{
		name:   "composer-installed",
		origin: model.OriginInstalled,
		wants:  func(p string) bool { return strings.HasSuffix(p, "/vendor/composer/installed.json") },
		parse:  parseInstalled,
	}
}

func (c *composerCataloger) Name() string { return c.name }

func (*composerCataloger) Version() int { return 1 }

func (c *composerCataloger) Wants(fi catalog.FileInfo) bool { return c.wants(fi.Path) }

func (*composerCataloger) MaxSize() int64 { return 64 << 20 }

type composerPackage struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	License json.RawMessage `json:"license"`
	dev     bool
}

func (c *composerCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := io.ReadAll(io.NewSectionReader(in.Content, 0, in.Size))
	if err != nil {
		return catalog.Result{}, fmt.Errorf("%s: %w", in.Path, err)
	}
	entries, devNames, err := c.parse(data)
	if err != nil {
		return catalog.Result{}, fmt.Errorf("%s: %w", in.Path, err)
	}
	var pkgs []model.Package
	bad := 0
	for _, e := range entries {
		vendor, name, ok := strings.Cut(e.Name, "/")
		if !ok || vendor == "" || name == "" || e.Version == "" || strings.ContainsAny(e.Name, " \t\n\"") {
			bad++
			continue
		}
		version := normalizeVersion(e.Version)
		p := model.Package{
			Ecosystem: model.EcosystemComposer,
			Name:      e.Name,
			Version:   version,
			PURL: packageurl.NewPackageURL(packageurl.TypeComposer, strings.ToLower(vendor), strings.ToLower(name),
				version, nil, "").ToString(),
			Licenses:  licenses(e.License),
			Origin:    c.origin,
			FoundBy:   c.name,
			Locations: []string{in.Path},
			Dev:       e.dev || devNames[e.Name],
		}
		pkgs = append(pkgs, p)
	}
	if bad > 0 {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %d packages without a vendor/name and version", in.Path, bad)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}

// normalizeVersion drops the "v" of tags such as "v5.4.0", the form
// advisories use.
func normalizeVersion(v string) string {
	if len(v) > 1 && (v[0] == 'v' || v[0] == 'V') && v[1] >= '0' && v[1] <= '9' {
		return v[1:]
	}
	return v
}

func licenses(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		return []string{s}
	}
	return nil
}

func parseLock(data []byte) ([]composerPackage, map[string]bool, error) {
	var lf struct {
		Packages    *[]composerPackage `json:"packages"`
		PackagesDev []composerPackage  `json:"packages-dev"`
	}
	if err := json.Unmarshal(data, &lf); err != nil {
		return nil, nil, fmt.Errorf("invalid composer.lock JSON: %w", err)
	}
	if lf.Packages == nil {
		return nil, nil, fmt.Errorf("no packages list: not a composer.lock")
	}
	out := *lf.Packages
	for _, p := range lf.PackagesDev {
		p.dev = true
		out = append(out, p)
	}
	return out, nil, nil
}

func parseInstalled(data []byte) ([]composerPackage, map[string]bool, error) {
	var v1 []composerPackage
	if err := json.Unmarshal(data, &v1); err == nil {
		return v1, nil, nil
	}
	var v2 struct {
		Packages        *[]composerPackage `json:"packages"`
		DevPackageNames []string           `json:"dev-package-names"`
	}
	if err := json.Unmarshal(data, &v2); err != nil {
		return nil, nil, fmt.Errorf("invalid installed.json: %w", err)
	}
	if v2.Packages == nil {
		return nil, nil, fmt.Errorf("no packages list: not a Composer installed.json")
	}
	dev := make(map[string]bool, len(v2.DevPackageNames))
	for _, n := range v2.DevPackageNames {
		dev[n] = true
	}
	return *v2.Packages, dev, nil
}
