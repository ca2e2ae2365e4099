package python

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// lockCataloger is one of the Python lock file formats; they differ only
// in the file they claim and how they parse it.
type lockCataloger struct {
	name  string
	file  string
	parse func(data []byte, foundBy, file string) ([]model.Package, error)
}

var _ catalog.Cataloger = (*lockCataloger)(nil)

// NewPoetryLockCataloger reads poetry.lock.
func NewPoetryLockCataloger() catalog.Cataloger {
	return &lockCataloger{name: "poetry-lock", file: "poetry.lock", parse: parsePoetry}
}

// NewPipfileLockCataloger reads Pipfile.lock.
func NewPipfileLockCataloger() catalog.Cataloger {
	return &lockCataloger{name: "pipfile-lock", file: "Pipfile.lock", parse: parsePipfile}
}

// NewUVLockCataloger reads uv.lock.
func NewUVLockCataloger() catalog.Cataloger {
	return &lockCataloger{name: "uv-lock", file: "uv.lock", parse: parseUV}
}

func (c *lockCataloger) Name() string { return c.name }

func (*lockCataloger) Version() int { return 1 }

func (c *lockCataloger) Wants(fi catalog.FileInfo) bool { return path.Base(fi.Path) == c.file }

func (*lockCataloger) MaxSize() int64 { return lockMaxSize }

func (c *lockCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := readAll(in)
	if err != nil {
		return catalog.Result{}, err
	}
	pkgs, err := c.parse(data, c.name, in.Path)
	if err != nil {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %w", in.Path, err)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}

type poetryLock struct {
	Package []struct {
		Name     string   `toml:"name"`
		Version  string   `toml:"version"`
		Category string   `toml:"category"`
		Groups   []string `toml:"groups"`
		Optional bool     `toml:"optional"`
		Source   struct {
			Type string `toml:"type"`
		} `toml:"source"`
	} `toml:"package"`
}

func parsePoetry(data []byte, foundBy, file string) ([]model.Package, error) {
	var lf poetryLock
	if _, err := toml.Decode(string(data), &lf); err != nil {
		return nil, fmt.Errorf("invalid poetry.lock TOML: %w", err)
	}
	var pkgs []model.Package
	var bad int
	for _, e := range lf.Package {
		if !validName(e.Name) || e.Version == "" {
			bad++
			continue
		}
		if e.Source.Type == "directory" {
			// A path dependency in develop mode is local source.
			continue
		}
		p := newPackage(e.Name, e.Version, model.OriginLockfile, foundBy, file)
		p.Dev = e.Category == "dev" || (len(e.Groups) > 0 && !slices.Contains(e.Groups, "main"))
		pkgs = append(pkgs, p)
	}
	if bad > 0 {
		return pkgs, fmt.Errorf("%d packages without a valid name and version", bad)
	}
	return pkgs, nil
}

type uvLock struct {
	Package []struct {
		Name    string         `toml:"name"`
		Version string         `toml:"version"`
		Source  map[string]any `toml:"source"`
	} `toml:"package"`
}

func parseUV(data []byte, foundBy, file string) ([]model.Package, error) {
	var lf uvLock
	if _, err := toml.Decode(string(data), &lf); err != nil {
		return nil, fmt.Errorf("invalid uv.lock TOML: %w", err)
	}
	var pkgs []model.Package
	var bad int
	for _, e := range lf.Package {
		if _, ok := e.Source["editable"]; ok {
			continue // the project itself or a workspace member
		}
		if _, ok := e.Source["virtual"]; ok {
			continue
		}
		if !validName(e.Name) || e.Version == "" {
			if e.Version == "" && validName(e.Name) {
				continue // dynamic versions of local sources
			}
			bad++
			continue
		}
		pkgs = append(pkgs, newPackage(e.Name, e.Version, model.OriginLockfile, foundBy, file))
	}
	if bad > 0 {
		return pkgs, fmt.Errorf("%d packages without a valid name", bad)
	}
	return pkgs, nil
}

type pipfileEntry struct {
	Version string `json:"version"`
}

func parsePipfile(data []byte, foundBy, file string) ([]model.Package, error) {
	var lf struct {
		Meta    *json.RawMessage        `json:"_meta"`
		Default map[string]pipfileEntry `json:"default"`
		Develop map[string]pipfileEntry `json:"develop"`
	}
	if err := json.Unmarshal(data, &lf); err != nil {
		return nil, fmt.Errorf("invalid Pipfile.lock JSON: %w", err)
	}
	if lf.Meta == nil && lf.Default == nil && lf.Develop == nil {
		return nil, fmt.Errorf("no _meta, default or develop section: not a Pipfile.lock")
	}
	var pkgs []model.Package
	for _, sec := range []struct {
		m   map[string]pipfileEntry
		dev bool
	}{{lf.Default, false}, {lf.Develop, true}} {
		names := make([]string, 0, len(sec.m))
		for n := range sec.m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			v, ok := strings.CutPrefix(sec.m[n].Version, "==")
			if !ok || !validName(n) {
				continue // VCS and path entries pin no version
			}
			p := newPackage(n, strings.TrimPrefix(v, "="), model.OriginLockfile, foundBy, file)
			p.Dev = sec.dev
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}
