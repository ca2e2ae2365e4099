// Package cargo orders Rust crate versions as Cargo's semver crate does:
// SemVer 2.0.0 precedence, then build metadata as a final tie-breaker so
// that the order is total (1.0.0 < 1.0.0+build).
package cargo

import (
	"fmt"
	"strings"

	"github.com/bulwark-security/bulwark/internal/version/semver"
)

// Comparator orders crate version strings.
type Comparator struct{}

// Compare parses a and b and orders them.
func (Comparator) Compare(a, b string) (int, error) {
	va, err := Parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(b)
	if err != nil {
		return 0, err
	}
	return Compare(va, vb), nil
}

// Parse parses a crate version in the strict SemVer grammar, surrounding
// space aside. A bare "MAJOR.MINOR" or "MAJOR", which advisories
// sometimes use as a bound ("0.36"), reads as MAJOR.MINOR.0, as Cargo
// reads it in a version requirement.
func Parse(s string) (semver.Version, error) {
	v, err := semver.ParsePadded(strings.TrimSpace(s))
	if err != nil {
		return semver.Version{}, fmt.Errorf("cargo: invalid version %q", s)
	}
	return v, nil
}

// Compare orders by precedence, then by build metadata (none first).
func Compare(a, b semver.Version) int {
	if c := semver.Compare(a, b); c != 0 {
		return c
	}
	switch {
	case a.Build == b.Build:
		return 0
	case a.Build == "":
		return -1
	case b.Build == "":
		return 1
	}
	if c := semver.CompareIdentifiers(a.Build, b.Build); c != 0 {
		return c
	}
	return strings.Compare(a.Build, b.Build)
}
