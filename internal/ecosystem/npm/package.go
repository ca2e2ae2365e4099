package npm

import (
	"fmt"
	"io"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// lockMaxSize bounds every lock file this package reads.
const lockMaxSize = 64 << 20

func newPackage(name, version string, origin model.Origin, foundBy, path string) model.Package {
	return model.Package{
		Ecosystem: model.EcosystemNPM,
		Name:      name,
		Version:   version,
		PURL:      purl(name, version),
		Origin:    origin,
		FoundBy:   foundBy,
		Locations: []string{path},
	}
}

func purl(name, version string) string {
	ns := ""
	if strings.HasPrefix(name, "@") {
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, name, version, nil, "").ToString()
}

func readAll(in catalog.Input) ([]byte, error) {
	b, err := io.ReadAll(io.NewSectionReader(in.Content, 0, in.Size))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Path, err)
	}
	return b, nil
}

// dedup keeps one package per name and version. Lock files list a package
// once per place it is installed; a package is a dev dependency only if
// every copy is.
type dedup struct {
	order []string
	byKey map[string]*model.Package
}

func (d *dedup) add(p model.Package) {
	if d.byKey == nil {
		d.byKey = map[string]*model.Package{}
	}
	k := p.Name + "@" + p.Version
	if cur, ok := d.byKey[k]; ok {
		cur.Dev = cur.Dev && p.Dev
		if len(cur.Licenses) == 0 {
			cur.Licenses = p.Licenses
		}
		return
	}
	d.order = append(d.order, k)
	d.byKey[k] = &p
}

func (d *dedup) packages() []model.Package {
	out := make([]model.Package, 0, len(d.order))
	for _, k := range d.order {
		out = append(out, *d.byKey[k])
	}
	return out
}

// splitSpec splits "name@range" at the "@" that follows the name, so
// scoped names ("@types/node@^20") keep their leading "@".
func splitSpec(s string) (name, rest string, ok bool) {
	i := strings.IndexByte(s[min(1, len(s)):], '@')
	if i < 0 {
		return s, "", false
	}
	i++
	return s[:i], s[i+1:], true
}

// validName is a loose check that keeps garbage out of purls.
func validName(n string) bool {
	if n == "" || len(n) > 214 || strings.ContainsAny(n, " \t\n\"'") {
		return false
	}
	if strings.HasPrefix(n, "@") {
		i := strings.IndexByte(n, '/')
		return i > 1 && i < len(n)-1
	}
	return !strings.Contains(n, "/")
}
