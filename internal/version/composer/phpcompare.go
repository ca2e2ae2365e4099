package composer

import "strings"

// VersionCompare is PHP's version_compare(a, b): both strings are split
// into segments at '.', '-', '_', '+' and digit/non-digit transitions;
// numbers compare numerically; other segments by their special form
// (dev < alpha = a < beta = b < RC = rc < number < pl = p; anything else
// lowest); a longer version wins if its next segment is a number and
// loses if it is a pre-release word.
func VersionCompare(a, b string) int {
	if a == "" || b == "" {
		switch {
		case a == b:
			return 0
		case a == "":
			return -1
		}
		return 1
	}
	ia, ib := segmenter{s: a}, segmenter{s: b}
	for {
		sa, okA := ia.next()
		sb, okB := ib.next()
		switch {
		case okA && okB:
			if c := compareSegment(sa, sb); c != 0 {
				return c
			}
			continue
		case okA:
			if isDigit(sa[0]) {
				return 1
			}
			return special(sa, "#")
		case okB:
			if isDigit(sb[0]) {
				return -1
			}
			return special("#", sb)
		}
		return 0
	}
}

// segmenter yields the segments of a version string without allocating.
type segmenter struct {
	s string
	i int
}

func (g *segmenter) next() (string, bool) {
	for g.i < len(g.s) && !isAlnum(g.s[g.i]) {
		g.i++
	}
	if g.i == len(g.s) {
		return "", false
	}
	start := g.i
	digit := isDigit(g.s[g.i])
	for g.i < len(g.s) && isAlnum(g.s[g.i]) && isDigit(g.s[g.i]) == digit {
		g.i++
	}
	return g.s[start:g.i], true
}

func compareSegment(a, b string) int {
	da, db := isDigit(a[0]), isDigit(b[0])
	switch {
	case da && db:
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	case da:
		return special("#", b)
	case db:
		return special(a, "#")
	}
	return special(a, b)
}

func special(a, b string) int {
	ra, rb := specialRank(a), specialRank(b)
	switch {
	case ra < rb:
		return -1
	case ra > rb:
		return 1
	}
	return 0
}

// specialRank follows PHP's table, where a form matches when the segment
// starts with it ("patch" ranks as "p").
func specialRank(s string) int {
	for _, f := range [...]struct {
		name string
		rank int
	}{{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"RC", 3}, {"rc", 3}, {"#", 4}, {"pl", 5}, {"p", 5}} {
		if strings.HasPrefix(s, f.name) {
			return f.rank
		}
	}
	return -1
}

func isAlnum(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}
