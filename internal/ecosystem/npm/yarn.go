package npm

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// YarnCataloger reads yarn.lock files: the classic (v1) format and the
// YAML format of yarn 2 and later ("berry").
type YarnCataloger struct{}

var _ catalog.Cataloger = (*YarnCataloger)(nil)

// NewYarnCataloger returns the yarn.lock cataloger.
func NewYarnCataloger() *YarnCataloger { return &YarnCataloger{} }

// Name implements catalog.Plugin.
func (*YarnCataloger) Name() string { return "yarn-lock" }

// Version implements catalog.Plugin.
func (*YarnCataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*YarnCataloger) Wants(fi catalog.FileInfo) bool {
	return path.Base(fi.Path) == "yarn.lock" && !strings.Contains(fi.Path, "/node_modules/")
}

// MaxSize implements catalog.Cataloger.
func (*YarnCataloger) MaxSize() int64 { return lockMaxSize }

// Catalog implements catalog.Cataloger.
func (c *YarnCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := readAll(in)
	if err != nil {
		return catalog.Result{}, err
	}
	var pkgs []model.Package
	if isBerry(data) {
		pkgs, err = parseBerry(data, c.Name(), in.Path)
	} else {
		pkgs, err = parseYarnV1(data, c.Name(), in.Path)
	}
	if err != nil {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %w", in.Path, err)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}

func isBerry(data []byte) bool {
	return bytes.HasPrefix(data, []byte("__metadata:")) || bytes.Contains(data, []byte("\n__metadata:"))
}

type berryEntry struct {
	Version    string `yaml:"version"`
	Resolution string `yaml:"resolution"`
	LinkType   string `yaml:"linkType"`
}

func parseBerry(data []byte, foundBy, file string) ([]model.Package, error) {
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid yarn berry lock file: %w", err)
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var d dedup
	var bad []string
	for _, k := range keys {
		if k == "__metadata" {
			continue
		}
		n := doc[k]
		var e berryEntry
		if err := n.Decode(&e); err != nil {
			bad = append(bad, k)
			continue
		}
		name, ref, ok := splitSpec(e.Resolution)
		if !ok || e.Version == "" || !validName(name) {
			bad = append(bad, k)
			continue
		}
		if e.LinkType == "soft" || strings.HasPrefix(ref, "workspace:") || strings.HasPrefix(ref, "link:") || strings.HasPrefix(ref, "portal:") {
			// Workspaces and links are the project's own sources.
			continue
		}
		d.add(newPackage(name, e.Version, model.OriginLockfile, foundBy, file))
	}
	if len(bad) > 0 {
		return d.packages(), fmt.Errorf("%d entries without a usable resolution and version, first %q", len(bad), bad[0])
	}
	return d.packages(), nil
}

func parseYarnV1(data []byte, foundBy, file string) ([]model.Package, error) {
	var d dedup
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var name string // of the entry being read; "" outside entries

	line := 0
	var bad []int
	for sc.Scan() {
		line++
		l := strings.TrimRight(sc.Text(), "\r")
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if l[0] != ' ' {
			name = ""
			if !strings.HasSuffix(l, ":") {
				bad = append(bad, line)
				continue
			}
			var local bool
			name, local = v1EntryName(strings.TrimSuffix(l, ":"))
			if name == "" && !local {
				bad = append(bad, line)
			}
			continue
		}
		if name == "" || !strings.HasPrefix(l, "  version ") || strings.HasPrefix(l, "   ") {
			continue
		}
		v := strings.Trim(strings.TrimSpace(strings.TrimPrefix(l, "  version ")), `"`)
		if v == "" {
			bad = append(bad, line)
			continue
		}
		d.add(newPackage(name, v, model.OriginLockfile, foundBy, file))
		name = ""
	}
	if err := sc.Err(); err != nil {
		return d.packages(), fmt.Errorf("line %d: %w", line+1, err)
	}
	if len(bad) > 0 {
		return d.packages(), fmt.Errorf("%d malformed entries, first at line %d", len(bad), bad[0])
	}
	return d.packages(), nil
}

// v1EntryName reads the package name from an entry header such as
// `"@babel/core@^7.0.0", "@babel/core@^7.1.0"` or
// `wrap-ansi-cjs@npm:wrap-ansi@^7.0.0` (an alias of wrap-ansi). Entries
// for local sources (file:, link:, workspace:, portal:) report local.
func v1EntryName(header string) (name string, local bool) {
	first, _, _ := strings.Cut(header, ",")
	first = strings.Trim(strings.TrimSpace(first), `"`)
	name, rng, ok := splitSpec(first)
	if !ok {
		return "", false
	}
	for _, proto := range []string{"file:", "link:", "workspace:", "portal:"} {
		if strings.HasPrefix(rng, proto) {
			return "", true
		}
	}
	if real, ok := strings.CutPrefix(rng, "npm:"); ok {
		if n, _, ok := splitSpec(real); ok {
			name = n
		}
	}
	if !validName(name) {
		return "", false
	}
	return name, false
}
