//go:build integration

package accuracy

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report"
	"github.com/bulwark-security/bulwark/internal/report/sbom"
	"github.com/bulwark-security/bulwark/internal/scan"
)

// TestIdenticalFindings: the image, its CycloneDX and SPDX SBOMs (with and
// without findings) and its stored inventory (the JSON of
// model.Inventory) give the same findings, field for field.
func TestIdenticalFindings(t *testing.T) {
	fx := setup(t)
	ctx := context.Background()
	want := fx.report.Findings
	if len(want) == 0 {
		t.Fatal("the image has no findings; nothing to compare")
	}

	viaSBOM := func(t *testing.T, format string, r *model.Report) *model.Inventory {
		w, err := report.New(format, report.Options{SBOMOnly: len(r.Findings) == 0})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := w.Write(&buf, r); err != nil {
			t.Fatalf("writing %s: %v", format, err)
		}
		inv, err := sbom.Decode(&buf)
		if err != nil {
			t.Fatalf("decoding our own %s: %v", format, err)
		}
		return inv
	}
	sbomOnly := &model.Report{Schema: model.ReportSchema, Inventory: *fx.inv, CreatedAt: fx.report.CreatedAt}
	sources := map[string]func(t *testing.T) *model.Inventory{
		"cyclonedx":               func(t *testing.T) *model.Inventory { return viaSBOM(t, "cyclonedx", sbomOnly) },
		"cyclonedx-with-findings": func(t *testing.T) *model.Inventory { return viaSBOM(t, "cyclonedx", fx.report) },
		"spdx":                    func(t *testing.T) *model.Inventory { return viaSBOM(t, "spdx", sbomOnly) },
		"stored-inventory": func(t *testing.T) *model.Inventory {
			b, err := json.Marshal(fx.inv)
			if err != nil {
				t.Fatal(err)
			}
			var inv model.Inventory
			if err := json.Unmarshal(b, &inv); err != nil {
				t.Fatal(err)
			}
			return &inv
		},
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			inv := src(t)
			r, _, err := scan.Report(ctx, inv, scan.ReportOptions{DB: fx.db, Now: fx.report.CreatedAt})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, r.Findings); diff != "" {
				t.Errorf("findings (-image +%s):\n%s", name, diff)
			}
			if diff := cmp.Diff(fx.report.Unknowns, r.Unknowns); diff != "" {
				t.Errorf("unknowns (-image +%s):\n%s", name, diff)
			}
			t.Logf("%s: %d findings, %d packages", name, len(r.Findings), len(inv.Packages))
		})
	}
}
