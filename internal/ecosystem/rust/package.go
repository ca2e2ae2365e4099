package rust

import (
	packageurl "github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/model"
)

func newPackage(name, version string, origin model.Origin, foundBy, path string) model.Package {
	return model.Package{
		Ecosystem: model.EcosystemCargo,
		Name:      name,
		Version:   version,
		PURL:      packageurl.NewPackageURL(packageurl.TypeCargo, "", name, version, nil, "").ToString(),
		Origin:    origin,
		FoundBy:   foundBy,
		Locations: []string{path},
	}
}

// validName accepts crate names: ASCII letters, digits, "-" and "_".
func validName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
