package npm

import (
	"fmt"
	"strings"

	"github.com/bulwark-security/bulwark/internal/version/semver"
)

// ParseRange parses an npm range expression such as
// ">=1.2.3 <2.0.0 || ^3.1", "~1.2", "1.x" or "1.2.3 - 2.3".
func ParseRange(expr string) (Range, error) {
	r := Range{raw: expr}
	for _, part := range strings.Split(expr, "||") {
		set, err := parseSet(part)
		if err != nil {
			return Range{}, fmt.Errorf("npm: invalid range %q: %w", expr, err)
		}
		r.sets = append(r.sets, set)
	}
	return r, nil
}

func parseSet(s string) ([]comparator, error) {
	fields := strings.Fields(s)
	if len(fields) == 3 && fields[1] == "-" {
		return hyphen(fields[0], fields[2])
	}
	// Join a bare operator with the version after it (">= 1.2.3").
	var toks []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Trim(f, "<>=~^") == "" && i+1 < len(fields) {
			f += fields[i+1]
			i++
		}
		toks = append(toks, f)
	}
	if len(toks) == 0 {
		return []comparator{{op: opAny}}, nil
	}
	var set []comparator
	for _, t := range toks {
		cs, err := parseComparator(t)
		if err != nil {
			return nil, err
		}
		set = append(set, cs...)
	}
	return set, nil
}

// partial is a version in a range, where trailing parts may be missing or
// wildcards (x, X, *).
type partial struct {
	major, minor, patch uint64
	xMajor, xMinor      bool // missing or wildcard
	xPatch              bool
	pre                 string
}

func (p partial) full() semver.Version {
	return semver.Version{Major: p.major, Minor: p.minor, Patch: p.patch, Pre: p.pre}
}

func parsePartial(s string) (partial, error) {
	t := s
	if len(t) > 0 && (t[0] == 'v' || t[0] == 'V') {
		t = t[1:]
	}
	if b := strings.IndexByte(t, '+'); b >= 0 {
		if err := semver.ValidIdentifiers(t[b+1:], false); err != nil {
			return partial{}, fmt.Errorf("version %q: build metadata: %w", s, err)
		}
		t = t[:b]
	}
	var p partial
	core := t
	if d := strings.IndexByte(t, '-'); d >= 0 {
		core, p.pre = t[:d], t[d+1:]
		if err := semver.ValidIdentifiers(p.pre, true); err != nil {
			return partial{}, fmt.Errorf("version %q: prerelease: %w", s, err)
		}
	}
	parts := strings.Split(core, ".")
	if len(parts) > 3 || core == "" {
		return partial{}, fmt.Errorf("version %q: expected at most three numbers", s)
	}
	nums := [3]*uint64{&p.major, &p.minor, &p.patch}
	xs := [3]*bool{&p.xMajor, &p.xMinor, &p.xPatch}
	wild := false
	for i := 0; i < 3; i++ {
		if i >= len(parts) || wild {
			*xs[i] = true
			continue
		}
		switch parts[i] {
		case "x", "X", "*":
			*xs[i], wild = true, true
			continue
		}
		n, err := parseNumber(parts[i])
		if err != nil {
			return partial{}, fmt.Errorf("version %q: %w", s, err)
		}
		*nums[i] = n
	}
	if p.pre != "" && p.xPatch {
		return partial{}, fmt.Errorf("version %q: prerelease on a partial version", s)
	}
	return p, nil
}

func parseNumber(s string) (uint64, error) {
	if s == "" || len(s) > 16 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("invalid number %q", s)
		}
		n = n*10 + uint64(s[i]-'0')
	}
	return n, nil
}

func ver(major, minor, patch uint64, pre string) semver.Version {
	return semver.Version{Major: major, Minor: minor, Patch: patch, Pre: pre}
}

// nothing matches no version at all, as node-semver's "<0.0.0-0".
var nothing = comparator{op: opLT, v: ver(0, 0, 0, "0")}

func parseComparator(t string) ([]comparator, error) {
	i := 0
	for i < len(t) && strings.IndexByte("<>=~^", t[i]) >= 0 {
		i++
	}
	opStr, rest := t[:i], strings.TrimPrefix(t[i:], "=")
	if opStr == "~>" {
		opStr = "~"
	}
	p, err := parsePartial(rest)
	if err != nil {
		return nil, err
	}
	switch opStr {
	case "~":
		return tilde(p), nil
	case "^":
		return caret(p), nil
	case "", "=", "<", "<=", ">", ">=":
		return xrange(opStr, p), nil
	}
	return nil, fmt.Errorf("unknown operator %q", opStr)
}

func tilde(p partial) []comparator {
	switch {
	case p.xMajor:
		return []comparator{{op: opAny}}
	case p.xMinor:
		return between(ver(p.major, 0, 0, ""), ver(p.major+1, 0, 0, "0"))
	case p.xPatch:
		return between(ver(p.major, p.minor, 0, ""), ver(p.major, p.minor+1, 0, "0"))
	}
	return between(p.full(), ver(p.major, p.minor+1, 0, "0"))
}

func caret(p partial) []comparator {
	switch {
	case p.xMajor:
		return []comparator{{op: opAny}}
	case p.xMinor:
		return between(ver(p.major, 0, 0, ""), ver(p.major+1, 0, 0, "0"))
	case p.xPatch:
		if p.major == 0 {
			return between(ver(0, p.minor, 0, ""), ver(0, p.minor+1, 0, "0"))
		}
		return between(ver(p.major, p.minor, 0, ""), ver(p.major+1, 0, 0, "0"))
	}
	switch {
	case p.major == 0 && p.minor == 0:
		return between(p.full(), ver(0, 0, p.patch+1, "0"))
	case p.major == 0:
		return between(p.full(), ver(0, p.minor+1, 0, "0"))
	}
	return between(p.full(), ver(p.major+1, 0, 0, "0"))
}

func xrange(opStr string, p partial) []comparator {
	anyX := p.xPatch
	if !anyX {
		o := opEQ
		switch opStr {
		case "<":
			o = opLT
		case "<=":
			o = opLE
		case ">":
			o = opGT
		case ">=":
			o = opGE
		}
		return []comparator{{op: o, v: p.full()}}
	}
	if opStr == "=" {
		opStr = ""
	}
	if p.xMajor {
		if opStr == "<" || opStr == ">" {
			return []comparator{nothing}
		}
		return []comparator{{op: opAny}}
	}
	if opStr == "" {
		if p.xMinor {
			return between(ver(p.major, 0, 0, ""), ver(p.major+1, 0, 0, "0"))
		}
		return between(ver(p.major, p.minor, 0, ""), ver(p.major, p.minor+1, 0, "0"))
	}
	major, minor := p.major, p.minor
	if p.xMinor {
		minor = 0
	}
	switch opStr {
	case ">":
		if p.xMinor {
			return []comparator{{op: opGE, v: ver(major+1, 0, 0, "")}}
		}
		return []comparator{{op: opGE, v: ver(major, minor+1, 0, "")}}
	case ">=":
		return []comparator{{op: opGE, v: ver(major, minor, 0, "")}}
	case "<=":
		if p.xMinor {
			return []comparator{{op: opLT, v: ver(major+1, 0, 0, "0")}}
		}
		return []comparator{{op: opLT, v: ver(major, minor+1, 0, "0")}}
	}
	return []comparator{{op: opLT, v: ver(major, minor, 0, "0")}}
}

func hyphen(from, to string) ([]comparator, error) {
	f, err := parsePartial(from)
	if err != nil {
		return nil, err
	}
	t, err := parsePartial(to)
	if err != nil {
		return nil, err
	}
	var set []comparator
	switch {
	case f.xMajor:
	case f.xMinor:
		set = append(set, comparator{op: opGE, v: ver(f.major, 0, 0, "")})
	case f.xPatch:
		set = append(set, comparator{op: opGE, v: ver(f.major, f.minor, 0, "")})
	default:
		set = append(set, comparator{op: opGE, v: f.full()})
	}
	switch {
	case t.xMajor:
	case t.xMinor:
		set = append(set, comparator{op: opLT, v: ver(t.major+1, 0, 0, "0")})
	case t.xPatch:
		set = append(set, comparator{op: opLT, v: ver(t.major, t.minor+1, 0, "0")})
	default:
		set = append(set, comparator{op: opLE, v: t.full()})
	}
	if len(set) == 0 {
		set = append(set, comparator{op: opAny})
	}
	return set, nil
}

func between(lo, hi semver.Version) []comparator {
	return []comparator{{op: opGE, v: lo}, {op: opLT, v: hi}}
}
