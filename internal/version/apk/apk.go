// Package apk orders Alpine package versions as apk-tools does
// (src/version.c of apk-tools 3, with apk-tools 2's acceptance of digits
// after a letter):
// digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}. Pre-release
// suffixes (_alpha, _beta, _pre, _rc) sort before the bare version,
// post-release ones (_cvs, _svn, _git, _hg, _p) after it; a digit run
// after a '.' that starts with '0' compares as a string, as in Gentoo.
package apk

import (
	"fmt"
	"strings"
)

// Comparator orders apk version strings.
type Comparator struct{}

// Compare validates a and b and orders them as `apk version -t`.
func (Comparator) Compare(a, b string) (int, error) {
	ta, tb := strings.TrimSpace(a), strings.TrimSpace(b)
	if !valid(ta) {
		return 0, fmt.Errorf("apk: invalid version %q", a)
	}
	if !valid(tb) {
		return 0, fmt.Errorf("apk: invalid version %q", b)
	}
	return compare(ta, tb), nil
}

// Validate reports whether s is a version apk-tools accepts.
func Validate(s string) error {
	if !valid(s) {
		return fmt.Errorf("apk: invalid version %q", s)
	}
	return nil
}

func valid(s string) bool {
	t := first(s)
	for t.kind < tokEnd {
		t.next()
	}
	return t.kind == tokEnd
}

type kind int

// Token kinds in the order apk-tools allows them to follow each other.
const (
	tokInitialDigit kind = iota
	tokDigit
	tokLetter
	tokSuffix
	tokSuffixNo
	tokCommitHash
	tokRevisionNo
	tokEnd
	tokInvalid
)

// Suffix ranks; suffixNone is the bare version.
const (
	suffixInvalid = iota
	suffixAlpha
	suffixBeta
	suffixPre
	suffixRC
	suffixNone
	suffixCVS
	suffixSVN
	suffixGit
	suffixHg
	suffixP
)

type token struct {
	kind   kind
	suffix int
	value  string // the token's text, for string and numeric comparison
	rest   string
}

func first(s string) token {
	t := token{kind: tokInitialDigit, rest: s}
	t.digits()
	return t
}

func (t *token) digits() {
	i := 0
	for i < len(t.rest) && isDigit(t.rest[i]) {
		i++
	}
	t.value, t.rest = t.rest[:i], t.rest[i:]
	if i == 0 {
		t.kind = tokInvalid
	}
}

func (t *token) next() {
	if t.rest == "" {
		t.kind = tokEnd
		return
	}
	c := t.rest[0]
	switch {
	case 'a' <= c && c <= 'z':
		if t.kind > tokDigit {
			break
		}
		t.value, t.rest, t.kind = t.rest[:1], t.rest[1:], tokLetter
		return
	case c == '.' || isDigit(c):
		if c == '.' {
			if t.kind > tokDigit {
				break
			}
			t.rest = t.rest[1:]
		}
		switch t.kind {
		case tokInitialDigit, tokDigit, tokLetter:
			// apk-tools 3 rejects digits right after a letter; apk-tools
			// 2, which built every secdb release up to 3.21, accepted them
			// ("6.6.4p1-r1"), so they read as a further number.
			t.kind = tokDigit
		case tokSuffix:
			t.kind = tokSuffixNo
		default:
			t.kind = tokInvalid
			return
		}
		t.digits()
		return
	case c == '_':
		if t.kind > tokSuffixNo {
			break
		}
		i := 1
		for i < len(t.rest) && 'a' <= t.rest[i] && t.rest[i] <= 'z' {
			i++
		}
		t.value, t.rest = t.rest[1:i], t.rest[i:]
		t.suffix = suffixValue(t.value)
		if t.suffix == suffixInvalid {
			break
		}
		t.kind = tokSuffix
		return
	case c == '~':
		if t.kind >= tokCommitHash {
			break
		}
		i := 1
		for i < len(t.rest) && isHex(t.rest[i]) {
			i++
		}
		if i == 1 {
			break
		}
		t.value, t.rest, t.kind = t.rest[1:i], t.rest[i:], tokCommitHash
		return
	case c == '-':
		if t.kind >= tokRevisionNo || !strings.HasPrefix(t.rest, "-r") {
			break
		}
		t.rest = t.rest[2:]
		t.kind = tokRevisionNo
		t.digits()
		return
	}
	t.kind = tokInvalid
}

func suffixValue(s string) int {
	switch s {
	case "alpha":
		return suffixAlpha
	case "beta":
		return suffixBeta
	case "pre":
		return suffixPre
	case "rc":
		return suffixRC
	case "cvs":
		return suffixCVS
	case "svn":
		return suffixSVN
	case "git":
		return suffixGit
	case "hg":
		return suffixHg
	case "p":
		return suffixP
	}
	return suffixInvalid
}

func tokenCmp(a, b *token) int {
	switch a.kind {
	case tokDigit:
		if a.value[0] == '0' || b.value[0] == '0' {
			return strings.Compare(a.value, b.value)
		}
		return compareDigits(a.value, b.value)
	case tokInitialDigit, tokSuffixNo, tokRevisionNo:
		return compareDigits(a.value, b.value)
	case tokLetter:
		return strings.Compare(a.value, b.value)
	case tokSuffix:
		return sign(a.suffix - b.suffix)
	}
	return strings.Compare(a.value, b.value)
}

// compare orders two valid versions.
func compare(a, b string) int {
	ta, tb := first(a), first(b)
	for ta.kind == tb.kind && ta.kind < tokEnd {
		if r := tokenCmp(&ta, &tb); r != 0 {
			return r
		}
		ta.next()
		tb.next()
	}
	if ta.kind == tb.kind {
		return 0
	}
	if ta.kind == tokSuffix && ta.suffix < suffixNone {
		return -1
	}
	if tb.kind == tokSuffix && tb.suffix < suffixNone {
		return 1
	}
	if ta.kind > tb.kind {
		return -1
	}
	return 1
}

func compareDigits(a, b string) int {
	for len(a) > 1 && a[0] == '0' {
		a = a[1:]
	}
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
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

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}
