package pypi

import "strings"

// Compare orders two parsed versions as packaging.version.Version does.
func Compare(a, b Version) int {
	if c := cmpDigits(orZero(a.Epoch), orZero(b.Epoch)); c != 0 {
		return c
	}
	if c := compareRelease(a.Release, b.Release); c != 0 {
		return c
	}
	if c := cmpInt(preRank(a), preRank(b)); c != 0 {
		return c
	}
	if a.preKind != preNone && b.preKind != preNone {
		if c := cmpDigits(a.Pre, b.Pre); c != 0 {
			return c
		}
	}
	// A missing post-release sorts before any post-release.
	if c := cmpOptional(a.HasPost, a.Post, b.HasPost, b.Post, -1); c != 0 {
		return c
	}
	// A missing dev-release sorts after any dev-release.
	if c := cmpOptional(a.HasDev, a.Dev, b.HasDev, b.Dev, 1); c != 0 {
		return c
	}
	return compareLocal(a.Local, b.Local)
}

// preRank places a dev-only release (1.0.dev1) before every pre-release
// of the same release and a final release after all of them.
func preRank(v Version) int {
	switch {
	case v.preKind != preNone:
		return v.preKind
	case !v.HasPost && v.HasDev:
		return -1
	}
	return 100
}

func cmpOptional(hasA bool, a string, hasB bool, b string, missing int) int {
	switch {
	case hasA && hasB:
		return cmpDigits(a, b)
	case hasA:
		return -missing
	case hasB:
		return missing
	}
	return 0
}

func compareRelease(a, b string) int {
	for a != "" || b != "" {
		var sa, sb string
		sa, a = cut(a)
		sb, b = cut(b)
		if c := cmpDigits(orZero(sa), orZero(sb)); c != 0 {
			return c
		}
	}
	return 0
}

// compareLocal orders local labels segment by segment: numbers compare
// numerically and sort after strings; a missing label sorts first.
func compareLocal(a, b string) int {
	if a == b {
		return 0
	}
	for {
		if a == "" || b == "" {
			return cmpInt(len(a), len(b))
		}
		var sa, sb string
		sa, a = cutLocal(a)
		sb, b = cutLocal(b)
		na, nb := allDigits(sa), allDigits(sb)
		var c int
		switch {
		case na && nb:
			c = cmpDigits(sa, sb)
		case na:
			c = 1
		case nb:
			c = -1
		default:
			c = strings.Compare(sa, sb)
		}
		if c != 0 {
			return c
		}
	}
}

func cut(s string) (string, string) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

func cutLocal(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		if isSep(s[i]) {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func cmpDigits(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	if len(a) != len(b) {
		return cmpInt(len(a), len(b))
	}
	return strings.Compare(a, b)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
