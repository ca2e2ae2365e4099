package table

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
)

type group struct {
	ref      model.PackageRef
	findings []model.Finding
}

func pkgKey(p *model.PackageRef) string {
	loc := ""
	if len(p.Locations) > 0 {
		loc = p.Locations[0]
	}
	return string(p.Ecosystem) + "|" + p.Name + "|" + p.Version + "|" + loc
}

// groups collects findings by package, packages ordered by their worst
// finding, then name and version.
func groups(fs []model.Finding) []*group {
	byKey := map[string]*group{}
	var out []*group
	for _, f := range model.SortedFindings(fs) {
		k := pkgKey(&f.Package)
		g := byKey[k]
		if g == nil {
			g = &group{ref: f.Package}
			byKey[k] = g
			out = append(out, g)
		}
		g.findings = append(g.findings, f)
	}
	// SortedFindings put each group's worst finding first, so the order of
	// first appearance is already worst-first, then name, version.
	return out
}

// Status is the short word the table and Markdown show for a finding.
func status(f *model.Finding) string {
	switch {
	case f.Suppressed != nil:
		return "suppressed (" + f.Suppressed.Kind + ")"
	case f.State == model.MatchUnknown:
		return "unknown"
	case f.VendorStatus == model.StatusAffected:
		return "no fix yet"
	case f.VendorStatus != "" && f.VendorStatus != model.StatusFixed:
		return string(f.VendorStatus)
	case f.Fixable():
		return "fixable"
	}
	return "no fix"
}

func (t *Writer) findings(p *printer, r *model.Report) {
	var shown []model.Finding
	for _, f := range r.Findings {
		if f.Suppressed == nil || t.ShowSuppressed {
			shown = append(shown, f)
		}
	}
	for _, g := range groups(shown) {
		ref := &g.ref
		line := fmt.Sprintf("%s %s (%s", ref.Name, ref.Version, ref.Ecosystem)
		if ref.SourceName != "" && ref.SourceName != ref.Name {
			line += ", source " + ref.SourceName
		}
		line += ")"
		if len(ref.Locations) > 0 {
			line += " " + ref.Locations[0]
		}
		if ref.Layer != nil {
			line += fmt.Sprintf(" · layer %d", ref.Layer.Index)
			if ref.Layer.CreatedBy != "" {
				line += ": " + truncate(ref.Layer.CreatedBy, 60)
			}
		}
		p.printf("%s\n", line)
		gr := grid{head: []string{"SEVERITY", "VULNERABILITY", "FIXED IN", "STATUS", "REACHABILITY", "TITLE"}}
		for _, f := range g.findings {
			id := f.VulnID
			if f.KEV {
				id += " [KEV]"
			}
			gr.add([]string{severityCode(f.Severity)},
				string(f.Severity), id, strings.Join(f.FixedVersions, ", "), status(&f),
				string(f.Reachability), truncate(f.Summary, 60))
		}
		gr.print(p, "  ")
		for _, f := range g.findings {
			for _, n := range f.Notes {
				p.printf("  note %s: %s\n", f.VulnID, n)
			}
		}
		p.printf("\n")
	}
	if len(r.Unknowns) > 0 {
		p.printf("Not decided (shown, never read as not affected):\n")
		gr := grid{head: []string{"PACKAGE", "VERSION", "ECOSYSTEM", "REASON"}}
		for _, u := range sortedUnknowns(r.Unknowns) {
			gr.add(nil, u.Package.Name, u.Package.Version, string(u.Package.Ecosystem), u.Reason)
		}
		gr.print(p, "  ")
		p.printf("\n")
	}
	summary(p, r, len(r.Findings)-len(shown))
}

func sortedUnknowns(us []model.Unknown) []model.Unknown {
	out := slices.Clone(us)
	slices.SortStableFunc(out, func(a, b model.Unknown) int {
		return cmp.Or(cmp.Compare(a.Package.Name, b.Package.Name), cmp.Compare(a.Package.Version, b.Package.Version))
	})
	return out
}

var ratings = []model.Rating{model.RatingCritical, model.RatingHigh, model.RatingMedium, model.RatingLow, model.RatingNegligible, model.RatingUnknown}

func summary(p *printer, r *model.Report, hidden int) {
	counts := map[model.Rating]int{}
	open, suppressed := 0, 0
	for _, f := range r.Findings {
		if f.Suppressed != nil {
			suppressed++
			continue
		}
		open++
		counts[f.Severity]++
	}
	parts := make([]string, 0, len(ratings))
	for _, rt := range ratings {
		label := strings.ToLower(string(rt))
		if rt == model.RatingUnknown {
			label = "unrated"
		}
		parts = append(parts, p.paint(cond(counts[rt] > 0, severityCode(rt)), fmt.Sprintf("%d %s", counts[rt], label)))
	}
	p.printf("Findings: %d (%s) · %d suppressed", open, strings.Join(parts, ", "), suppressed)
	if hidden > 0 {
		p.printf(" (hidden; --show-suppressed lists them)")
	}
	p.printf(" · %d package(s) not checked\n", len(r.Unknowns))
	d := r.Decision
	if d == nil {
		return
	}
	verdict := p.paint("\x1b[1;32m", "PASS")
	if !d.Pass {
		verdict = p.paint("\x1b[1;31m", "FAIL")
	}
	p.printf("Policy%s: %s\n", cond(d.Policy != "", " "+d.Policy), verdict)
	for _, rr := range d.Reasons {
		if !rr.Pass {
			p.printf("  ✗ %s: %s\n", rr.Rule, rr.Message)
		}
	}
}

func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
