package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report"
	"github.com/bulwark-security/bulwark/internal/report/sbom"
)

type ioWriter = io.Writer

// outputSpec is one --format: a writer and where its output goes ("" is
// stdout).
type outputSpec struct {
	format string
	file   string
	w      report.Writer
}

// parseOutputs turns --format values into writers. "FORMAT=FILE" writes to
// FILE; the first bare FORMAT goes to -o (or stdout); at most one output
// may use stdout, so machine-readable output is never interleaved.
func parseOutputs(formats []string, output, tmpl string, showSuppressed bool, g *globals) ([]outputSpec, error) {
	if len(formats) == 0 {
		formats = []string{"table"}
	}
	if strings.HasPrefix(tmpl, "@") {
		data, err := os.ReadFile(tmpl[1:])
		if err != nil {
			return nil, fmt.Errorf("--template: %w", err)
		}
		tmpl = string(data)
	}
	var out []outputSpec
	stdoutUsed := false
	for _, f := range formats {
		name, file, hasFile := strings.Cut(f, "=")
		if hasFile && file == "" {
			return nil, fmt.Errorf("--format %s: no file after '='", f)
		}
		if !hasFile {
			if stdoutUsed {
				return nil, fmt.Errorf("--format %s: only one format can go to stdout; write the others to files with FORMAT=FILE", f)
			}
			stdoutUsed = true
			file = output
		}
		if name == "template" && tmpl == "" {
			return nil, errors.New("--format template needs --template TEXT or --template @FILE")
		}
		color := file == "" && isTerminal(g.stdout) && os.Getenv("NO_COLOR") == ""
		w, err := report.New(name, report.Options{Color: color, Template: tmpl, ShowSuppressed: showSuppressed})
		if err != nil {
			return nil, fmt.Errorf("--format %s: %w", name, err)
		}
		out = append(out, outputSpec{format: name, file: file, w: w})
	}
	return out, nil
}

func (o outputSpec) write(g *globals, r *model.Report) error {
	return writeOutput(g.stdout, o.file, func(w io.Writer) error { return o.w.Write(w, r) })
}

// decodeInventory reads an SBOM: CycloneDX, SPDX, or Bulwark's own JSON
// inventory or report.
func decodeInventory(data []byte) (*model.Inventory, error) {
	inv, err := sbom.Decode(bytes.NewReader(data))
	if err == nil || !errors.Is(err, sbom.ErrUnknownFormat) {
		return inv, err
	}
	var probe struct {
		Schema    int              `json:"schema"`
		Inventory *model.Inventory `json:"inventory"`
		Packages  json.RawMessage  `json:"packages"`
	}
	if json.Unmarshal(data, &probe) != nil || probe.Schema == 0 {
		return nil, err
	}
	if probe.Inventory != nil {
		return probe.Inventory, nil
	}
	var own model.Inventory
	if err := json.Unmarshal(data, &own); err != nil {
		return nil, fmt.Errorf("bulwark inventory: %w", err)
	}
	return &own, nil
}

// findingKey identifies a finding across runs.
func findingKey(f *model.Finding) string {
	return f.VulnID + "|" + string(f.Package.Ecosystem) + "|" + f.Package.Name + "|" + f.Package.Version + "|" + strings.Join(f.Package.Locations, ",")
}

// printDiff compares the report with a previous JSON report and prints the
// new and resolved findings (unsuppressed ones) to stderr, so stdout stays
// the report.
func printDiff(g *globals, prevFile string, cur *model.Report) error {
	data, err := os.ReadFile(prevFile)
	if err != nil {
		return usageErr(fmt.Errorf("--diff: %w", err))
	}
	var prev model.Report
	if err := json.Unmarshal(data, &prev); err != nil || prev.Schema == 0 {
		return usageErr(fmt.Errorf("--diff %s: not a bulwark JSON report (write one with --format json=FILE)", prevFile))
	}
	index := func(fs []model.Finding) map[string]*model.Finding {
		m := map[string]*model.Finding{}
		for i := range fs {
			if fs[i].Suppressed == nil {
				m[findingKey(&fs[i])] = &fs[i]
			}
		}
		return m
	}
	before, after := index(prev.Findings), index(cur.Findings)
	var added, resolved []*model.Finding
	for _, f := range model.SortedFindings(cur.Findings) {
		if _, ok := before[findingKey(&f)]; !ok && f.Suppressed == nil {
			added = append(added, after[findingKey(&f)])
		}
	}
	for _, f := range model.SortedFindings(prev.Findings) {
		if _, ok := after[findingKey(&f)]; !ok && f.Suppressed == nil {
			resolved = append(resolved, before[findingKey(&f)])
		}
	}
	fmt.Fprintf(g.stderr, "Since %s: %d new, %d resolved\n", prevFile, len(added), len(resolved))
	tw := tabwriter.NewWriter(g.stderr, 0, 4, 2, ' ', 0)
	for _, f := range added {
		fmt.Fprintf(tw, "  + %s\t%s\t%s %s\t%s\n", f.Severity, f.VulnID, f.Package.Name, f.Package.Version, fixedOrNone(f))
	}
	for _, f := range resolved {
		fmt.Fprintf(tw, "  - %s\t%s\t%s %s\tresolved\n", f.Severity, f.VulnID, f.Package.Name, f.Package.Version)
	}
	return tw.Flush()
}

func fixedOrNone(f *model.Finding) string {
	if len(f.FixedVersions) == 0 {
		return "fix: none"
	}
	return "fixed in " + strings.Join(f.FixedVersions, ", ")
}
