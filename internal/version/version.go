// Package version compares versions in every scheme Bulwark matches:
// deb, rpm, apk, semver (with npm range semantics), PEP 440, Maven,
// RubyGems, Go, Cargo, NuGet and Composer. Each scheme lives in its own
// subpackage; this package picks one by name.
//
// A version that does not parse is an error, never "not affected".
package version

import (
	"errors"
	"fmt"
)

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

// InRange reports whether v lies in an advisory's affected range:
// at or above introduced ("" or "0" means from the beginning), below fixed
// (if set) and at or below lastAffected (if set). Any bound that does not
// parse is an error, so that an unreadable range is reported rather than
// read as "not affected".
func InRange(c Comparator, v, introduced, fixed, lastAffected string) (bool, error) {
	if c == nil {
		return false, errors.New("version: nil comparator")
	}
	if (introduced == "" || introduced == "0") && fixed == "" && lastAffected == "" {
		// No bound to compare with, but an unreadable version must still
		// be reported.
		if _, err := c.Compare(v, v); err != nil {
			return false, err
		}
		return true, nil
	}
	in := true
	if introduced != "" && introduced != "0" {
		r, err := c.Compare(v, introduced)
		if err != nil {
			return false, fmt.Errorf("introduced bound: %w", err)
		}
		in = r >= 0
	}
	if fixed != "" {
		r, err := c.Compare(v, fixed)
		if err != nil {
			return false, fmt.Errorf("fixed bound: %w", err)
		}
		in = in && r < 0
	}
	if lastAffected != "" {
		r, err := c.Compare(v, lastAffected)
		if err != nil {
			return false, fmt.Errorf("last_affected bound: %w", err)
		}
		in = in && r <= 0
	}
	return in, nil
}
