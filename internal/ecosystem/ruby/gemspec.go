package ruby

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// GemspecCataloger reads the specifications RubyGems writes for every
// installed gem (".../specifications/NAME-VERSION.gemspec").
type GemspecCataloger struct{}

var _ catalog.Cataloger = (*GemspecCataloger)(nil)

// NewGemspecCataloger returns the installed gemspec cataloger.
func NewGemspecCataloger() *GemspecCataloger { return &GemspecCataloger{} }

// Name implements catalog.Plugin.
func (*GemspecCataloger) Name() string { return "gemspec" }

// Version implements catalog.Plugin.
func (*GemspecCataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*GemspecCataloger) Wants(fi catalog.FileInfo) bool {
	dir, base := path.Split(fi.Path)
	return strings.HasSuffix(base, ".gemspec") && strings.HasSuffix(dir, "/specifications/")
}

// MaxSize implements catalog.Cataloger.
func (*GemspecCataloger) MaxSize() int64 { return 4 << 20 }

var (
	// assignment matches "  s.name = "rack".freeze" and the like; any
	// receiver name is accepted.
	assignment = regexp.MustCompile(`^\s*\w+\.(name|version|licenses|license)\s*=\s*(.+)$`)
	quoted     = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'`)
)

// Catalog implements catalog.Cataloger. Generated gemspecs assign plain
// string literals; anything computed is not evaluated.
func (c *GemspecCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	sc := bufio.NewScanner(io.NewSectionReader(in.Content, 0, in.Size))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var name, version, stubName, stubVersion string
	var licenses []string
	for sc.Scan() {
		l := sc.Text()
		if rest, ok := strings.CutPrefix(l, "# stub: "); ok {
			if f := strings.Fields(rest); len(f) >= 2 {
				stubName, stubVersion = f[0], f[1]
			}
			continue
		}
		m := assignment.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		vals := literals(m[2])
		switch {
		case m[1] == "name" && name == "" && len(vals) > 0:
			name = vals[0]
		case m[1] == "version" && version == "" && len(vals) > 0:
			version = vals[0]
		case (m[1] == "licenses" || m[1] == "license") && licenses == nil:
			licenses = vals
		}
	}
	if err := sc.Err(); err != nil {
		return catalog.Result{}, fmt.Errorf("%s: %w", in.Path, err)
	}
	if name == "" {
		name = stubName
	}
	if version == "" {
		version = stubVersion
	}
	if name == "" || version == "" {
		return catalog.Result{}, fmt.Errorf("%s: no literal name and version in gemspec", in.Path)
	}
	if !validName(name) {
		return catalog.Result{}, fmt.Errorf("%s: invalid gem name %q", in.Path, name)
	}
	p := newPackage(name, version, model.OriginInstalled, c.Name(), in.Path)
	p.Licenses = licenses
	return catalog.Result{Packages: []model.Package{p}}, ctx.Err()
}

func literals(expr string) []string {
	var out []string
	for _, m := range quoted.FindAllStringSubmatch(expr, -1) {
		v := m[1]
		if v == "" {
			v = m[2]
		}
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
