package match

import (
	"strings"

	"github.com/bulwark-security/bulwark/internal/cvss"
	"github.com/bulwark-security/bulwark/internal/model"
)

type severity struct {
	rating model.Rating
	source string
	score  float64
	vector string
}

// urgencyRating maps a vendor's own severity word (Debian urgency, Ubuntu
// priority, Red Hat threat severity, Amazon severity) to a rating. Words
// that carry no rating ("not yet assigned", "untriaged", empty) report
// false so the next source is asked.
func urgencyRating(u string) (model.Rating, bool) {
	// Debian marks urgencies it has not confirmed with "**".
	w := strings.ToLower(strings.TrimRight(strings.TrimSpace(u), "*"))
	switch w {
	case "unimportant", "negligible":
		return model.RatingNegligible, true
	case "low":
		return model.RatingLow, true
	case "medium", "moderate":
		return model.RatingMedium, true
	case "high", "important":
		return model.RatingHigh, true
	case "critical":
		return model.RatingCritical, true
	}
	return "", false
}

// ratingOf is a severity entry's rating, derived from its score when the
// source gave none.
func ratingOf(s model.Severity) model.Rating {
	if s.Rating != "" && s.Rating != model.RatingUnknown {
		return s.Rating
	}
	if s.Score > 0 {
		return model.Rating(cvss.Rating(s.Score, cvss.Version(s.Vector)))
	}
	if s.Vector != "" {
		if sc, err := cvss.Score(s.Vector); err == nil && sc > 0 {
			return model.Rating(cvss.Rating(sc, cvss.Version(s.Vector)))
		}
	}
	return ""
}

// sourceMatches lets "ghsa" select "ghsa-npm", "ghsa-pypi", ….
func sourceMatches(have, want string) bool {
	return have == want || strings.HasPrefix(have, want+"-")
}

// typeRank orders severity entries of one source: the vendor's own word
// first, then CVSS v3, v4, v2.
func typeRank(t string) int {
	switch t {
	case "vendor":
		return 0
	case "CVSS_V3":
		return 1
	case "CVSS_V4":
		return 2
	case "CVSS_V2":
		return 3
	}
	return 4
}

// best returns the highest-ranked rated entry from a source.
func best(sevs []model.Severity, src string, cvssOnly bool) (model.Severity, model.Rating, bool) {
	var (
		out  model.Severity
		r    model.Rating
		rank = 99
	)
	for _, s := range sevs {
		if src != "" && !sourceMatches(s.Source, src) {
			continue
		}
		if cvssOnly && s.Vector == "" {
			continue
		}
		rt := ratingOf(s)
		if rt == "" && !cvssOnly {
			continue
		}
		if k := typeRank(s.Type); k < rank {
			out, r, rank = s, rt, k
		}
	}
	return out, r, rank < 99
}

// pickSeverity applies the precedence: for OS packages the vendor's own
// rating (the entry's urgency, then the vendor's severities), else NVD;
// for language packages the data source's rating, then GitHub's, then
// OSV/Go, then NVD, then anyone's.
func pickSeverity(a *model.Affected, rec *model.Vulnerability, osPkg bool) severity {
	var sevs []model.Severity
	if rec != nil {
		sevs = rec.Severities
	}
	out := severity{rating: model.RatingUnknown}
	if r, ok := urgencyRating(a.Urgency); ok {
		out.rating, out.source = r, a.Source
	} else {
		order := []string{a.Source}
		if !osPkg {
			order = append(order, "ghsa", "osv", "go")
		}
		order = append(order, "nvd")
		if !osPkg {
			order = append(order, "")
		}
		for _, src := range order {
			if s, r, ok := best(sevs, src, false); ok {
				out.rating, out.source = r, s.Source
				if s.Vector != "" {
					out.score, out.vector = scoreOf(s), s.Vector
				}
				break
			}
		}
	}
	if out.vector == "" {
		// The score shown beside a vendor word comes from the same
		// vendor when it publishes one, else from NVD.
		order := []string{a.Source, "nvd"}
		if out.source != "" {
			order = append([]string{out.source}, order...)
		}
		if !osPkg {
			order = append(order, "")
		}
		for _, src := range order {
			if s, _, ok := best(sevs, src, true); ok {
				out.score, out.vector = scoreOf(s), s.Vector
				break
			}
		}
	}
	return out
}

func scoreOf(s model.Severity) float64 {
	if s.Score > 0 {
		return s.Score
	}
	if sc, err := cvss.Score(s.Vector); err == nil {
		return sc
	}
	return 0
}
