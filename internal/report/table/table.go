// Package table writes reports for people at a terminal: an SBOM as
// packages grouped by ecosystem, a vulnerability report as findings grouped
// by package, and a summary line with the policy verdict.
package table

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Writer renders tables. Color adds ANSI colour to severities and the
// verdict; the caller decides it (TTY, NO_COLOR).
type Writer struct {
	Color          bool
	ShowSuppressed bool
	SBOMOnly       bool
}

// Write renders r.
func (t *Writer) Write(w io.Writer, r *model.Report) error {
	p := &printer{w: w, color: t.Color}
	header(p, &r.Inventory)
	if t.SBOMOnly {
		packages(p, &r.Inventory)
	} else {
		t.findings(p, r)
	}
	return p.err
}

// printer remembers the first write error so rendering code stays linear.
type printer struct {
	w     io.Writer
	color bool
	err   error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// Colour codes of equal visible width (none) so padding stays simple.
const reset = "\x1b[0m"

func (p *printer) paint(code, s string) string {
	if !p.color || code == "" {
		return s
	}
	return code + s + reset
}

func severityCode(r model.Rating) string {
	switch r {
	case model.RatingCritical:
		return "\x1b[1;31m"
	case model.RatingHigh:
		return "\x1b[31m"
	case model.RatingMedium:
		return "\x1b[33m"
	case model.RatingLow:
		return "\x1b[34m"
	}
	return "\x1b[2m"
}

func header(p *printer, inv *model.Inventory) {
	im := &inv.Image
	name := cmp.Or(im.Name, im.Ref)
	p.printf("Image:    %s\n", name)
	if im.Ref != "" && im.Ref != name {
		p.printf("Ref:      %s\n", im.Ref)
	}
	if im.Digest != "" {
		p.printf("Digest:   %s\n", im.Digest)
	}
	if im.Platform != "" {
		p.printf("Platform: %s\n", im.Platform)
	}
	d := inv.Distro
	switch {
	case d.Unknown():
		p.printf("Distro:   unknown (no os-release found)\n")
	default:
		s := cmp.Or(d.PrettyName, strings.TrimSpace(d.ID+" "+d.VersionID))
		if d.EOL {
			s += p.paint("\x1b[1;31m", " — end of life"+cond(d.EOLDate != "", " since "+d.EOLDate))
		}
		p.printf("Distro:   %s\n", s)
	}
	for _, st := range inv.Status {
		if st.State != model.PluginOK {
			p.printf("Warning:  %s %s: %s\n", st.Name, st.State, strings.Join(st.Warnings, "; "))
		}
	}
	p.printf("\n")
}

func cond(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

func layerIndex(l *model.LayerRef) string {
	if l == nil {
		return "-"
	}
	return strconv.Itoa(l.Index)
}

func packages(p *printer, inv *model.Inventory) {
	byEco := map[model.Ecosystem][]*model.Package{}
	for i := range inv.Packages {
		pk := &inv.Packages[i]
		byEco[pk.Ecosystem] = append(byEco[pk.Ecosystem], pk)
	}
	ecos := slices.Sorted(func(yield func(model.Ecosystem) bool) {
		for e := range byEco {
			if !yield(e) {
				return
			}
		}
	})
	for _, e := range ecos {
		pkgs := byEco[e]
		slices.SortStableFunc(pkgs, func(a, b *model.Package) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Key(), b.Key()))
		})
		p.printf("%s (%d)\n", e, len(pkgs))
		g := grid{head: []string{"NAME", "VERSION", "SOURCE", "LAYER"}}
		for _, pk := range pkgs {
			src := ""
			if pk.SourceName != "" && (pk.SourceName != pk.Name || pk.SourceVersionOrVersion() != pk.Version) {
				src = pk.SourceName + cond(pk.SourceVersion != "" && pk.SourceVersion != pk.Version, " "+pk.SourceVersion)
			}
			g.add(nil, pk.Name, pk.Version, src, layerIndex(pk.Layer))
		}
		g.print(p, "  ")
		p.printf("\n")
	}
	p.printf("%d packages\n", len(inv.Packages))
}

// grid aligns columns by visible width and colours cells after padding,
// which text/tabwriter cannot do with escape sequences.
type grid struct {
	head  []string
	rows  [][]string
	codes [][]string
}

func (g *grid) add(codes []string, cells ...string) {
	g.rows = append(g.rows, cells)
	g.codes = append(g.codes, codes)
}

func (g *grid) print(p *printer, indent string) {
	width := make([]int, len(g.head))
	for _, row := range append([][]string{g.head}, g.rows...) {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(row, codes []string) {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range row {
			cell := c
			if i < len(row)-1 {
				cell += strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)+2)
			}
			if i < len(codes) && codes[i] != "" && c != "" {
				cell = p.paint(codes[i], c) + cell[len(c):]
			}
			b.WriteString(cell)
		}
		p.printf("%s\n", strings.TrimRight(b.String(), " "))
	}
	line(g.head, nil)
	for i, row := range g.rows {
		line(row, g.codes[i])
	}
}
