package jsonreport

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

const schemaPath = "../../../api/report.schema.json"

func write(t *testing.T, w *Writer, r *model.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := w.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	reporttest.Golden(t, "testdata/report.json", write(t, &Writer{}, reporttest.Report()), *update)
	reporttest.Golden(t, "testdata/sbom.json", write(t, &Writer{SBOMOnly: true}, reporttest.Report()), *update)
}

func compile(t *testing.T, ref string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("report.schema.json" + ref)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

func TestSchema(t *testing.T) {
	report, inventory := compile(t, ""), compile(t, "#/$defs/inventory")
	for name, r := range map[string]*model.Report{
		"fixture": reporttest.Report(), "clean": reporttest.Clean(), "empty": {Schema: model.ReportSchema, Inventory: model.Inventory{Schema: model.InventorySchema}},
	} {
		if err := validate(t, report, write(t, &Writer{}, r)); err != nil {
			t.Errorf("%s report: %v", name, err)
		}
		if err := validate(t, inventory, write(t, &Writer{SBOMOnly: true}, r)); err != nil {
			t.Errorf("%s inventory: %v", name, err)
		}
	}
}

// The schema must reject what the model would not write, or it checks
// nothing.
func TestSchemaRejects(t *testing.T) {
	s := compile(t, "")
	for name, mutate := range map[string]func(map[string]any){
		"unknown field":   func(m map[string]any) { m["extra"] = 1 },
		"future schema":   func(m map[string]any) { m["schema"] = 2 },
		"bad severity":    func(m map[string]any) { m["findings"].([]any)[0].(map[string]any)["severity"] = "SEVERE" },
		"missing package": func(m map[string]any) { delete(m["findings"].([]any)[0].(map[string]any), "package") },
		"bad time":        func(m map[string]any) { m["createdAt"] = "yesterday" },
	} {
		var m map[string]any
		if err := json.Unmarshal(write(t, &Writer{}, reporttest.Report()), &m); err != nil {
			t.Fatal(err)
		}
		mutate(m)
		doc, _ := json.Marshal(m)
		if err := validate(t, s, doc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestReadsBack(t *testing.T) {
	want := reporttest.Report()
	var got model.Report
	if err := json.Unmarshal(write(t, &Writer{}, want), &got); err != nil {
		t.Fatal(err)
	}
	want.Findings = model.SortedFindings(want.Findings)
	if diff := cmp.Diff(want, &got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
