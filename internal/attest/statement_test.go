package attest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestNewStatementGolden(t *testing.T) {
	st, err := NewStatement(testReport(testDigest), Invoker{URI: "https://ci.example/job/7", EventID: "1f2e3d"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "statement.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}
}

// TestStatementFields checks the fields cosign and policy engines read,
// independently of the golden file.
func TestStatementFields(t *testing.T) {
	st, err := NewStatement(testReport(testDigest), Invoker{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	pred := m["predicate"].(map[string]any)
	scanner := pred["scanner"].(map[string]any)
	meta := pred["metadata"].(map[string]any)
	inv := pred["invocation"].(map[string]any)
	got := map[string]any{
		"_type":          m["_type"],
		"predicateType":  m["predicateType"],
		"subject":        m["subject"],
		"scanner.uri":    scanner["uri"],
		"scanner.ver":    scanner["version"],
		"db":             scanner["db"],
		"scanStartedOn":  meta["scanStartedOn"],
		"scanFinishedOn": meta["scanFinishedOn"],
		"has builder.id": inv["builder.id"] != nil,
		"has event_id":   inv["event_id"] != nil,
		"counts":         scanner["result"].(map[string]any)["counts"],
	}
	want := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"predicateType": "https://cosign.sigstore.dev/attestation/vuln/v1",
		"subject": []any{map[string]any{"name": "registry.local/web",
			"digest": map[string]any{"sha256": strings.TrimPrefix(testDigest, "sha256:")}}},
		"scanner.uri":    "https://github.com/bulwark-security/bulwark",
		"scanner.ver":    "0.9.0",
		"db":             map[string]any{"uri": "bulwark-vulndb:debian,osv", "version": "schema-3/2026-11-20T08:00:00Z"},
		"scanStartedOn":  "2026-11-20T10:00:00Z",
		"scanFinishedOn": "2026-11-20T10:00:30Z",
		"has builder.id": true,
		"has event_id":   true,
		// The VEX-suppressed critical and the not-affected low are not counted.
		"counts": map[string]any{"high": 1.0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statement fields (-want +got):\n%s", diff)
	}
	back, err := ParseStatement(b)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := back.Decision()
	if !ok || d.Pass || d.Policy != "prod" {
		t.Errorf("Decision() = %+v, %v; want the failing prod decision", d, ok)
	}
	if !back.Covers(testDigest) || back.Covers("sha256:"+strings.Repeat("f", 64)) {
		t.Error("Covers does not match exactly the subject digest")
	}
}

func TestNewStatementErrors(t *testing.T) {
	for name, digest := range map[string]string{
		"no digest": "",
		"config id": "sha512:" + strings.Repeat("a", 128),
		"short":     "sha256:abcd",
		"upper hex": "sha256:" + strings.Repeat("A", 64),
	} {
		t.Run(name, func(t *testing.T) {
			r := testReport(digest)
			if _, err := NewStatement(r, Invoker{}); err == nil || !strings.Contains(err.Error(), "registry.local/web:1.4") {
				t.Errorf("NewStatement(digest %q) error = %v, want one naming the image", digest, err)
			}
		})
	}
	if _, err := NewStatement(nil, Invoker{}); err == nil {
		t.Error("NewStatement(nil) succeeded")
	}
}

func TestParseStatementErrors(t *testing.T) {
	for name, in := range map[string]string{
		"not json":       `{`,
		"wrong type":     `{"_type":"https://example.com/x","subject":[{"name":"a","digest":{"sha256":"00"}}]}`,
		"no subject":     `{"_type":"https://in-toto.io/Statement/v1","subject":[]}`,
		"bad vuln times": `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{}}],"predicateType":"https://cosign.sigstore.dev/attestation/vuln/v1","predicate":{"metadata":{"scanStartedOn":"yesterday"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseStatement([]byte(in)); err == nil {
				t.Errorf("ParseStatement(%s) succeeded", in)
			}
		})
	}
	// Another predicate type is a valid statement whose predicate is not decoded.
	st, err := ParseStatement([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"metadata":7}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Decision(); ok {
		t.Error("Decision() found a decision in a SLSA predicate")
	}
}

func TestNewResultEmptyFindingsIsArray(t *testing.T) {
	r := testReport(testDigest)
	r.Findings, r.Inventory.Distro = nil, nil
	b, err := json.Marshal(NewResult(r))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"findings":[]`)) || bytes.Contains(b, []byte(`"distro"`)) {
		t.Errorf("result = %s; want findings [] and no distro", b)
	}
}
