// Package gem orders RubyGems versions as Gem::Version does: the version
// is split into numeric and letter segments ("1.0.0.pre2" is 1,0,0,"pre",2;
// a '-' reads as ".pre."); a version with any letter segment is a
// prerelease and sorts before the release; trailing zeros of the numeric
// part and of the prerelease part do not matter.
package gem

import (
	"fmt"
	"strings"
)

// Comparator orders RubyGems version strings.
type Comparator struct{}

// Compare parses a and b and orders them as Gem::Version#<=>.
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

// Version is a parsed gem version in canonical segments.
type Version struct {
	raw  string
	segs []segment
}

// String returns the version as written.
func (v Version) String() string { return v.raw }

// Prerelease reports whether v has a letter segment.
func (v Version) Prerelease() bool {
	for _, s := range v.segs {
		if s.str != "" {
			return true
		}
	}
	return false
}

// segment is a number (decimal digits without leading zeros) or, when str
// is set, a run of letters.
type segment struct {
	num string
	str string
}

// Parse validates s against Gem::Version's pattern
// (digits, then '.'-separated alphanumerics, then an optional '-'-led
// prerelease) and splits it into canonical segments.
func Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if err := validate(t); err != nil {
		return Version{}, fmt.Errorf("gem: invalid version %q: %w", s, err)
	}
	n := 0
	for i := 0; i < len(t); i++ {
		if i == 0 || t[i] == '-' || isDigit(t[i]) != isDigit(t[i-1]) || !isAlnum(t[i-1]) {
			n++
		}
	}
	segs := make([]segment, 0, n)
	for i := 0; i < len(t); {
		c := t[i]
		j := i
		switch {
		case isDigit(c):
			for j < len(t) && isDigit(t[j]) {
				j++
			}
			n := t[i:j]
			for len(n) > 1 && n[0] == '0' {
				n = n[1:]
			}
			segs = append(segs, segment{num: n})
		case isAlpha(c):
			for j < len(t) && isAlpha(t[j]) {
				j++
			}
			segs = append(segs, segment{str: t[i:j]})
		case c == '-':
			segs = append(segs, segment{str: "pre"})
			j++
		default:
			j++
		}
		i = j
	}
	return Version{raw: s, segs: canonical(segs)}, nil
}

// validate matches Gem::Version::ANCHORED_VERSION_PATTERN:
// [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?
func validate(t string) error {
	if t == "" {
		return fmt.Errorf("empty")
	}
	i := 0
	for i < len(t) && isDigit(t[i]) {
		i++
	}
	if i == 0 {
		return fmt.Errorf("does not start with a digit")
	}
	for i < len(t) && t[i] == '.' {
		j := i + 1
		for j < len(t) && (isDigit(t[j]) || isAlpha(t[j])) {
			j++
		}
		if j == i+1 {
			return fmt.Errorf("empty segment at offset %d", i+1)
		}
		i = j
	}
	if i == len(t) {
		return nil
	}
	if t[i] != '-' {
		return fmt.Errorf("invalid character %q", t[i])
	}
	i++
	for {
		j := i
		for j < len(t) && (isDigit(t[j]) || isAlpha(t[j]) || t[j] == '-') {
			j++
		}
		if j == i {
			return fmt.Errorf("empty prerelease segment at offset %d", i)
		}
		if j == len(t) {
			return nil
		}
		if t[j] != '.' {
			return fmt.Errorf("invalid character %q", t[j])
		}
		i = j + 1
	}
}

// canonical drops trailing zeros from the numeric part (up to the first
// letter segment) and from the rest, as Gem::Version#canonical_segments.
func canonical(segs []segment) []segment {
	split := len(segs)
	for i, s := range segs {
		if s.str != "" {
			split = i
			break
		}
	}
	num, rest := segs[:split], segs[split:]
	for len(num) > 0 && num[len(num)-1].num == "0" && num[len(num)-1].str == "" {
		num = num[:len(num)-1]
	}
	for len(rest) > 0 && rest[len(rest)-1].num == "0" && rest[len(rest)-1].str == "" {
		rest = rest[:len(rest)-1]
	}
	// num and rest share segs' array; moving rest left never overwrites
	// an element before it is read.
	return append(num, rest...)
}

// Compare orders two parsed versions; missing segments count as 0, and a
// letter segment sorts before a number.
func Compare(a, b Version) int {
	n := max(len(a.segs), len(b.segs))
	zero := segment{num: "0"}
	for i := 0; i < n; i++ {
		l, r := zero, zero
		if i < len(a.segs) {
			l = a.segs[i]
		}
		if i < len(b.segs) {
			r = b.segs[i]
		}
		if l == r {
			continue
		}
		switch {
		case l.str != "" && r.str == "":
			return -1
		case l.str == "" && r.str != "":
			return 1
		case l.str != "":
			return strings.Compare(l.str, r.str)
		}
		if len(l.num) != len(r.num) {
			if len(l.num) < len(r.num) {
				return -1
			}
			return 1
		}
		return strings.Compare(l.num, r.num)
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
