package feed

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/cvss"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/osv"
)

// OSVEcosystem maps an OSV ecosystem string ("npm", "Debian:12",
// "crates.io") to Bulwark's ecosystem and namespace; ok is false for
// ecosystems the feed does not cover.
type OSVEcosystem func(osvEcosystem string) (eco model.Ecosystem, namespace string, ok bool)

// FromOSV converts an OSV record into a Record. Affected entries whose
// ecosystem eco does not cover, and entries with only git ranges and no
// versions, are dropped. Package names are normalised with
// model.NormalizeName. The record's own id, when not preferred, becomes an
// alias.
func FromOSV(e *osv.Entry, source string, eco OSVEcosystem) Record {
	id := e.PreferredID()
	v := model.Vulnerability{
		ID:        id,
		Aliases:   e.OtherIDs(id),
		Summary:   e.Summary,
		Details:   e.Details,
		Published: e.Published.Time,
		Modified:  e.Modified.Time,
	}
	for _, r := range e.References {
		if r.URL != "" && !slices.Contains(v.References, r.URL) {
			v.References = append(v.References, r.URL)
		}
	}
	v.Severities = OSVSeverities(source, e.Severity)
	var dbs struct {
		Severity string   `json:"severity"`
		CWEs     []string `json:"cwe_ids"`
	}
	if len(e.DatabaseSpecific) > 0 && json.Unmarshal(e.DatabaseSpecific, &dbs) == nil {
		v.CWEs = dbs.CWEs
		if r := VendorRating(dbs.Severity); r != model.RatingUnknown {
			v.Severities = append(v.Severities, model.Severity{Source: source, Type: "vendor", Rating: r})
		}
	}
	rec := Record{Vulnerability: v}
	for _, a := range e.Affected {
		me, ns, ok := eco(a.Package.Ecosystem)
		if !ok || a.Package.Name == "" {
			continue
		}
		af := model.Affected{
			VulnID:    id,
			Namespace: ns,
			Ecosystem: me,
			Package:   model.NormalizeName(me, a.Package.Name),
			Versions:  slices.Clone(a.Versions),
			Source:    source,
		}
		hasFix := false
		for _, r := range a.Ranges {
			if r.Type == "GIT" {
				continue
			}
			for _, b := range r.Intervals() {
				af.Ranges = append(af.Ranges, model.Range{Introduced: b.Introduced, Fixed: b.Fixed, LastAffected: b.LastAffected})
				hasFix = hasFix || b.Fixed != ""
			}
		}
		if len(af.Ranges) == 0 && len(af.Versions) == 0 {
			continue
		}
		af.Status = model.StatusAffected
		if hasFix {
			af.Status = model.StatusFixed
		}
		readEcosystemSpecific(&af, a.EcosystemSpecific)
		rec.Affected = append(rec.Affected, af)
	}
	return rec
}

func readEcosystemSpecific(af *model.Affected, raw json.RawMessage) {
	if len(raw) == 0 {
		return
	}
	var es struct {
		Urgency string `json:"urgency"`
		Imports []struct {
			Path    string   `json:"path"`
			Symbols []string `json:"symbols"`
			GOOS    []string `json:"goos"`
			GOARCH  []string `json:"goarch"`
		} `json:"imports"`
	}
	if json.Unmarshal(raw, &es) != nil {
		return
	}
	af.Urgency = es.Urgency
	for _, im := range es.Imports {
		if im.Path == "" {
			continue
		}
		af.GoSymbols = append(af.GoSymbols, model.GoSymbols{Package: im.Path, Symbols: im.Symbols, GOOS: im.GOOS, GOARCH: im.GOARCH})
	}
}

// OSVSeverities converts OSV severities; CVSS v2/v3 scores are computed
// from their vectors. An unparsable vector is kept without a score.
func OSVSeverities(source string, sevs []osv.Severity) []model.Severity {
	var out []model.Severity
	for _, s := range sevs {
		switch s.Type {
		case "CVSS_V2", "CVSS_V3", "CVSS_V4":
			out = append(out, CVSSSeverity(source, s.Type, s.Score, 0))
		case "Ubuntu":
			out = append(out, model.Severity{Source: source, Type: "vendor", Rating: VendorRating(s.Score)})
		}
	}
	return out
}

// CVSSSeverity builds a CVSS severity; when score is 0 it is computed from
// the vector where the version allows (v2, v3).
func CVSSSeverity(source, typ, vector string, score float64) model.Severity {
	s := model.Severity{Source: source, Type: typ, Vector: vector, Score: score}
	if s.Score == 0 {
		if sc, err := cvss.Score(vector); err == nil {
			s.Score = sc
		}
	}
	version := cvss.Version(vector)
	if s.Score > 0 {
		s.Rating = model.Rating(cvss.Rating(s.Score, version))
	}
	return s
}

// VendorRating maps a vendor's severity word to a rating: GitHub
// ("MODERATE"), Debian, Ubuntu ("negligible"), Red Hat ("Important"),
// Amazon, NVD. Unknown words give RatingUnknown.
func VendorRating(word string) model.Rating {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "negligible", "unimportant", "none":
		return model.RatingNegligible
	case "low":
		return model.RatingLow
	case "medium", "moderate":
		return model.RatingMedium
	case "high", "important":
		return model.RatingHigh
	case "critical":
		return model.RatingCritical
	}
	return model.RatingUnknown
}

// EachOSV calls fn with every OSV record of a fetched file (see EachJSON
// for the forms). A record that does not parse is an error naming it.
// Withdrawn records are skipped: the advisory no longer stands.
// Records whose where is rejected by a keep function are not parsed.
func EachOSV(ctx context.Context, data *Data, name string, fn func(where string, e *osv.Entry) error, keep ...func(where string) bool) error {
	return EachJSON(ctx, data, name, func(where string, raw []byte) error {
		for _, k := range keep {
			if !k(where) {
				return nil
			}
		}
		e, err := osv.Parse(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if !e.Withdrawn.IsZero() {
			return nil
		}
		return fn(where, e)
	})
}
