// Package jsonreport writes a report as Bulwark's own JSON, described by
// api/report.schema.json. The encoding is the model.Report as-is, with
// findings in the one display order so that two runs diff cleanly.
package jsonreport

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Writer writes JSON. With SBOMOnly it writes only the inventory, which is
// what `bulwark scan sbom` and the server accept back.
type Writer struct {
	SBOMOnly bool
}

// Write encodes r.
func (jw *Writer) Write(w io.Writer, r *model.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	var v any
	if jw.SBOMOnly {
		inv := r.Inventory
		if inv.Packages == nil {
			inv.Packages = []model.Package{}
		}
		v = &inv
	} else {
		out := *r
		out.Findings = model.SortedFindings(r.Findings)
		if out.Findings == nil {
			out.Findings = []model.Finding{}
		}
		if out.Inventory.Packages == nil {
			out.Inventory.Packages = []model.Package{}
		}
		v = &out
	}
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	return nil
}
