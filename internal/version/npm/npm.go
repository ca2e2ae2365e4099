// Package npm orders npm package versions (SemVer 2.0.0, as node-semver
// does in its default, non-loose mode) and evaluates npm range
// expressions: comparator sets joined by "||", hyphen ranges, X-ranges,
// tilde and caret ranges, with node-semver's rule that a prerelease
// version satisfies a range only when a comparator of the same set names
// a prerelease of the same major.minor.patch.
package npm

import (
	"fmt"
	"strings"

	"github.com/bulwark-security/bulwark/internal/version/semver"
)

// Comparator orders npm version strings.
type Comparator struct{}

// Compare parses a and b and orders them by SemVer precedence.
func (Comparator) Compare(a, b string) (int, error) {
	va, err := Parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(b)
	if err != nil {
		return 0, err
	}
	return semver.Compare(va, vb), nil
}

// Parse parses an npm version; like node-semver it ignores surrounding
// space and a leading "=" or "v". Advisories sometimes name a bare
// "MAJOR" or "MAJOR.MINOR" ("6.0"); those read as MAJOR.MINOR.0, as OSV
// tooling reads them, rather than leaving the advisory unusable.
func Parse(s string) (semver.Version, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "=")
	t = strings.TrimLeft(t, " ")
	if len(t) > 0 && (t[0] == 'v' || t[0] == 'V') {
		t = t[1:]
	}
	v, err := semver.ParseStrict(t)
	if err != nil {
		if p, perr := parsePartial(t); perr == nil && p.pre == "" && !p.xMajor && !wildcard(t) {
			return p.full(), nil
		}
		return semver.Version{}, fmt.Errorf("npm: invalid version %q", s)
	}
	return v, nil
}

func wildcard(t string) bool { return strings.ContainsAny(t, "xX*+") }

// Satisfies reports whether version lies in the npm range rangeExpr.
func Satisfies(version, rangeExpr string) (bool, error) {
	v, err := Parse(version)
	if err != nil {
		return false, err
	}
	r, err := ParseRange(rangeExpr)
	if err != nil {
		return false, err
	}
	return r.Contains(v), nil
}

type op uint8

const (
	opAny op = iota
	opLT
	opLE
	opGT
	opGE
	opEQ
)

type comparator struct {
	op op
	v  semver.Version
}

func (c comparator) test(v semver.Version) bool {
	if c.op == opAny {
		return true
	}
	r := semver.Compare(v, c.v)
	switch c.op {
	case opLT:
		return r < 0
	case opLE:
		return r <= 0
	case opGT:
		return r > 0
	case opGE:
		return r >= 0
	}
	return r == 0
}

// Range is a parsed npm range: a version satisfies it when it satisfies
// every comparator of at least one set.
type Range struct {
	raw  string
	sets [][]comparator
}

// String returns the range as written.
func (r Range) String() string { return r.raw }

// Contains reports whether v satisfies r.
func (r Range) Contains(v semver.Version) bool {
	for _, set := range r.sets {
		if testSet(set, v) {
			return true
		}
	}
	return false
}

func testSet(set []comparator, v semver.Version) bool {
	for _, c := range set {
		if !c.test(v) {
			return false
		}
	}
	if v.Pre == "" {
		return true
	}
	for _, c := range set {
		if c.op != opAny && c.v.Pre != "" &&
			c.v.Major == v.Major && c.v.Minor == v.Minor && c.v.Patch == v.Patch {
			return true
		}
	}
	return false
}
