package golang

import (
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/model"
)

// newPackage builds a Go module package; the module path splits into purl
// namespace and name at its last slash.
func newPackage(module, version string, origin model.Origin, foundBy, path string) model.Package {
	return model.Package{
		Ecosystem: model.EcosystemGo,
		Name:      module,
		Version:   version,
		PURL:      purl(module, version),
		Origin:    origin,
		FoundBy:   foundBy,
		Locations: []string{path},
	}
}

func purl(module, version string) string {
	ns, name := "", module
	if i := strings.LastIndex(module, "/"); i >= 0 {
		ns, name = module[:i], module[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString()
}
