package ruby

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// LockCataloger reads Gemfile.lock (and gems.locked): the specs of the GEM
// and GIT sections. PATH sections are local gems and are left out.
type LockCataloger struct{}

var _ catalog.Cataloger = (*LockCataloger)(nil)

// NewLockCataloger returns the Gemfile.lock cataloger.
func NewLockCataloger() *LockCataloger { return &LockCataloger{} }

// Name implements catalog.Plugin.
func (*LockCataloger) Name() string { return "gemfile-lock" }

// Version implements catalog.Plugin.
func (*LockCataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*LockCataloger) Wants(fi catalog.FileInfo) bool {
	b := path.Base(fi.Path)
	return b == "Gemfile.lock" || b == "gems.locked"
}

// MaxSize implements catalog.Cataloger.
func (*LockCataloger) MaxSize() int64 { return 64 << 20 }

// Catalog implements catalog.Cataloger.
func (c *LockCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	pkgs, err := parseGemfileLock(io.NewSectionReader(in.Content, 0, in.Size), c.Name(), in.Path)
	if err != nil {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %w", in.Path, err)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}

func parseGemfileLock(r io.Reader, foundBy, file string) ([]model.Package, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var pkgs []model.Package
	index := map[string]int{} // name@version -> position in pkgs
	section, inSpecs := "", false
	line, sections := 0, 0
	var bad []int
	for sc.Scan() {
		line++
		l := strings.TrimRight(sc.Text(), "\r")
		if l == "" {
			continue
		}
		if l[0] != ' ' {
			section, inSpecs = strings.TrimSpace(l), false
			sections++
			continue
		}
		if section != "GEM" && section != "GIT" {
			continue
		}
		if l == "  specs:" {
			inSpecs = true
			continue
		}
		if !inSpecs || !strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "     ") {
			continue // remote:, revision:, or a dependency of a spec
		}
		name, version, platform, ok := parseSpecLine(strings.TrimSpace(l))
		if !ok {
			bad = append(bad, line)
			continue
		}
		if i, ok := index[name+"@"+version]; ok {
			if platform != "" {
				pkgs[i].Metadata = appendPlatform(pkgs[i].Metadata, platform)
			}
			continue
		}
		p := newPackage(name, version, model.OriginLockfile, foundBy, file)
		if platform != "" {
			p.Metadata = appendPlatform(nil, platform)
		}
		if section == "GIT" {
			p.Metadata = withMeta(p.Metadata, "gem.source", "git")
		}
		index[name+"@"+version] = len(pkgs)
		pkgs = append(pkgs, p)
	}
	if err := sc.Err(); err != nil {
		return pkgs, fmt.Errorf("line %d: %w", line+1, err)
	}
	if sections == 0 {
		return nil, fmt.Errorf("no sections: not a Gemfile.lock")
	}
	if len(bad) > 0 {
		return pkgs, fmt.Errorf("%d malformed spec lines, first at line %d", len(bad), bad[0])
	}
	return pkgs, nil
}

// parseSpecLine reads "nokogiri (1.13.10-x86_64-linux)". Gem versions
// contain no "-", so what follows the first one is the platform.
func parseSpecLine(s string) (name, version, platform string, ok bool) {
	name, rest, found := strings.Cut(s, " (")
	if !found || !strings.HasSuffix(rest, ")") || !validName(name) {
		return "", "", "", false
	}
	version = strings.TrimSuffix(rest, ")")
	version, platform, _ = strings.Cut(version, "-")
	if version == "" || strings.ContainsAny(version, " ,") {
		return "", "", "", false
	}
	return name, version, platform, true
}

func appendPlatform(m map[string]string, platform string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	if cur := m["gem.platform"]; cur != "" {
		platform = cur + "," + platform
	}
	m["gem.platform"] = platform
	return m
}

func withMeta(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

func newPackage(name, version string, origin model.Origin, foundBy, path string) model.Package {
	return model.Package{
		Ecosystem: model.EcosystemGem,
		Name:      name,
		Version:   version,
		PURL:      packageurl.NewPackageURL(packageurl.TypeGem, "", name, version, nil, "").ToString(),
		Origin:    origin,
		FoundBy:   foundBy,
		Locations: []string{path},
	}
}

// validName accepts gem names: letters, digits, "-", "_" and ".".
func validName(n string) bool {
	if n == "" || len(n) > 128 {
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
