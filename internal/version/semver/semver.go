// Package semver parses and orders Semantic Versioning 2.0.0 versions
// (https://semver.org). It is the core shared by the npm, Cargo and Go
// comparators; precedence ignores build metadata, as the specification
// requires.
package semver

import (
	"fmt"
	"math"
	"strings"
)

// Version is a parsed semantic version. Pre and Build hold the raw
// dot-separated identifiers without their leading '-' or '+'.
type Version struct {
	Major, Minor, Patch uint64
	Pre                 string
	Build               string
}

// String formats v in canonical form.
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// Parse parses a SemVer 2.0.0 version. Surrounding space and one leading
// "v" or "V" are tolerated because many registries and tags carry them.
func Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if len(t) > 0 && (t[0] == 'v' || t[0] == 'V') {
		t = t[1:]
	}
	v, err := parse(t)
	if err != nil {
		return Version{}, fmt.Errorf("semver: invalid version %q: %w", s, err)
	}
	return v, nil
}

// ParseStrict parses a version exactly as the specification's grammar
// allows: no prefix, no space, no leading zeros in numeric identifiers.
func ParseStrict(s string) (Version, error) {
	v, err := parse(s)
	if err != nil {
		return Version{}, fmt.Errorf("semver: invalid version %q: %w", s, err)
	}
	return v, nil
}

func parse(s string) (Version, error) {
	var v Version
	rest := s
	var err error
	if v.Major, rest, err = number(rest); err != nil {
		return Version{}, fmt.Errorf("major: %w", err)
	}
	if rest, err = expect(rest, '.'); err != nil {
		return Version{}, err
	}
	if v.Minor, rest, err = number(rest); err != nil {
		return Version{}, fmt.Errorf("minor: %w", err)
	}
	if rest, err = expect(rest, '.'); err != nil {
		return Version{}, err
	}
	if v.Patch, rest, err = number(rest); err != nil {
		return Version{}, fmt.Errorf("patch: %w", err)
	}
	if v.Pre, v.Build, err = tail(rest); err != nil {
		return Version{}, err
	}
	return v, nil
}

// tail splits "-pre+build" (either part optional) and validates both.
func tail(rest string) (pre, build string, err error) {
	if rest == "" {
		return "", "", nil
	}
	if rest[0] == '-' {
		rest = rest[1:]
		end := strings.IndexByte(rest, '+')
		if end < 0 {
			end = len(rest)
		}
		pre, rest = rest[:end], rest[end:]
		if err := ValidIdentifiers(pre, true); err != nil {
			return "", "", fmt.Errorf("prerelease: %w", err)
		}
	}
	if rest == "" {
		return pre, "", nil
	}
	if rest[0] != '+' {
		return "", "", fmt.Errorf("unexpected %q", rest)
	}
	build = rest[1:]
	if err := ValidIdentifiers(build, false); err != nil {
		return "", "", fmt.Errorf("build metadata: %w", err)
	}
	return pre, build, nil
}

// ValidIdentifiers checks dot-separated identifiers of [0-9A-Za-z-];
// numeric prerelease identifiers must not have leading zeros.
func ValidIdentifiers(s string, pre bool) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			c := s[i]
			if !isAlnum(c) && c != '-' {
				return fmt.Errorf("invalid character %q", c)
			}
			continue
		}
		id := s[start:i]
		if id == "" {
			return fmt.Errorf("empty identifier")
		}
		if pre && len(id) > 1 && id[0] == '0' && allDigits(id) {
			return fmt.Errorf("leading zero in %q", id)
		}
		start = i + 1
	}
	return nil
}

func number(s string) (uint64, string, error) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == 0 {
		return 0, s, fmt.Errorf("missing number")
	}
	if i > 1 && s[0] == '0' {
		return 0, s, fmt.Errorf("leading zero")
	}
	var n uint64
	for _, c := range []byte(s[:i]) {
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, s, fmt.Errorf("number too large")
		}
		n = n*10 + d
	}
	return n, s[i:], nil
}

func expect(s string, c byte) (string, error) {
	if s == "" || s[0] != c {
		return s, fmt.Errorf("expected %q", c)
	}
	return s[1:], nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// ParsePadded is ParseStrict that also reads a bare "MAJOR" or
// "MAJOR.MINOR" (as advisories sometimes write a bound) as
// MAJOR.MINOR.0. Missing parts never carry a prerelease or build.
func ParsePadded(s string) (Version, error) {
	v, err := ParseStrict(s)
	if err == nil {
		return v, nil
	}
	var p Version
	rest := s
	var perr error
	if p.Major, rest, perr = number(rest); perr != nil {
		return Version{}, err
	}
	if rest != "" {
		if rest[0] != '.' {
			return Version{}, err
		}
		if p.Minor, rest, perr = number(rest[1:]); perr != nil || rest != "" {
			return Version{}, err
		}
	}
	return p, nil
}
