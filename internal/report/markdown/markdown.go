// Package markdown writes a short summary for a pull-request or merge
// request comment: the verdict, counts by severity, the findings to fix
// first, and the full list folded away.
package markdown

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
)

// TopN is how many findings the summary table shows before the fold.
const TopN = 10

// Writer writes Markdown (GitHub and GitLab flavoured: tables, <details>).
type Writer struct {
	ShowSuppressed bool
}

// Write renders r.
func (m *Writer) Write(w io.Writer, r *model.Report) error {
	var b strings.Builder
	m.render(&b, r)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("markdown: %w", err)
	}
	return nil
}

// cell escapes text for a table cell.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "`", "'").Replace(s)
}

func idLink(id string) string {
	if u := model.AdvisoryURL(id); u != "" {
		return "[" + id + "](" + u + ")"
	}
	return id
}

var ratings = []model.Rating{model.RatingCritical, model.RatingHigh, model.RatingMedium, model.RatingLow, model.RatingNegligible, model.RatingUnknown}

func title(r model.Rating) string {
	s := strings.ToLower(string(r))
	return strings.ToUpper(s[:1]) + s[1:]
}

func (m *Writer) render(b *strings.Builder, r *model.Report) {
	inv := &r.Inventory
	image := cmp.Or(inv.Image.Name, inv.Image.Ref, "scan")
	var open, suppressed []model.Finding
	for _, f := range model.SortedFindings(r.Findings) {
		if f.Suppressed != nil {
			suppressed = append(suppressed, f)
		} else {
			open = append(open, f)
		}
	}
	switch d := r.Decision; {
	case d == nil:
		fmt.Fprintf(b, "### Bulwark: %d vulnerabilities in `%s`\n\n", len(open), image)
	case d.Pass:
		fmt.Fprintf(b, "### ✅ Bulwark: policy passed for `%s`\n\n", image)
	default:
		fmt.Fprintf(b, "### ❌ Bulwark: policy failed for `%s`\n\n", image)
	}
	facts := []string{}
	if inv.Image.Digest != "" {
		facts = append(facts, "`"+inv.Image.Digest+"`")
	}
	if d := inv.Distro; !d.Unknown() {
		facts = append(facts, cmp.Or(d.PrettyName, d.ID+" "+d.VersionID)+cond(d.EOL, " (end of life)"))
	}
	facts = append(facts, fmt.Sprintf("%d packages", len(inv.Packages)))
	fmt.Fprintf(b, "%s\n\n", strings.Join(facts, " · "))

	if d := r.Decision; d != nil && !d.Pass {
		for _, rr := range d.Reasons {
			if !rr.Pass {
				fmt.Fprintf(b, "- **%s**: %s\n", cell(rr.Rule), cell(rr.Message))
			}
		}
		b.WriteString("\n")
	}

	counts := map[model.Rating]int{}
	for _, f := range open {
		counts[f.Severity]++
	}
	head, sep, row := "|", "|", "|"
	for _, rt := range ratings {
		head += " " + title(rt) + " |"
		sep += "---:|"
		row += fmt.Sprintf(" %d |", counts[rt])
	}
	fmt.Fprintf(b, "%s\n%s\n%s\n\n", head, sep, row)
	fmt.Fprintf(b, "%d suppressed · %d unknown (not decided, see the full report)\n\n", len(suppressed), len(r.Unknowns))

	if len(open) == 0 {
		b.WriteString("No unsuppressed vulnerabilities found.\n")
	} else {
		top := slices.Clone(open)
		// Fixable first: those are what a pull request can act on now.
		slices.SortStableFunc(top, func(a, c model.Finding) int {
			if a.Fixable() != c.Fixable() {
				if a.Fixable() {
					return -1
				}
				return 1
			}
			return 0
		})
		shown := min(TopN, len(top))
		fmt.Fprintf(b, "#### Top findings (%d of %d, fixable first)\n\n", shown, len(open))
		table(b, top[:shown], false)
	}
	all := open
	if m.ShowSuppressed {
		all = model.SortedFindings(r.Findings)
	}
	if len(all) > 0 {
		fmt.Fprintf(b, "\n<details>\n<summary>All %d findings</summary>\n\n", len(all))
		table(b, all, true)
		b.WriteString("\n</details>\n")
	}
	if len(r.Unknowns) > 0 {
		fmt.Fprintf(b, "\n<details>\n<summary>%d packages not decided</summary>\n\n| Package | Version | Reason |\n|---|---|---|\n", len(r.Unknowns))
		for _, u := range r.Unknowns {
			fmt.Fprintf(b, "| %s | %s | %s |\n", cell(u.Package.Name), cell(u.Package.Version), cell(u.Reason))
		}
		b.WriteString("\n</details>\n")
	}
}

func cond(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

func table(b *strings.Builder, fs []model.Finding, withStatus bool) {
	b.WriteString("| Severity | Vulnerability | Package | Installed | Fixed in |")
	if withStatus {
		b.WriteString(" Status |")
	}
	b.WriteString("\n|---|---|---|---|---|")
	if withStatus {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, f := range fs {
		id := idLink(f.VulnID)
		if f.KEV {
			id += " (KEV)"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |", title(f.Severity), id, cell(f.Package.Name),
			cell(f.Package.Version), cell(cmp.Or(strings.Join(f.FixedVersions, ", "), "—")))
		if withStatus {
			st := cmp.Or(string(f.VendorStatus), "")
			if f.Suppressed != nil {
				st = "suppressed (" + f.Suppressed.Kind + "): " + f.Suppressed.Reason
			} else if f.Reachability != "" {
				st = strings.TrimSpace(st + " " + string(f.Reachability))
			}
			fmt.Fprintf(b, " %s |", cell(st))
		}
		b.WriteString("\n")
	}
}
