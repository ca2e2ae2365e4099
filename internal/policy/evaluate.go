package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Evaluate judges a report. It never fails: a policy that cannot be applied
// to the report (say, no DB information for a max-age rule) gives a failing
// rule with the reason.
func Evaluate(p *Policy, r *model.Report, ctx Context) model.Decision {
	rules, applied := p.Effective(ctx)
	name := p.Name
	if len(applied) > 0 {
		name = strings.TrimSpace(name + " +" + strings.Join(applied, "+"))
	}
	d := model.Decision{Pass: true, Policy: name}
	add := func(rr model.RuleResult) {
		rr.VulnIDs = sortedUnique(rr.VulnIDs)
		if !rr.Pass {
			d.Pass = false
		}
		d.Reasons = append(d.Reasons, rr)
	}
	counted := countedFindings(r.Findings, rules)

	if rules.FailOn != "" {
		min, _ := ParseSeverity(rules.FailOn)
		var ids []string
		for _, f := range counted {
			if model.RatingRank(f.Severity) >= model.RatingRank(min) && model.RatingRank(min) > 0 {
				ids = append(ids, f.VulnID)
			}
		}
		rr := model.RuleResult{Rule: "failOn", Pass: len(ids) == 0, VulnIDs: ids}
		if rr.Pass {
			rr.Message = fmt.Sprintf("no findings at or above %s", min)
		} else {
			rr.Message = fmt.Sprintf("%d finding(s) at or above %s%s", len(sortedUnique(append([]string(nil), ids...))), min, unfixedNote(rules))
		}
		add(rr)
	}
	if boolOf(rules.FailOnKEV) {
		var ids []string
		for _, f := range counted {
			if f.KEV {
				ids = append(ids, f.VulnID)
			}
		}
		rr := model.RuleResult{Rule: "failOnKEV", Pass: len(ids) == 0, VulnIDs: ids, Message: "no known exploited vulnerabilities (CISA KEV)"}
		if !rr.Pass {
			rr.Message = fmt.Sprintf("%d finding(s) listed in CISA KEV", len(sortedUnique(append([]string(nil), ids...))))
		}
		add(rr)
	}
	if rules.MaxCVSS != nil {
		var ids []string
		for _, f := range counted {
			if f.CVSSScore > *rules.MaxCVSS {
				ids = append(ids, f.VulnID)
			}
		}
		rr := model.RuleResult{Rule: "maxCVSS", Pass: len(ids) == 0, VulnIDs: ids, Message: fmt.Sprintf("no CVSS score above %.1f", *rules.MaxCVSS)}
		if !rr.Pass {
			rr.Message = fmt.Sprintf("%d finding(s) with CVSS above %.1f", len(sortedUnique(append([]string(nil), ids...))), *rules.MaxCVSS)
		}
		add(rr)
	}
	if rules.MinEPSS != nil {
		var ids []string
		for _, f := range counted {
			if f.EPSS >= *rules.MinEPSS {
				ids = append(ids, f.VulnID)
			}
		}
		rr := model.RuleResult{Rule: "minEPSS", Pass: len(ids) == 0, VulnIDs: ids, Message: fmt.Sprintf("no EPSS score at or above %.2f", *rules.MinEPSS)}
		if !rr.Pass {
			rr.Message = fmt.Sprintf("%d finding(s) with EPSS at or above %.2f", len(sortedUnique(append([]string(nil), ids...))), *rules.MinEPSS)
		}
		add(rr)
	}
	if rules.MaxDBAge != 0 {
		add(dbAgeRule(r.DB, time.Duration(rules.MaxDBAge), ctx.Now))
	}
	if boolOf(rules.FailOnUnknown) {
		rr := model.RuleResult{Rule: "failOnUnknown", Pass: len(r.Unknowns) == 0, Message: "every package could be checked"}
		if !rr.Pass {
			rr.Message = fmt.Sprintf("%d package(s) could not be checked, e.g. %s %s: %s", len(r.Unknowns),
				r.Unknowns[0].Package.Name, r.Unknowns[0].Package.Version, r.Unknowns[0].Reason)
		}
		add(rr)
	}
	if len(rules.DeniedPackages) > 0 {
		add(deniedPackagesRule(r.Inventory.Packages, rules.DeniedPackages))
	}
	if len(rules.DeniedLicenses) > 0 || len(rules.AllowedLicenses) > 0 {
		add(licenceRule(r.Inventory.Packages, rules.DeniedLicenses, rules.AllowedLicenses))
	}
	return d
}

// countedFindings are the findings the severity rules look at: affected,
// not suppressed, and fixable when the policy asks for fixable only.
func countedFindings(fs []model.Finding, rules Rules) []model.Finding {
	var out []model.Finding
	for _, f := range fs {
		if f.Suppressed != nil || f.State != model.MatchAffected {
			continue
		}
		if boolOf(rules.IgnoreUnfixed) && len(f.FixedVersions) == 0 {
			continue
		}
		out = append(out, f)
	}
	return out
}

func unfixedNote(r Rules) string {
	if boolOf(r.IgnoreUnfixed) {
		return " with a fix available"
	}
	return ""
}

func dbAgeRule(db *model.DBInfo, max time.Duration, now time.Time) model.RuleResult {
	rr := model.RuleResult{Rule: "maxDBAge"}
	if db == nil || db.BuiltAt.IsZero() {
		rr.Message = "the report carries no vulnerability-data timestamp, so its age cannot be checked"
		return rr
	}
	if now.IsZero() {
		now = time.Now()
	}
	age := now.Sub(db.BuiltAt)
	rr.Pass = age <= max
	if rr.Pass {
		rr.Message = fmt.Sprintf("vulnerability data is %s old (limit %s)", roundAge(age), max)
	} else {
		rr.Message = fmt.Sprintf("vulnerability data is %s old, older than %s: run bulwark db update", roundAge(age), max)
	}
	return rr
}

func roundAge(d time.Duration) time.Duration {
	if d > time.Hour {
		return d.Round(time.Hour)
	}
	return d.Round(time.Second)
}

func deniedPackagesRule(pkgs []model.Package, denied []string) model.RuleResult {
	rr := model.RuleResult{Rule: "deniedPackages", Pass: true, Message: "no denied packages"}
	var hits []string
	for i := range pkgs {
		p := &pkgs[i]
		for _, d := range denied {
			if packageMatches(p, d) {
				hits = append(hits, p.Name+"@"+p.Version)
				break
			}
		}
	}
	if len(hits) > 0 {
		rr.Pass = false
		rr.Message = "denied packages present: " + strings.Join(sortedUnique(hits), ", ")
	}
	return rr
}

func packageMatches(p *model.Package, pattern string) bool {
	switch {
	case strings.HasPrefix(pattern, "pkg:"):
		return strings.HasPrefix(p.PURL, pattern) &&
			(len(p.PURL) == len(pattern) || strings.ContainsRune("@?#/", rune(p.PURL[len(pattern)])))
	case strings.Contains(pattern, "/") && !strings.Contains(pattern, ":"):
		eco, name, _ := strings.Cut(pattern, "/")
		if model.Ecosystem(eco) == p.Ecosystem {
			return p.Name == name || model.NormalizeName(p.Ecosystem, name) == model.NormalizeName(p.Ecosystem, p.Name)
		}
		return p.Name == pattern // scoped npm names and Go paths
	}
	return p.Name == pattern
}

func licenceRule(pkgs []model.Package, denied, allowed []string) model.RuleResult {
	rr := model.RuleResult{Rule: "licenses", Pass: true, Message: "all declared licences are acceptable"}
	in := func(list []string, l string) bool {
		for _, x := range list {
			if strings.EqualFold(x, l) {
				return true
			}
		}
		return false
	}
	var hits []string
	for i := range pkgs {
		for _, l := range pkgs[i].Licenses {
			if in(denied, l) || (len(allowed) > 0 && !in(allowed, l)) {
				hits = append(hits, fmt.Sprintf("%s@%s (%s)", pkgs[i].Name, pkgs[i].Version, l))
			}
		}
	}
	if len(hits) > 0 {
		rr.Pass = false
		hits = sortedUnique(hits)
		more := ""
		if len(hits) > 5 {
			more = fmt.Sprintf(" and %d more", len(hits)-5)
			hits = hits[:5]
		}
		rr.Message = "licences not allowed: " + strings.Join(hits, ", ") + more
	}
	return rr
}
