package version

import (
	"slices"

	"github.com/bulwark-security/bulwark/internal/version/apk"
	"github.com/bulwark-security/bulwark/internal/version/cargo"
	"github.com/bulwark-security/bulwark/internal/version/composer"
	"github.com/bulwark-security/bulwark/internal/version/deb"
	"github.com/bulwark-security/bulwark/internal/version/gem"
	"github.com/bulwark-security/bulwark/internal/version/golang"
	"github.com/bulwark-security/bulwark/internal/version/maven"
	"github.com/bulwark-security/bulwark/internal/version/npm"
	"github.com/bulwark-security/bulwark/internal/version/nuget"
	"github.com/bulwark-security/bulwark/internal/version/pypi"
	"github.com/bulwark-security/bulwark/internal/version/rpm"
	"github.com/bulwark-security/bulwark/internal/version/semver"
)

// schemes maps each scheme name (a model.Ecosystem value, plus "semver")
// to its comparator.
var schemes = map[string]Comparator{
	"deb":      deb.Comparator{},
	"rpm":      rpm.Comparator{},
	"apk":      apk.Comparator{},
	"npm":      npm.Comparator{},
	"golang":   golang.Comparator{},
	"pypi":     pypi.Comparator{},
	"maven":    maven.Comparator{},
	"gem":      gem.Comparator{},
	"cargo":    cargo.Comparator{},
	"nuget":    nuget.Comparator{},
	"composer": composer.Comparator{},
	"semver":   semver.Comparator{},
}

var (
	_ Comparator = deb.Comparator{}
	_ Comparator = rpm.Comparator{}
	_ Comparator = apk.Comparator{}
	_ Comparator = npm.Comparator{}
	_ Comparator = golang.Comparator{}
	_ Comparator = pypi.Comparator{}
	_ Comparator = maven.Comparator{}
	_ Comparator = gem.Comparator{}
	_ Comparator = cargo.Comparator{}
	_ Comparator = nuget.Comparator{}
	_ Comparator = composer.Comparator{}
	_ Comparator = semver.Comparator{}
)

// Schemes returns the names For accepts.
func Schemes() []string {
	out := make([]string, 0, len(schemes))
	for name := range schemes {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
