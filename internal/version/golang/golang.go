// Package golang orders Go module and Go toolchain versions. Module
// versions are semantic versions with a "v" prefix, which OSV records
// omit, so the prefix is optional; pseudo-versions
// (v0.0.0-20210101000000-abcdef123456) are prereleases and sort by their
// timestamp; "+incompatible" is build metadata and does not take part.
// Toolchain versions as the Go command prints them ("go1.21.5",
// "go1.21rc2", "go1.20") are mapped to the semantic versions the Go
// vulnerability database uses for the standard library (1.21.5,
// 1.21.0-rc.2, 1.20.0).
package golang

import (
	"fmt"
	"strings"

	"github.com/bulwark-security/bulwark/internal/version/semver"
)

// Comparator orders Go module and toolchain version strings.
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

// Parse parses a module version (with or without "v"; "v1" and "v1.2"
// are shorthands for v1.0.0 and v1.2.0 as in golang.org/x/mod/semver) or
// a toolchain version (with or without "go").
func Parse(s string) (semver.Version, error) {
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(t, "go"):
		t = t[2:]
		if v, ok := toolchain(t); ok {
			return v, nil
		}
		return semver.Version{}, fmt.Errorf("golang: invalid Go toolchain version %q", s)
	case strings.HasPrefix(t, "v"):
		t = t[1:]
	}
	if v, ok := toolchain(t); ok {
		return v, nil
	}
	v, err := semver.ParseStrict(t)
	if err != nil {
		return semver.Version{}, fmt.Errorf("golang: invalid version %q", s)
	}
	return v, nil
}

// toolchain parses N[.N[.N]][(alpha|beta|rc)N]: the Go release tag
// grammar, which also covers x/mod's shorthand module versions.
func toolchain(t string) (semver.Version, bool) {
	var nums [3]uint64
	n := 0
	i := 0
	for n < 3 {
		j := i
		for j < len(t) && t[j] >= '0' && t[j] <= '9' {
			j++
		}
		if j == i || j-i > 18 || (j-i > 1 && t[i] == '0') {
			return semver.Version{}, false
		}
		for _, c := range []byte(t[i:j]) {
			nums[n] = nums[n]*10 + uint64(c-'0')
		}
		n++
		i = j
		if i < len(t) && t[i] == '.' {
			i++
			continue
		}
		break
	}
	v := semver.Version{Major: nums[0], Minor: nums[1], Patch: nums[2]}
	if i == len(t) {
		return v, true
	}
	rest := t[i:]
	for _, kind := range []string{"alpha", "beta", "rc"} {
		if num, ok := strings.CutPrefix(rest, kind); ok && num != "" && allDigits(num) && num[0] != '0' {
			v.Pre = kind + "." + num
			return v, true
		}
	}
	return semver.Version{}, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
