// Package pypi orders Python package versions by PEP 440
// (https://peps.python.org/pep-0440/): epoch, release (trailing zeros do
// not matter), pre-releases (a < b < rc), post-releases, development
// releases and local versions, after the spec's normalisation (case,
// separators, spelling variants such as "alpha", "preview", "rev", "-1").
package pypi

import (
	"fmt"
	"strings"
)

// Pre-release kinds in their sort order.
const (
	preNone = iota
	preAlpha
	preBeta
	preRC
)

// Version is a parsed PEP 440 version. Numbers are kept as decimal
// strings so that dates and other long numbers never overflow.
type Version struct {
	Epoch   string // "" means 0
	Release string // dot-separated numbers, as written
	preKind int
	Pre     string // pre-release number when the version has one
	HasPost bool
	Post    string
	HasDev  bool
	Dev     string
	Local   string // lower case, separators as written
}

// Comparator orders PEP 440 version strings.
type Comparator struct{}

// Compare parses a and b and orders them as the packaging library does.
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

// Parse accepts every spelling PEP 440's normalisation rules allow.
func Parse(s string) (Version, error) {
	p := parser{s: strings.ToLower(strings.TrimSpace(s))}
	v, ok := p.version()
	if !ok || p.i != len(p.s) {
		return Version{}, fmt.Errorf("pypi: invalid PEP 440 version %q", s)
	}
	return v, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) digits() string {
	j := p.i
	for j < len(p.s) && isDigit(p.s[j]) {
		j++
	}
	d := p.s[p.i:j]
	p.i = j
	return d
}

// sepThen reports whether an optional separator followed by something
// accepted by f is next; it consumes both only then.
func (p *parser) sepThen(f func() bool) bool {
	save := p.i
	if isSep(p.peek()) {
		p.i++
	}
	if f() {
		return true
	}
	p.i = save
	return false
}

// label consumes the longest of words at the current position.
func (p *parser) label(words ...string) string {
	for _, w := range words {
		if strings.HasPrefix(p.s[p.i:], w) {
			p.i += len(w)
			return w
		}
	}
	return ""
}

// number consumes an optional separator and digits; a missing number is 0.
func (p *parser) number() string {
	save := p.i
	if isSep(p.peek()) {
		p.i++
	}
	if d := p.digits(); d != "" {
		return d
	}
	p.i = save
	return "0"
}

func (p *parser) version() (Version, bool) {
	var v Version
	if p.peek() == 'v' {
		p.i++
	}
	d := p.digits()
	if d == "" {
		return v, false
	}
	if p.peek() == '!' {
		v.Epoch = d
		p.i++
		if d = p.digits(); d == "" {
			return v, false
		}
	}
	start := p.i - len(d)
	for p.peek() == '.' && p.i+1 < len(p.s) && isDigit(p.s[p.i+1]) {
		p.i++
		p.digits()
	}
	v.Release = p.s[start:p.i]

	p.sepThen(func() bool {
		switch p.label("alpha", "a", "beta", "b", "preview", "pre", "c", "rc") {
		case "":
			return false
		case "alpha", "a":
			v.preKind = preAlpha
		case "beta", "b":
			v.preKind = preBeta
		default:
			v.preKind = preRC
		}
		v.Pre = p.number()
		return true
	})

	if p.peek() == '-' && p.i+1 < len(p.s) && isDigit(p.s[p.i+1]) {
		p.i++
		v.HasPost, v.Post = true, p.digits()
	} else {
		p.sepThen(func() bool {
			if p.label("post", "rev", "r") == "" {
				return false
			}
			v.HasPost, v.Post = true, p.number()
			return true
		})
	}

	p.sepThen(func() bool {
		if p.label("dev") == "" {
			return false
		}
		v.HasDev, v.Dev = true, p.number()
		return true
	})

	if p.peek() == '+' {
		p.i++
		start := p.i
		for {
			j := p.i
			for p.i < len(p.s) && isAlnum(p.s[p.i]) {
				p.i++
			}
			if p.i == j {
				return v, false
			}
			if !isSep(p.peek()) {
				break
			}
			p.i++
		}
		v.Local = p.s[start:p.i]
	}
	return v, true
}

// String returns the PEP 440 normalised form of v.
func (v Version) String() string {
	var b strings.Builder
	if e := trimZeros(v.Epoch); e != "" && e != "0" {
		b.WriteString(e + "!")
	}
	for i, seg := range strings.Split(v.Release, ".") {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(trimZeros(seg))
	}
	if v.preKind != preNone {
		b.WriteString([]string{"", "a", "b", "rc"}[v.preKind] + trimZeros(v.Pre))
	}
	if v.HasPost {
		b.WriteString(".post" + trimZeros(v.Post))
	}
	if v.HasDev {
		b.WriteString(".dev" + trimZeros(v.Dev))
	}
	if v.Local != "" {
		b.WriteString("+" + strings.Map(func(r rune) rune {
			if r == '-' || r == '_' {
				return '.'
			}
			return r
		}, v.Local))
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isDigit(c) || ('a' <= c && c <= 'z') }
func isSep(c byte) bool   { return c == '-' || c == '_' || c == '.' }

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
