// Package cvss computes CVSS base scores from vectors, for sources that
// publish a vector without a score (OSV, GitHub advisories), and maps
// scores to qualitative ratings.
//
// CVSS v3.0/v3.1 and v2 base scores follow the FIRST specifications.
// CVSS v4 scores need the specification's lookup tables; v4 vectors are
// validated only, and the source's own score is kept.
package cvss

import (
	"fmt"
	"math"
	"strings"
)

// Score returns the base score of a CVSS v2 or v3.x vector. A v3 vector
// starts with "CVSS:3.0/" or "CVSS:3.1/"; a v2 vector has no prefix (or
// "(AV:…)" parentheses, as NVD once wrote them).
func Score(vector string) (float64, error) {
	v := strings.TrimSpace(vector)
	switch {
	case strings.HasPrefix(v, "CVSS:3.0/"), strings.HasPrefix(v, "CVSS:3.1/"):
		return score3(v)
	case strings.HasPrefix(v, "CVSS:4.0/"):
		return 0, fmt.Errorf("cvss vector %q: v4 scores are taken from the source", vector)
	case strings.HasPrefix(v, "CVSS:"):
		return 0, fmt.Errorf("cvss vector %q: unknown version", vector)
	}
	return score2(strings.Trim(v, "()"))
}

// metrics splits "A:B/C:D" into a map, rejecting repeated or empty parts.
func metrics(vector string, parts []string) (map[string]string, error) {
	m := map[string]string{}
	for _, p := range parts {
		k, val, ok := strings.Cut(p, ":")
		if !ok || k == "" || val == "" {
			return nil, fmt.Errorf("cvss vector %q: bad metric %q", vector, p)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("cvss vector %q: metric %s repeated", vector, k)
		}
		m[k] = val
	}
	return m, nil
}

func pick(vector string, m map[string]string, key string, table map[string]float64) (float64, error) {
	v, ok := table[m[key]]
	if !ok {
		return 0, fmt.Errorf("cvss vector %q: metric %s missing or invalid", vector, key)
	}
	return v, nil
}

func score3(vector string) (float64, error) {
	parts := strings.Split(vector, "/")
	m, err := metrics(vector, parts[1:])
	if err != nil {
		return 0, err
	}
	changed := m["S"] == "C"
	if m["S"] != "C" && m["S"] != "U" {
		return 0, fmt.Errorf("cvss vector %q: metric S missing or invalid", vector)
	}
	prTable := map[string]float64{"N": 0.85, "L": 0.62, "H": 0.27}
	if changed {
		prTable = map[string]float64{"N": 0.85, "L": 0.68, "H": 0.5}
	}
	cia := map[string]float64{"H": 0.56, "L": 0.22, "N": 0}
	var f [7]float64
	for i, spec := range []struct {
		key   string
		table map[string]float64
	}{
		{"AV", map[string]float64{"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}},
		{"AC", map[string]float64{"L": 0.77, "H": 0.44}},
		{"PR", prTable},
		{"UI", map[string]float64{"N": 0.85, "R": 0.62}},
		{"C", cia}, {"I", cia}, {"A", cia},
	} {
		if f[i], err = pick(vector, m, spec.key, spec.table); err != nil {
			return 0, err
		}
	}
	iss := 1 - (1-f[4])*(1-f[5])*(1-f[6])
	impact := 6.42 * iss
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	expl := 8.22 * f[0] * f[1] * f[2] * f[3]
	if impact <= 0 {
		return 0, nil
	}
	base := impact + expl
	if changed {
		base *= 1.08
	}
	base = math.Min(base, 10)
	if strings.HasPrefix(vector, "CVSS:3.0/") {
		return math.Ceil(base*10) / 10, nil
	}
	return roundUp31(base), nil
}

// roundUp31 is CVSS v3.1's Roundup, which avoids floating-point artefacts.
func roundUp31(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

func score2(vector string) (float64, error) {
	m, err := metrics(vector, strings.Split(vector, "/"))
	if err != nil {
		return 0, err
	}
	cia := map[string]float64{"N": 0, "P": 0.275, "C": 0.660}
	var f [6]float64
	for i, spec := range []struct {
		key   string
		table map[string]float64
	}{
		{"AV", map[string]float64{"L": 0.395, "A": 0.646, "N": 1.0}},
		{"AC", map[string]float64{"H": 0.35, "M": 0.61, "L": 0.71}},
		{"Au", map[string]float64{"M": 0.45, "S": 0.56, "N": 0.704}},
		{"C", cia}, {"I", cia}, {"A", cia},
	} {
		if f[i], err = pick(vector, m, spec.key, spec.table); err != nil {
			return 0, err
		}
	}
	impact := 10.41 * (1 - (1-f[3])*(1-f[4])*(1-f[5]))
	expl := 20 * f[0] * f[1] * f[2]
	if impact == 0 {
		return 0, nil
	}
	base := (0.6*impact + 0.4*expl - 1.5) * 1.176
	return math.Round(base*10) / 10, nil
}

// Rating maps a v3/v4 score to "NONE", "LOW", "MEDIUM", "HIGH" or
// "CRITICAL"; version 2 scores have no "CRITICAL" (7.0 and up is "HIGH").
func Rating(score float64, version int) string {
	switch {
	case score <= 0:
		return "NONE"
	case score < 4:
		return "LOW"
	case score < 7:
		return "MEDIUM"
	case score < 9 || version == 2:
		return "HIGH"
	}
	return "CRITICAL"
}

// Version returns 2, 3 or 4 for a vector, 0 when it is not recognisable.
func Version(vector string) int {
	switch {
	case strings.HasPrefix(vector, "CVSS:3."):
		return 3
	case strings.HasPrefix(vector, "CVSS:4."):
		return 4
	case strings.Contains(vector, "AV:") && strings.Contains(vector, "Au:"):
		return 2
	}
	return 0
}
