package sbom

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/bulwark-security/bulwark/internal/model"
)

// vulnerabilities writes one entry per finding, not per vulnerability id:
// CycloneDX puts the analysis (suppressed or not) on the vulnerability,
// and one id can be suppressed for one package and open for another.
func vulnerabilities(r *model.Report, refs []string) []cdx.Vulnerability {
	byKey := map[string]string{}
	for i := range r.Inventory.Packages {
		byKey[r.Inventory.Packages[i].Key()] = refs[i]
	}
	out := []cdx.Vulnerability{}
	for _, f := range model.SortedFindings(r.Findings) {
		ref := byKey[findingKey(&f.Package)]
		if ref == "" {
			ref = f.Package.PURL
		}
		v := cdx.Vulnerability{
			BOMRef:      f.VulnID + "/" + ref,
			ID:          f.VulnID,
			Source:      &cdx.Source{Name: f.DataSource, URL: model.AdvisoryURL(f.VulnID)},
			Description: f.Summary,
			Detail:      f.Reason,
			Affects:     &[]cdx.Affects{{Ref: ref, Range: &[]cdx.AffectedVersions{{Version: f.Package.Version, Status: cdx.VulnerabilityStatusAffected}}}},
		}
		if len(f.Aliases) > 0 {
			rs := make([]cdx.VulnerabilityReference, len(f.Aliases))
			for i, a := range f.Aliases {
				rs[i] = cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{Name: aliasSource(a), URL: model.AdvisoryURL(a)}}
			}
			v.References = &rs
		}
		v.Ratings = &[]cdx.VulnerabilityRating{rating(&f)}
		if len(f.FixedVersions) > 0 {
			v.Recommendation = fmt.Sprintf("Upgrade %s to %s or later.", f.Package.Name, strings.Join(f.FixedVersions, " or "))
		}
		if len(f.AdvisoryIDs) > 0 {
			as := make([]cdx.Advisory, 0, len(f.AdvisoryIDs))
			for _, id := range f.AdvisoryIDs {
				if u := model.AdvisoryURL(id); u != "" {
					as = append(as, cdx.Advisory{Title: id, URL: u})
				}
			}
			if len(as) > 0 {
				v.Advisories = &as
			}
		}
		v.Analysis = analysis(&f)
		v.Properties = cdxProps(findingProps(&f))
		out = append(out, v)
	}
	return out
}

// findingKey matches a finding's package to the inventory's, like
// model.Package.Key.
func findingKey(p *model.PackageRef) string {
	loc := ""
	if len(p.Locations) > 0 {
		loc = p.Locations[0]
	}
	return string(p.Ecosystem) + "|" + p.Name + "|" + p.Version + "|" + loc
}

func aliasSource(id string) string {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "NVD"
	case strings.HasPrefix(id, "GHSA-"):
		return "GitHub"
	case strings.HasPrefix(id, "GO-"):
		return "Go Vulnerability Database"
	}
	return ""
}

func rating(f *model.Finding) cdx.VulnerabilityRating {
	r := cdx.VulnerabilityRating{Severity: cdxSeverity(f.Severity), Vector: f.CVSSVector}
	if f.SeveritySource != "" {
		r.Source = &cdx.Source{Name: f.SeveritySource}
	}
	if f.CVSSScore > 0 {
		s := f.CVSSScore
		r.Score = &s
	}
	switch {
	case strings.HasPrefix(f.CVSSVector, "CVSS:3.1/"):
		r.Method = cdx.ScoringMethodCVSSv31
	case strings.HasPrefix(f.CVSSVector, "CVSS:3.0/"):
		r.Method = cdx.ScoringMethodCVSSv3
	case strings.HasPrefix(f.CVSSVector, "CVSS:4.0/"):
		r.Method = cdx.ScoringMethodCVSSv4
	case strings.HasPrefix(f.CVSSVector, "AV:"):
		r.Method = cdx.ScoringMethodCVSSv2
	default:
		r.Method = cdx.ScoringMethodOther
	}
	return r
}

// cdxSeverity maps Bulwark's ratings; CycloneDX has no "negligible", and
// "info" is its closest word.
func cdxSeverity(r model.Rating) cdx.Severity {
	switch r {
	case model.RatingCritical:
		return cdx.SeverityCritical
	case model.RatingHigh:
		return cdx.SeverityHigh
	case model.RatingMedium:
		return cdx.SeverityMedium
	case model.RatingLow:
		return cdx.SeverityLow
	case model.RatingNegligible:
		return cdx.SeverityInfo
	}
	return cdx.SeverityUnknown
}

// analysis states why a finding does not count, in CycloneDX's words:
//   - not reachable (Go symbol analysis): not_affected, code_not_reachable
//   - VEX: not_affected with the VEX justification translated
//   - ignore rule: false_positive when its reason says "false positive",
//     otherwise not_affected (an accepted, documented exception)
//
// Unsuppressed findings the vendor will not fix carry the response
// will_not_fix and no state.
func analysis(f *model.Finding) *cdx.VulnerabilityAnalysis {
	s := f.Suppressed
	switch {
	case s == nil && f.Reachability == model.NotReachable:
		return &cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected, Justification: cdx.IAJCodeNotReachable, Detail: "vulnerable symbols are not linked into the binary"}
	case s == nil && f.VendorStatus == model.StatusWillNotFix:
		return &cdx.VulnerabilityAnalysis{Response: &[]cdx.ImpactAnalysisResponse{cdx.IARWillNotFix}, Detail: "the vendor will not fix this vulnerability"}
	case s == nil:
		return nil
	}
	a := &cdx.VulnerabilityAnalysis{Detail: suppressionDetail(s)}
	switch s.Kind {
	case "unreachable":
		a.State, a.Justification = cdx.IASNotAffected, cdx.IAJCodeNotReachable
	case "vex":
		a.State, a.Justification = cdx.IASNotAffected, vexJustification(s.Justification)
	default:
		a.State = cdx.IASNotAffected
		if strings.Contains(strings.ToLower(s.Reason), "false positive") {
			a.State = cdx.IASFalsePositive
		}
	}
	return a
}

func suppressionDetail(s *model.Suppression) string {
	parts := []string{s.Kind + ": " + s.Reason}
	if s.Source != "" {
		parts = append(parts, "source "+s.Source)
	}
	if s.Owner != "" {
		parts = append(parts, "owner "+s.Owner)
	}
	if !s.Expires.IsZero() {
		parts = append(parts, "expires "+s.Expires.UTC().Format(time.DateOnly))
	}
	return strings.Join(parts, "; ")
}

// vexJustification translates OpenVEX justifications to CycloneDX ones;
// CycloneDX values pass through.
func vexJustification(j string) cdx.ImpactAnalysisJustification {
	switch j {
	case "component_not_present", "vulnerable_code_not_present":
		return cdx.IAJCodeNotPresent
	case "vulnerable_code_not_in_execute_path":
		return cdx.IAJCodeNotReachable
	case "vulnerable_code_cannot_be_controlled_by_adversary":
		return cdx.IAJRequiresEnvironment
	case "inline_mitigations_already_exist":
		return cdx.IAJProtectedAtRuntime
	case "code_not_present", "code_not_reachable", "requires_configuration", "requires_dependency",
		"requires_environment", "protected_by_compiler", "protected_at_runtime", "protected_at_perimeter",
		"protected_by_mitigating_control":
		return cdx.ImpactAnalysisJustification(j)
	}
	return ""
}

func findingProps(f *model.Finding) props {
	var ps props
	ps.add("bulwark:state", string(f.State))
	ps.add("bulwark:vendorStatus", string(f.VendorStatus))
	ps.add("bulwark:urgency", f.Urgency)
	ps.add("bulwark:namespace", f.Namespace)
	ps.add("bulwark:reachability", string(f.Reachability))
	for _, s := range f.ReachableSymbols {
		ps.add("bulwark:reachableSymbol", s)
	}
	if f.KEV {
		ps.add("bulwark:kev", "true")
	}
	if f.EPSS > 0 {
		ps.add("bulwark:epss", strconv.FormatFloat(f.EPSS, 'f', -1, 64))
	}
	for _, n := range f.Notes {
		ps.add("bulwark:note", n)
	}
	if s := f.Suppressed; s != nil {
		ps.add("bulwark:suppressed:kind", s.Kind)
		ps.add("bulwark:suppressed:source", s.Source)
		ps.add("bulwark:suppressed:owner", s.Owner)
		if !s.Expires.IsZero() {
			ps.add("bulwark:suppressed:expires", s.Expires.UTC().Format(time.RFC3339))
		}
	}
	return ps
}
