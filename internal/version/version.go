// Package version compares versions in every scheme Bulwark matches:
// deb, rpm, apk, semver (with npm range semantics), PEP 440, Maven,
// RubyGems, Go, Cargo, NuGet and Composer. Each scheme lives in its own
// subpackage; this package picks one by name.
//
// A version that does not parse is an error, never "not affected".
package version

import "fmt"

// Comparator compares two versions of one scheme.
type Comparator interface {
	// Compare returns -1, 0 or +1 as a is less than, equal to or greater
	// than b. It returns an error naming the version that does not parse.
	Compare(a, b string) (int, error)
}

// For returns the comparator for a scheme. Scheme names are the package-url
// types Bulwark uses as ecosystems: "deb", "rpm", "apk", "npm", "golang",
// "pypi", "maven", "gem", "cargo", "nuget", "composer"; plus "semver".
func For(scheme string) (Comparator, error) {
	c, ok := schemes[scheme]
	if !ok {
		return nil, fmt.Errorf("no version comparator for scheme %q", scheme)
	}
	return c, nil
}

// schemes is filled in schemes.go, one entry per subpackage.
var schemes = map[string]Comparator{}
