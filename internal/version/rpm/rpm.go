// Package rpm orders RPM versions as rpm itself does: EVR strings
// ([epoch:]version[-release]) compare epoch numerically, then version and
// release with rpmvercmp, in which '~' sorts before everything (even the
// end of the string) and '^' sorts after the end but before any further
// segment.
package rpm

import (
	"fmt"
	"strings"
)

// EVR is a parsed epoch:version-release. Its strings point into the input.
type EVR struct {
	Epoch   uint64
	Version string
	Release string
}

// String formats e as rpm prints an EVR.
func (e EVR) String() string {
	s := e.Version
	if e.Epoch != 0 {
		s = fmt.Sprintf("%d:%s", e.Epoch, s)
	}
	if e.Release != "" {
		s += "-" + e.Release
	}
	return s
}

// Comparator orders RPM EVR strings.
type Comparator struct{}

// Compare parses a and b and orders them as rpm's labelCompare.
func (Comparator) Compare(a, b string) (int, error) {
	ea, err := Parse(a)
	if err != nil {
		return 0, err
	}
	eb, err := Parse(b)
	if err != nil {
		return 0, err
	}
	return Compare(ea, eb), nil
}

// Parse splits "[epoch:]version[-release]". The release is everything
// after the last '-'. Characters rpm forbids in a version (space, '-' in
// the version part, control characters) and empty parts are errors.
func Parse(s string) (EVR, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return EVR{}, fmt.Errorf("rpm: invalid version %q: empty", s)
	}
	var e EVR
	if i := strings.IndexByte(t, ':'); i >= 0 {
		ep := t[:i]
		if ep == "" {
			return EVR{}, fmt.Errorf("rpm: invalid version %q: empty epoch", s)
		}
		for j := 0; j < len(ep); j++ {
			if ep[j] < '0' || ep[j] > '9' {
				return EVR{}, fmt.Errorf("rpm: invalid version %q: epoch is not a number", s)
			}
			if e.Epoch > (1<<32-1-uint64(ep[j]-'0'))/10 {
				return EVR{}, fmt.Errorf("rpm: invalid version %q: epoch too large", s)
			}
			e.Epoch = e.Epoch*10 + uint64(ep[j]-'0')
		}
		t = t[i+1:]
	}
	e.Version = t
	if i := strings.LastIndexByte(t, '-'); i >= 0 {
		e.Version, e.Release = t[:i], t[i+1:]
		if e.Release == "" {
			return EVR{}, fmt.Errorf("rpm: invalid version %q: empty release", s)
		}
	}
	if e.Version == "" {
		return EVR{}, fmt.Errorf("rpm: invalid version %q: empty version", s)
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c == 0x7f || c == ':' || (c == '-' && i < len(e.Version)) {
			return EVR{}, fmt.Errorf("rpm: invalid version %q: invalid character %q", s, c)
		}
	}
	return e, nil
}

// Compare orders two EVRs: epoch, then version, then release.
func Compare(a, b EVR) int {
	switch {
	case a.Epoch < b.Epoch:
		return -1
	case a.Epoch > b.Epoch:
		return 1
	}
	if c := Vercmp(a.Version, b.Version); c != 0 {
		return c
	}
	return Vercmp(a.Release, b.Release)
}

// Vercmp is rpmvercmp: it splits both strings into alternating runs of
// digits and letters, ignoring other separators.
func Vercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		ta, tb := i < len(a) && a[i] == '~', j < len(b) && b[j] == '~'
		if ta || tb {
			if !ta {
				return 1
			}
			if !tb {
				return -1
			}
			i++
			j++
			continue
		}
		ca, cb := i < len(a) && a[i] == '^', j < len(b) && b[j] == '^'
		if ca || cb {
			if i >= len(a) {
				return -1
			}
			if j >= len(b) {
				return 1
			}
			if !ca {
				return 1
			}
			if !cb {
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		isnum := isDigit(a[i])
		if isnum {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		if sj == j {
			// Different kinds of segment: numbers are newer than letters.
			if isnum {
				return 1
			}
			return -1
		}
		sa, sb := a[si:i], b[sj:j]
		if isnum {
			for len(sa) > 0 && sa[0] == '0' {
				sa = sa[1:]
			}
			for len(sb) > 0 && sb[0] == '0' {
				sb = sb[1:]
			}
			if len(sa) != len(sb) {
				if len(sa) > len(sb) {
					return 1
				}
				return -1
			}
		}
		if sa != sb {
			if sa < sb {
				return -1
			}
			return 1
		}
	}
	if i >= len(a) && j >= len(b) {
		return 0
	}
	if i < len(a) {
		return 1
	}
	return -1
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
