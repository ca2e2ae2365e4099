// Package nuget orders NuGet package versions as NuGet.Versioning does:
// one to four numeric parts (missing parts are 0, so 1.0 = 1.0.0.0), an
// optional SemVer 2.0 prerelease compared label by label with numeric
// labels numerically and other labels case-insensitively, and build
// metadata that does not take part.
package nuget

import (
	"fmt"
	"strings"
)

// Version is a parsed NuGet version.
type Version struct {
	Parts    [4]uint64
	Release  string // prerelease labels without the leading '-'
	Metadata string
}

// Comparator orders NuGet version strings.
type Comparator struct{}

// Compare parses a and b and orders them as VersionComparer.Default.
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

// Parse parses a NuGet version (NuGetVersion.Parse grammar).
func Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	var v Version
	if i := strings.IndexByte(t, '+'); i >= 0 {
		t, v.Metadata = t[:i], t[i+1:]
		if err := labels(v.Metadata); err != nil {
			return Version{}, fmt.Errorf("nuget: invalid version %q: metadata: %w", s, err)
		}
	}
	if i := strings.IndexByte(t, '-'); i >= 0 {
		t, v.Release = t[:i], t[i+1:]
		if err := labels(v.Release); err != nil {
			return Version{}, fmt.Errorf("nuget: invalid version %q: prerelease: %w", s, err)
		}
	}
	n := 0
	for part := range strings.SplitSeq(t, ".") {
		if n == 4 {
			return Version{}, fmt.Errorf("nuget: invalid version %q: more than four numbers", s)
		}
		if part == "" || len(part) > 10 {
			return Version{}, fmt.Errorf("nuget: invalid version %q: bad number %q", s, part)
		}
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return Version{}, fmt.Errorf("nuget: invalid version %q: bad number %q", s, part)
			}
			v.Parts[n] = v.Parts[n]*10 + uint64(part[i]-'0')
		}
		if v.Parts[n] > 1<<31-1 {
			return Version{}, fmt.Errorf("nuget: invalid version %q: number %q too large", s, part)
		}
		n++
	}
	return v, nil
}

func labels(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if i == start {
				return fmt.Errorf("empty label")
			}
			start = i + 1
			continue
		}
		c := s[i]
		if !(c == '-' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')) {
			return fmt.Errorf("invalid character %q", c)
		}
	}
	return nil
}

// Compare orders two parsed versions.
func Compare(a, b Version) int {
	for i := range a.Parts {
		if a.Parts[i] != b.Parts[i] {
			if a.Parts[i] < b.Parts[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case a.Release == b.Release:
		return 0
	case a.Release == "":
		return 1
	case b.Release == "":
		return -1
	}
	ra, rb := a.Release, b.Release
	for ra != "" || rb != "" {
		if ra == "" {
			return -1
		}
		if rb == "" {
			return 1
		}
		var la, lb string
		la, ra, _ = strings.Cut(ra, ".")
		lb, rb, _ = strings.Cut(rb, ".")
		if c := compareLabel(la, lb); c != 0 {
			return c
		}
	}
	return 0
}

func compareLabel(a, b string) int {
	na, nb := isNum(a), isNum(b)
	switch {
	case na && nb:
		for len(a) > 1 && a[0] == '0' {
			a = a[1:]
		}
		for len(b) > 1 && b[0] == '0' {
			b = b[1:]
		}
		if len(a) != len(b) {
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	case na:
		return -1
	case nb:
		return 1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := lower(a[i]), lower(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

func isNum(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
