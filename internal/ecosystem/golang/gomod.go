package golang

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// ModCataloger reads go.mod requirements as lock-file evidence: since Go
// 1.17 go.mod lists every module in the build, indirect ones included.
// For older modules the sibling go.sum fills in what go.mod omits.
type ModCataloger struct{}

var _ catalog.Cataloger = (*ModCataloger)(nil)

// NewModCataloger returns the go.mod cataloger.
func NewModCataloger() *ModCataloger { return &ModCataloger{} }

// Name implements catalog.Plugin.
func (*ModCataloger) Name() string { return "go-mod" }

// Version implements catalog.Plugin.
func (*ModCataloger) Version() int { return 1 }

// Wants claims go.mod files outside the module cache, whose copies are
// dependencies' manifests rather than a build's requirements.
func (*ModCataloger) Wants(fi catalog.FileInfo) bool {
	return path.Base(fi.Path) == "go.mod" && !strings.Contains(fi.Path, "/pkg/mod/")
}

// MaxSize implements catalog.Cataloger.
func (*ModCataloger) MaxSize() int64 { return 64 << 20 }

// Catalog implements catalog.Cataloger.
func (c *ModCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := io.ReadAll(io.NewSectionReader(in.Content, 0, in.Size))
	if err != nil {
		return catalog.Result{}, fmt.Errorf("%s: %w", in.Path, err)
	}
	var gosum []byte
	if in.Layer != nil {
		gosum, err = readSibling(in.Layer, path.Join(path.Dir(in.Path), "go.sum"))
		if err != nil {
			return catalog.Result{}, fmt.Errorf("%s: reading go.sum: %w", in.Path, err)
		}
	}
	pkgs, err := parseGoMod(in.Path, data, gosum, c.Name())
	if err != nil {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %w", in.Path, err)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}

func readSibling(l catalog.LayerView, p string) ([]byte, error) {
	rc, err := l.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 64<<20))
}

// parseGoMod returns the required modules after replace directives. The
// main module itself is a project, not a dependency, and is left out.
func parseGoMod(file string, data, gosum []byte, foundBy string) ([]model.Package, error) {
	f, err := modfile.Parse(file, data, nil)
	if err != nil {
		return nil, err
	}
	repl := make(map[string]*modfile.Replace, len(f.Replace))
	for _, r := range f.Replace {
		repl[r.Old.Path+"@"+r.Old.Version] = r
	}
	var pkgs []model.Package
	listed := make(map[string]bool, len(f.Require))
	for _, r := range f.Require {
		listed[r.Mod.Path] = true
		p := requirement(r.Mod.Path, r.Mod.Version, repl, foundBy, file)
		if r.Indirect {
			p.Metadata = withMeta(p.Metadata, "go.indirect", "true")
		}
		pkgs = append(pkgs, p)
	}
	if gosum != nil && (f.Go == nil || semver.Compare("v"+f.Go.Version, "v1.17") < 0) {
		for _, m := range sumModules(gosum) {
			if listed[m[0]] {
				continue
			}
			p := requirement(m[0], m[1], repl, foundBy, file)
			p.Metadata = withMeta(p.Metadata, "go.indirect", "true")
			p.Locations = append(p.Locations, path.Join(path.Dir(file), "go.sum"))
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}

func requirement(mod, ver string, repl map[string]*modfile.Replace, foundBy, file string) model.Package {
	r := repl[mod+"@"+ver]
	if r == nil {
		r = repl[mod+"@"]
	}
	if r == nil {
		return newPackage(mod, ver, model.OriginLockfile, foundBy, file)
	}
	if r.New.Version == "" {
		p := newPackage(mod, "", model.OriginLockfile, foundBy, file)
		p.Metadata = map[string]string{"go.replace": r.New.Path}
		return p
	}
	p := newPackage(r.New.Path, r.New.Version, model.OriginLockfile, foundBy, file)
	p.Metadata = map[string]string{"go.replaces": mod + "@" + ver}
	return p
}

func withMeta(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// sumModules returns the highest version of each module whose content
// (not only its go.mod) go.sum records, in first-seen order.
func sumModules(data []byte) [][2]string {
	best := map[string]string{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || strings.HasSuffix(fields[1], "/go.mod") || !semver.IsValid(fields[1]) {
			continue
		}
		mod, ver := fields[0], fields[1]
		cur, ok := best[mod]
		if !ok {
			order = append(order, mod)
		}
		if !ok || semver.Compare(ver, cur) > 0 {
			best[mod] = ver
		}
	}
	out := make([][2]string, 0, len(order))
	for _, m := range order {
		out = append(out, [2]string{m, best[m]})
	}
	return out
}
