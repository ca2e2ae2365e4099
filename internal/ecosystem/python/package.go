package python

import (
	"fmt"
	"io"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// lockMaxSize bounds every lock file this package reads.
const lockMaxSize = 64 << 20

// newPackage keeps the name as the distribution spells it and puts the
// PEP 503 normalised name in the purl, which is what feeds key by.
func newPackage(name, version string, origin model.Origin, foundBy, path string) model.Package {
	return model.Package{
		Ecosystem: model.EcosystemPyPI,
		Name:      name,
		Version:   version,
		PURL:      packageurl.NewPackageURL(packageurl.TypePyPi, "", model.NormalizeName(model.EcosystemPyPI, name), version, nil, "").ToString(),
		Origin:    origin,
		FoundBy:   foundBy,
		Locations: []string{path},
	}
}

func readAll(in catalog.Input) ([]byte, error) {
	b, err := io.ReadAll(io.NewSectionReader(in.Content, 0, in.Size))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Path, err)
	}
	return b, nil
}

// validName accepts the names PEP 508 allows.
func validName(n string) bool {
	if n == "" || len(n) > 256 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || i == len(n)-1 || (c != '-' && c != '_' && c != '.')) {
			return false
		}
	}
	return true
}
