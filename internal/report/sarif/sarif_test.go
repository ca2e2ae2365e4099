package sarif

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func write(t *testing.T, r *model.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (&Writer{}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	reporttest.Golden(t, "testdata/report.sarif", write(t, reporttest.Report()), *update)
	reporttest.Golden(t, "testdata/clean.sarif", write(t, reporttest.Clean()), *update)
}

// TestOfficialSchema validates against the OASIS SARIF 2.1.0 schema
// (errata01), vendored in testdata.
func TestOfficialSchema(t *testing.T) {
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
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
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, data []byte) error {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return s.Validate(inst)
	}
	for name, r := range map[string]*model.Report{"report": reporttest.Report(), "clean": reporttest.Clean(), "empty": {}} {
		if err := check(name, write(t, r)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := bytes.Replace(write(t, reporttest.Report()), []byte(`"level": "error"`), []byte(`"level": "fatal"`), 1)
	if check("bad", bad) == nil {
		t.Error("schema accepted level \"fatal\": the validator is not checking")
	}
}

type parsed struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID         string         `json:"id"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID       string            `json:"ruleId"`
			RuleIndex    int               `json:"ruleIndex"`
			Level        string            `json:"level"`
			Fingerprints map[string]string `json:"fingerprints"`
			Suppressions []any             `json:"suppressions"`
			Locations    []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	var p parsed
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestContent(t *testing.T) {
	p := parse(t, write(t, reporttest.Report()))
	run := p.Runs[0]
	rules := run.Tool.Driver.Rules
	if len(rules) != 10 || len(run.Results) != 10 {
		t.Fatalf("%d rules, %d results; want 10 and 10", len(rules), len(run.Results))
	}
	sev := map[string]any{}
	for _, r := range rules {
		sev[r.ID] = r.Properties["security-severity"]
	}
	if sev["CVE-2021-44906"] != "9.8" || sev["CVE-2011-3374"] != "3.7" {
		t.Errorf("security-severity: %v", sev)
	}
	suppressed := 0
	for _, res := range run.Results {
		if rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s points at rule %d (%s)", res.RuleID, res.RuleIndex, rules[res.RuleIndex].ID)
		}
		if len(res.Suppressions) > 0 {
			suppressed++
		}
		if res.RuleID == "CVE-2021-44906" && (res.Level != "error" || res.Locations[0].PhysicalLocation.ArtifactLocation.URI != "srv/app/package-lock.json") {
			t.Errorf("minimist result: %+v", res)
		}
	}
	if suppressed != 3 {
		t.Errorf("%d suppressed results, want 3", suppressed)
	}
}

func TestFingerprintsStable(t *testing.T) {
	fps := func(r *model.Report) map[string]string {
		out := map[string]string{}
		for _, res := range parse(t, write(t, r)).Runs[0].Results {
			out[res.RuleID+" "+res.Locations[0].PhysicalLocation.ArtifactLocation.URI] = res.Fingerprints["bulwark/v1"]
		}
		return out
	}
	a := reporttest.Report()
	b := reporttest.Report()
	b.CreatedAt = b.CreatedAt.Add(24 * time.Hour)
	b.Inventory.Image.Digest = "sha256:" + "ab" + b.Inventory.Image.Digest[9:]
	b.Findings[0], b.Findings[3] = b.Findings[3], b.Findings[0]
	if diff := cmp.Diff(fps(a), fps(b)); diff != "" {
		t.Errorf("fingerprints changed between runs (-first +second):\n%s", diff)
	}
	seen := map[string]bool{}
	for _, fp := range fps(a) {
		if seen[fp] {
			t.Errorf("fingerprint %s used twice", fp)
		}
		seen[fp] = true
	}
}
