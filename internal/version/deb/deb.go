// Package deb orders Debian package versions ([epoch:]upstream[-revision])
// as dpkg does (Debian Policy 5.6.12): epochs numerically, then upstream
// and revision by alternating non-digit and digit runs, where '~' sorts
// before everything, even the end of the string, and letters sort before
// other characters.
package deb

import (
	"fmt"
	"strings"
)

// Version is a parsed Debian version. Its strings point into the input.
type Version struct {
	Epoch    uint64
	Upstream string
	Revision string
}

// String formats v as dpkg would print it.
func (v Version) String() string {
	s := v.Upstream
	if v.Epoch != 0 {
		s = fmt.Sprintf("%d:%s", v.Epoch, s)
	}
	if v.Revision != "" {
		s += "-" + v.Revision
	}
	return s
}

// Comparator orders Debian version strings.
type Comparator struct{}

// Compare parses a and b and orders them as `dpkg --compare-versions`.
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

// Parse splits a Debian version. It rejects what dpkg rejects (empty
// parts, a non-numeric epoch, characters outside the policy's set) and,
// unlike dpkg, which only warns, an upstream part that does not start
// with a digit: such strings ("<unfixed>", "latest") are not versions.
func Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Version{}, fmt.Errorf("deb: invalid version %q: empty", s)
	}
	var v Version
	if i := strings.IndexByte(t, ':'); i >= 0 {
		ep := t[:i]
		if ep == "" {
			return Version{}, fmt.Errorf("deb: invalid version %q: empty epoch", s)
		}
		for j := 0; j < len(ep); j++ {
			if !isDigit(ep[j]) {
				return Version{}, fmt.Errorf("deb: invalid version %q: epoch is not a number", s)
			}
			if v.Epoch > (1<<31-1-uint64(ep[j]-'0'))/10 {
				return Version{}, fmt.Errorf("deb: invalid version %q: epoch too large", s)
			}
			v.Epoch = v.Epoch*10 + uint64(ep[j]-'0')
		}
		t = t[i+1:]
	}
	v.Upstream = t
	if i := strings.LastIndexByte(t, '-'); i >= 0 {
		v.Upstream, v.Revision = t[:i], t[i+1:]
		if v.Revision == "" {
			return Version{}, fmt.Errorf("deb: invalid version %q: empty revision", s)
		}
	}
	if v.Upstream == "" {
		return Version{}, fmt.Errorf("deb: invalid version %q: empty upstream version", s)
	}
	if !isDigit(v.Upstream[0]) {
		return Version{}, fmt.Errorf("deb: invalid version %q: upstream version does not start with a digit", s)
	}
	for i := 0; i < len(v.Upstream); i++ {
		if c := v.Upstream[i]; !isAlnum(c) && !strings.ContainsRune(".+~-:", rune(c)) {
			return Version{}, fmt.Errorf("deb: invalid version %q: invalid character %q", s, c)
		}
	}
	for i := 0; i < len(v.Revision); i++ {
		if c := v.Revision[i]; !isAlnum(c) && !strings.ContainsRune(".+~", rune(c)) {
			return Version{}, fmt.Errorf("deb: invalid version %q: invalid character %q in revision", s, c)
		}
	}
	return v, nil
}

// Compare orders two parsed versions.
func Compare(a, b Version) int {
	switch {
	case a.Epoch < b.Epoch:
		return -1
	case a.Epoch > b.Epoch:
		return 1
	}
	if c := verrevcmp(a.Upstream, b.Upstream); c != 0 {
		return c
	}
	return verrevcmp(a.Revision, b.Revision)
}

// order ranks one character of a non-digit run; 0 stands for the end of
// the run.
func order(c byte) int {
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := 0, 0
			if i < len(a) {
				ac = order(a[i])
			}
			if j < len(b) {
				bc = order(b[j])
			}
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return sign(first)
		}
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
