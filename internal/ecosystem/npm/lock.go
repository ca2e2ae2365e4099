package npm

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// LockCataloger reads package-lock.json and npm-shrinkwrap.json, lock
// file versions 1 (nested "dependencies") and 2–3 ("packages" keyed by
// install path).
type LockCataloger struct{}

var _ catalog.Cataloger = (*LockCataloger)(nil)

// NewLockCataloger returns the npm lock file cataloger.
func NewLockCataloger() *LockCataloger { return &LockCataloger{} }

// Name implements catalog.Plugin.
func (*LockCataloger) Name() string { return "npm-lock" }

// Version implements catalog.Plugin.
func (*LockCataloger) Version() int { return 1 }

// Wants claims project lock files. Copies inside node_modules belong to
// installed packages, which the node-modules cataloger reports.
func (*LockCataloger) Wants(fi catalog.FileInfo) bool {
	b := path.Base(fi.Path)
	return (b == "package-lock.json" || b == "npm-shrinkwrap.json") && !strings.Contains(fi.Path, "/node_modules/")
}

// MaxSize implements catalog.Cataloger.
func (*LockCataloger) MaxSize() int64 { return lockMaxSize }

type lockFile struct {
	LockfileVersion int                    `json:"lockfileVersion"`
	Packages        map[string]lockPackage `json:"packages"`
	Dependencies    map[string]lockDepV1   `json:"dependencies"`
}

type lockPackage struct {
	Name        string          `json:"name"`
	Version     string          `json:"version"`
	Resolved    string          `json:"resolved"`
	Link        bool            `json:"link"`
	Dev         bool            `json:"dev"`
	Optional    bool            `json:"optional"`
	DevOptional bool            `json:"devOptional"`
	License     json.RawMessage `json:"license"`
}

type lockDepV1 struct {
	Version      string               `json:"version"`
	Dev          bool                 `json:"dev"`
	Optional     bool                 `json:"optional"`
	Bundled      bool                 `json:"bundled"`
	Dependencies map[string]lockDepV1 `json:"dependencies"`
}

// Catalog implements catalog.Cataloger.
func (c *LockCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := readAll(in)
	if err != nil {
		return catalog.Result{}, err
	}
	pkgs, err := parsePackageLock(data, c.Name(), in.Path)
	if err != nil {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %w", in.Path, err)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}

func parsePackageLock(data []byte, foundBy, file string) ([]model.Package, error) {
	var lf lockFile
	if err := json.Unmarshal(data, &lf); err != nil {
		return nil, fmt.Errorf("invalid package-lock JSON: %w", err)
	}
	var d dedup
	if lf.Packages != nil {
		// Version 2 files carry both forms; "packages" is the complete one.
		keys := make([]string, 0, len(lf.Packages))
		for k := range lf.Packages {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e := lf.Packages[k]
			name := packageName(k, e.Name)
			if name == "" || e.Link || e.Version == "" || !validName(name) {
				// The root project, workspace sources and links to them
				// are the project itself, not installed dependencies.
				continue
			}
			name, version := unalias(name, e.Version)
			p := newPackage(name, version, model.OriginLockfile, foundBy, file)
			p.Dev = e.Dev || e.DevOptional
			if e.Optional || e.DevOptional {
				p.Metadata = map[string]string{"npm.optional": "true"}
			}
			p.Licenses = licenses(e.License)
			d.add(p)
		}
		return d.packages(), nil
	}
	if lf.Dependencies == nil && lf.LockfileVersion == 0 {
		return nil, fmt.Errorf("no lockfileVersion, packages or dependencies: not a package-lock file")
	}
	walkV1(lf.Dependencies, foundBy, file, &d, 0)
	return d.packages(), nil
}

// maxNesting bounds recursion through hostile v1 files.
const maxNesting = 256

func walkV1(deps map[string]lockDepV1, foundBy, file string, d *dedup, depth int) {
	if depth > maxNesting {
		return
	}
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := deps[n]
		if e.Version != "" && validName(n) && !strings.HasPrefix(e.Version, "file:") {
			name, version := unalias(n, e.Version)
			p := newPackage(name, version, model.OriginLockfile, foundBy, file)
			p.Dev = e.Dev
			if e.Optional {
				p.Metadata = map[string]string{"npm.optional": "true"}
			}
			d.add(p)
		}
		walkV1(e.Dependencies, foundBy, file, d, depth+1)
	}
}

// packageName derives the package name from an install path
// ("node_modules/a/node_modules/@s/b" is "@s/b"); an explicit name field
// wins, as npm writes one for aliased packages.
func packageName(key, explicit string) string {
	i := strings.LastIndex(key, "node_modules/")
	if i < 0 {
		return ""
	}
	if explicit != "" {
		return explicit
	}
	return key[i+len("node_modules/"):]
}

// unalias resolves "npm:real-name@1.2.3" versions written for aliased
// dependencies to the package actually installed.
func unalias(name, version string) (string, string) {
	if rest, ok := strings.CutPrefix(version, "npm:"); ok {
		if n, v, ok := splitSpec(rest); ok {
			return n, v
		}
	}
	return name, version
}

// licenses reads a license field: an SPDX string, {"type": "MIT"} or an
// array of either.
func licenses(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s = strings.TrimSpace(s); s != "" {
			return []string{s}
		}
		return nil
	}
	var obj struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Type != "" {
		return []string{obj.Type}
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) == nil {
		var out []string
		for _, a := range arr {
			out = append(out, licenses(a)...)
		}
		return out
	}
	return nil
}
