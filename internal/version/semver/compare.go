package semver

// Comparator orders SemVer 2.0.0 version strings by precedence.
type Comparator struct{}

// Compare parses a and b with Parse and returns their precedence order.
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

// Compare returns -1, 0 or +1 by SemVer precedence; build metadata does
// not take part.
func Compare(a, b Version) int {
	if c := cmpU(a.Major, b.Major); c != 0 {
		return c
	}
	if c := cmpU(a.Minor, b.Minor); c != 0 {
		return c
	}
	if c := cmpU(a.Patch, b.Patch); c != 0 {
		return c
	}
	return ComparePrerelease(a.Pre, b.Pre)
}

// ComparePrerelease orders two prerelease strings (without the leading
// '-'). An empty prerelease (a release) sorts after any prerelease.
func ComparePrerelease(a, b string) int {
	if a == b {
		return 0
	}
	if a == "" {
		return 1
	}
	if b == "" {
		return -1
	}
	return CompareIdentifiers(a, b)
}

// CompareIdentifiers orders dot-separated identifier lists by spec rule
// 11: numeric identifiers compare numerically and sort before
// alphanumeric ones, which compare in ASCII order; a shorter list sorts
// first when all shared identifiers are equal.
func CompareIdentifiers(a, b string) int {
	for {
		if a == "" || b == "" {
			switch {
			case a == "" && b == "":
				return 0
			case a == "":
				return -1
			default:
				return 1
			}
		}
		ia, ra := cut(a)
		ib, rb := cut(b)
		if c := compareIdentifier(ia, ib); c != 0 {
			return c
		}
		a, b = ra, rb
	}
}

func cut(s string) (head, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func compareIdentifier(a, b string) int {
	na, nb := allDigits(a), allDigits(b)
	switch {
	case na && nb:
		return CompareDigits(a, b)
	case na:
		return -1
	case nb:
		return 1
	}
	return cmpS(a, b)
}

// CompareDigits compares two non-empty decimal strings of any length by
// value, without overflow.
func CompareDigits(a, b string) int {
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
	return cmpS(a, b)
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpS(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
