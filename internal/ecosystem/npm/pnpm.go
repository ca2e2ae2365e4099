package npm

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// PnpmCataloger reads pnpm-lock.yaml. Package keys changed twice:
// "/name/1.0.0_peer@2" (v5), "/name@1.0.0(peer@2)" (v6) and
// "name@1.0.0" (v9, peers moved to "snapshots").
type PnpmCataloger struct{}

var _ catalog.Cataloger = (*PnpmCataloger)(nil)

// NewPnpmCataloger returns the pnpm lock file cataloger.
func NewPnpmCataloger() *PnpmCataloger { return &PnpmCataloger{} }

// Name implements catalog.Plugin.
func (*PnpmCataloger) Name() string { return "pnpm-lock" }

// Version implements catalog.Plugin.
func (*PnpmCataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*PnpmCataloger) Wants(fi catalog.FileInfo) bool {
	return path.Base(fi.Path) == "pnpm-lock.yaml" && !strings.Contains(fi.Path, "/node_modules/")
}

// MaxSize implements catalog.Cataloger.
func (*PnpmCataloger) MaxSize() int64 { return lockMaxSize }

type pnpmLock struct {
	LockfileVersion any                  `yaml:"lockfileVersion"`
	Packages        map[string]pnpmEntry `yaml:"packages"`
}

type pnpmEntry struct {
	Name     string `yaml:"name"`
	Version  string `yaml:"version"`
	Dev      *bool  `yaml:"dev"`
	Optional bool   `yaml:"optional"`
}

// Catalog implements catalog.Cataloger.
func (c *PnpmCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := readAll(in)
	if err != nil {
		return catalog.Result{}, err
	}
	pkgs, err := parsePnpm(data, c.Name(), in.Path)
	if err != nil {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %w", in.Path, err)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}

func parsePnpm(data []byte, foundBy, file string) ([]model.Package, error) {
	var lf pnpmLock
	if err := yaml.Unmarshal(data, &lf); err != nil {
		return nil, fmt.Errorf("invalid pnpm lock YAML: %w", err)
	}
	major, err := pnpmMajor(lf.LockfileVersion)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(lf.Packages))
	for k := range lf.Packages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var d dedup
	var bad []string
	for _, k := range keys {
		e := lf.Packages[k]
		name, version := pnpmKey(k, major)
		if e.Name != "" {
			name = e.Name
		}
		if e.Version != "" {
			version = e.Version
		}
		if name == "" || version == "" || !validName(name) {
			bad = append(bad, k)
			continue
		}
		if strings.HasPrefix(version, "link:") || strings.HasPrefix(version, "file:") {
			continue
		}
		p := newPackage(name, version, model.OriginLockfile, foundBy, file)
		p.Dev = e.Dev != nil && *e.Dev
		if e.Optional {
			p.Metadata = map[string]string{"npm.optional": "true"}
		}
		d.add(p)
	}
	if len(bad) > 0 {
		return d.packages(), fmt.Errorf("%d package keys not understood, first %q", len(bad), bad[0])
	}
	return d.packages(), nil
}

func pnpmMajor(v any) (int, error) {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case int:
		return t, nil
	case float64:
		return int(t), nil
	default:
		return 0, fmt.Errorf("missing or unsupported lockfileVersion %v", v)
	}
	maj, _, _ := strings.Cut(s, ".")
	n, err := strconv.Atoi(maj)
	if err != nil {
		return 0, fmt.Errorf("unsupported lockfileVersion %q", s)
	}
	return n, nil
}

// pnpmKey splits a packages key into name and version, dropping the peer
// dependency suffix.
func pnpmKey(key string, major int) (name, version string) {
	key = strings.TrimPrefix(key, "/")
	if major < 6 {
		i := strings.LastIndexByte(key, '/')
		if i <= 0 {
			return "", ""
		}
		name, version = key[:i], key[i+1:]
		if j := strings.IndexByte(version, '_'); j >= 0 {
			version = version[:j]
		}
		return name, version
	}
	if i := strings.IndexByte(key, '('); i >= 0 {
		key = key[:i]
	}
	n, v, ok := splitSpec(key)
	if !ok {
		return "", ""
	}
	return n, v
}
