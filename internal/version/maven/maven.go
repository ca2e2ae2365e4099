// Package maven orders Maven artifact versions as Maven 3.8's
// org.apache.maven.artifact.versioning.ComparableVersion does: a version
// is a list of items split at '.', '-' and digit/letter transitions; '-'
// (and a transition, and a qualifier after '.') opens a sub-list;
// trailing "null" items (0, "", "final", "ga", "release") are dropped;
// qualifiers sort alpha < beta < milestone < rc = cr < snapshot < "" =
// ga = final = release < sp < any other string (alphabetically) < any
// number.
package maven

import (
	"fmt"
	"strings"
)

// Comparator orders Maven version strings.
type Comparator struct{}

// Compare parses a and b and orders them as ComparableVersion.
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

// Version is a parsed Maven version.
//
// ComparableVersion builds a tree, but only ever appends a sub-list as
// the last item of the current list and then continues inside it, so the
// tree is a chain. items holds it flat: each list's own items, then a
// kindList marker when a sub-list follows.
type Version struct {
	raw   string
	items []item
}

// String returns the version as written.
func (v Version) String() string { return v.raw }

// Compare orders two parsed versions.
func Compare(a, b Version) int { return compareLists(a.items, b.items) }

type itemKind uint8

const (
	kindInt itemKind = iota
	kindString
	kindList // marks the start of the sub-list that ends the current list
)

// item is a number (digits without leading zeros, compared by value) or
// a qualifier (after aliasing).
type item struct {
	kind itemKind
	s    string
}

// Parse splits a Maven version into ComparableVersion's items.
// ComparableVersion accepts any string; Parse rejects only what cannot be
// a version in a package database: an empty string, whitespace or
// control characters inside, and strings without a single digit.
func Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Version{}, fmt.Errorf("maven: invalid version %q: empty", s)
	}
	hasDigit := false
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c <= ' ' || c == 0x7f {
			return Version{}, fmt.Errorf("maven: invalid version %q: invalid character %q", s, c)
		}
		if isDigit(c) {
			hasDigit = true
		}
	}
	if !hasDigit {
		return Version{}, fmt.Errorf("maven: invalid version %q: no number", s)
	}
	return Version{raw: s, items: normalize(parseItems(strings.ToLower(t)))}, nil
}

func parseItems(v string) []item {
	items := make([]item, 0, len(v)/2+2)
	own := 0 // items in the current list, markers excluded
	add := func(it item) {
		items = append(items, it)
		own++
	}
	push := func() {
		items = append(items, item{kind: kindList})
		own = 0
	}
	isDig := false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.' || c == '-':
			if i == start {
				add(item{kind: kindInt, s: "0"})
			} else {
				add(parseItem(isDig, v[start:i], false))
			}
			start = i + 1
			if c == '-' {
				push()
			}
		case isDigit(c):
			if !isDig && i > start {
				// A qualifier after '.' opens a sub-list as '-' would,
				// so 1.0.0.X1 < 1.0.0-X2.
				if own > 0 {
					push()
				}
				add(parseItem(false, v[start:i], true))
				start = i
				push()
			}
			isDig = true
		default:
			if isDig && i > start {
				add(parseItem(true, v[start:i], false))
				start = i
				push()
			}
			isDig = false
		}
	}
	if len(v) > start {
		if !isDig && own > 0 {
			push()
		}
		add(parseItem(isDig, v[start:], false))
	}
	return items
}

// normalize drops each list's trailing null items and every sub-list
// left empty, innermost first, as ListItem.normalize does.
func normalize(items []item) []item {
	// Each list's own items end at a marker or at the end.
	var buf [16][2]int
	bounds := buf[:0]
	start := 0
	for i, it := range items {
		if it.kind == kindList {
			bounds = append(bounds, [2]int{start, i})
			start = i + 1
		}
	}
	bounds = append(bounds, [2]int{start, len(items)})
	keep := len(bounds) // lists from keep on are empty and dropped
	for k := len(bounds) - 1; k >= 0; k-- {
		b := &bounds[k]
		for b[1] > b[0] && isNull(items[b[1]-1]) {
			b[1]--
		}
		if b[1] == b[0] && keep == k+1 {
			keep = k
		}
	}
	out := items[:0]
	for k := 0; k < keep; k++ {
		if k > 0 {
			out = append(out, item{kind: kindList})
		}
		out = append(out, items[bounds[k][0]:bounds[k][1]]...)
	}
	return out
}

func parseItem(isDig bool, buf string, followedByDigit bool) item {
	if isDig {
		for len(buf) > 1 && buf[0] == '0' {
			buf = buf[1:]
		}
		return item{kind: kindInt, s: buf}
	}
	if followedByDigit && len(buf) == 1 {
		switch buf {
		case "a":
			buf = "alpha"
		case "b":
			buf = "beta"
		case "m":
			buf = "milestone"
		}
	}
	switch buf {
	case "ga", "final", "release":
		buf = ""
	case "cr":
		buf = "rc"
	}
	return item{kind: kindString, s: buf}
}

func isNull(it item) bool {
	return (it.kind == kindInt && it.s == "0") || (it.kind == kindString && it.s == "")
}

// qualifierRank orders known qualifiers; unknown ones rank after all of
// them and compare alphabetically among themselves.
func qualifierRank(q string) int {
	switch q {
	case "alpha":
		return 0
	case "beta":
		return 1
	case "milestone":
		return 2
	case "rc":
		return 3
	case "snapshot":
		return 4
	case "":
		return 5
	case "sp":
		return 6
	}
	return 7
}

const releaseRank = 5

func compareQualifiers(a, b string) int {
	ra, rb := qualifierRank(a), qualifierRank(b)
	if ra != rb {
		return sign(ra - rb)
	}
	if ra == 7 {
		return strings.Compare(a, b)
	}
	return 0
}

// element returns the i-th element of the list that starts at l: an item,
// or (as a kindList item) the sub-list that follows l's own items.
func element(l []item, i int) (it item, sub []item, ok bool) {
	for j, x := range l {
		if x.kind == kindList {
			if j == i {
				return x, l[j+1:], true
			}
			return item{}, nil, false
		}
		if j == i {
			return x, nil, true
		}
	}
	return item{}, nil, false
}

// compareLists is ListItem.compareTo(ListItem): missing elements compare
// as null.
func compareLists(a, b []item) int {
	for i := 0; ; i++ {
		ia, sa, okA := element(a, i)
		ib, sb, okB := element(b, i)
		var c int
		switch {
		case !okA && !okB:
			return 0
		case !okA:
			c = -compareNull(ib, sb)
		case !okB:
			c = compareNull(ia, sa)
		default:
			c = compareItems(ia, sa, ib, sb)
		}
		if c != 0 {
			return c
		}
	}
}

// compareNull is Item.compareTo(null).
func compareNull(it item, sub []item) int {
	switch it.kind {
	case kindInt:
		if it.s == "0" {
			return 0
		}
		return 1
	case kindString:
		return sign(qualifierRank(it.s) - releaseRank)
	}
	// Every element of a list counts, not only the first (MNG-6964).
	for i := 0; ; i++ {
		e, s, ok := element(sub, i)
		if !ok {
			return 0
		}
		if c := compareNull(e, s); c != 0 {
			return c
		}
	}
}

func compareItems(a item, sa []item, b item, sb []item) int {
	switch a.kind {
	case kindInt:
		if b.kind == kindInt {
			return compareDigits(a.s, b.s)
		}
		return 1
	case kindString:
		switch b.kind {
		case kindInt:
			return -1
		case kindString:
			return compareQualifiers(a.s, b.s)
		}
		return -1
	}
	switch b.kind {
	case kindInt:
		return -1
	case kindString:
		return 1
	}
	return compareLists(sa, sb)
}

func compareDigits(a, b string) int {
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
