// Package composer orders PHP Composer package versions as Composer does:
// each version is normalised by composer/semver's VersionParser
// ("v1.2" -> "1.2.0.0", "1.0-beta.2" -> "1.0.0.0-beta2", "1.0.0-p1" ->
// "1.0.0.0-patch1", date versions "2023.01.05") and the normalised forms
// are compared with PHP's version_compare, where dev < alpha < beta < RC
// < release < patch. Branch names ("dev-main", "1.x-dev") are not
// versions and are rejected.
package composer

import (
	"fmt"
	"strings"
)

// Comparator orders Composer version strings.
type Comparator struct{}

// Compare normalises a and b and orders them.
func (Comparator) Compare(a, b string) (int, error) {
	na, err := Normalize(a)
	if err != nil {
		return 0, err
	}
	nb, err := Normalize(b)
	if err != nil {
		return 0, err
	}
	return VersionCompare(na, nb), nil
}

// Normalize returns Composer's normalised form of a version string.
func Normalize(s string) (string, error) {
	t := strings.TrimSpace(s)
	if i := strings.IndexByte(t, '+'); i > 0 {
		// Build metadata does not take part in ordering.
		t = t[:i]
	}
	if len(t) > 0 && (t[0] == 'v' || t[0] == 'V') {
		t = t[1:]
	}
	lower := strings.ToLower(t)
	if strings.HasPrefix(lower, "dev-") || strings.HasSuffix(lower, ".x-dev") || strings.Contains(lower, ".x") {
		return "", fmt.Errorf("composer: %q is a branch, not a version", s)
	}
	n, ok := classical(t)
	if !ok {
		n, ok = dated(t)
	}
	if !ok {
		return "", fmt.Errorf("composer: invalid version %q", s)
	}
	return n, nil
}

// classical handles N(.N){0,3} plus a modifier; the first number has at
// most five digits, longer ones are dates.
func classical(t string) (string, bool) {
	var b strings.Builder
	i := 0
	parts := 0
	for parts < 4 {
		j := i
		for j < len(t) && isDigit(t[j]) {
			j++
		}
		if j == i || (parts == 0 && j-i > 5) {
			return "", false
		}
		if parts > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t[i:j])
		parts++
		i = j
		if parts < 4 && i+1 < len(t) && t[i] == '.' && isDigit(t[i+1]) {
			i++
			continue
		}
		break
	}
	for ; parts < 4; parts++ {
		b.WriteString(".0")
	}
	mod, ok := modifier(t[i:])
	if !ok {
		return "", false
	}
	return b.String() + mod, true
}

// dated handles YYYY([.:-]?NN){1,6}([.:-]?N{1,3}){0,2} plus a modifier;
// separators become dots, as in Composer.
func dated(t string) (string, bool) {
	for i := 0; i < 4; i++ {
		if i >= len(t) || !isDigit(t[i]) {
			return "", false
		}
	}
	end, mod, ok := dateGroups(t, 4, 0, 0)
	if !ok {
		return "", false
	}
	b := []byte(t[:end])
	for i, c := range b {
		if !isDigit(c) {
			b[i] = '.'
		}
	}
	return string(b) + mod, true
}

// dateGroups matches the date groups greedily from i, backtracking as a
// regular expression would until the rest parses as a modifier.
func dateGroups(t string, i, twos, shorts int) (int, string, bool) {
	j := i
	if j < len(t) && strings.IndexByte(".:-", t[j]) >= 0 {
		j++
	}
	if shorts == 0 && twos < 6 && j+2 <= len(t) && isDigit(t[j]) && isDigit(t[j+1]) {
		if end, mod, ok := dateGroups(t, j+2, twos+1, 0); ok {
			return end, mod, true
		}
	}
	if twos > 0 && shorts < 2 {
		for n := 3; n >= 1; n-- {
			if j+n <= len(t) && allDigits(t[j:j+n]) {
				if end, mod, ok := dateGroups(t, j+n, twos, shorts+1); ok {
					return end, mod, true
				}
			}
		}
	}
	if twos == 0 {
		return 0, "", false
	}
	mod, ok := modifier(t[i:])
	return i, mod, ok
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// modifier parses [._-]?(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?([.-]?dev)?
// and returns its normalised form ("-beta2", "-RC1-dev", "").
func modifier(m string) (string, bool) {
	if m == "" {
		return "", true
	}
	i := 0
	if strings.IndexByte("._-", m[0]) >= 0 {
		i++
	}
	lower := strings.ToLower(m[i:])
	stability := ""
	for _, w := range []string{"stable", "beta", "b", "rc", "alpha", "a", "patch", "pl", "p"} {
		if strings.HasPrefix(lower, w) {
			stability = w
			break
		}
	}
	var out strings.Builder
	if stability != "" {
		i += len(stability)
		start := i
		for {
			j := i
			if j < len(m) && (m[j] == '.' || m[j] == '-') {
				j++
			}
			k := j
			for k < len(m) && isDigit(m[k]) {
				k++
			}
			if k == j {
				break
			}
			i = k
		}
		if stability != "stable" {
			out.WriteString("-" + expand(stability) + strings.TrimLeft(m[start:i], ".-"))
		}
	}
	rest := m[i:]
	if rest != "" {
		if rest[0] == '.' || rest[0] == '-' {
			rest = rest[1:]
		}
		if !strings.EqualFold(rest, "dev") {
			return "", false
		}
		out.WriteString("-dev")
	}
	return out.String(), true
}

func expand(s string) string {
	switch s {
	case "a":
		return "alpha"
	case "b":
		return "beta"
	case "p", "pl":
		return "patch"
	case "rc":
		return "RC"
	}
	return s
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
