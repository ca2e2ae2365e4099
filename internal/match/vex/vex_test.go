package vex

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
)

func TestParseErrors(t *testing.T) {
	const ctx = `"@context":"https://openvex.dev/ns/v0.2.0"`
	tests := []struct{ in, want string }{
		{`{`, "f.json: not a JSON VEX document"},
		{`{"foo":1}`, "f.json: neither OpenVEX"},
		{`{` + ctx + `,"statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"bogus"}]}`,
			`f.json: statement 1: CVE-1: unknown status "bogus"`},
		{`{` + ctx + `,"statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected"}]}`,
			"not_affected needs a justification or an impact_statement"},
		{`{` + ctx + `,"statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected","justification":"because"}]}`,
			`unknown justification "because"`},
		{`{` + ctx + `,"statements":[{"vulnerability":{"name":"CVE-1"},"products":[],"status":"fixed"}]}`, "CVE-1: no products"},
		{`{` + ctx + `,"statements":[{"products":[{"@id":"pkg:npm/a"}],"status":"fixed"}]}`, "statement 1: no vulnerability"},
		{`{` + ctx + `,"statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"fixed","timestamp":"yesterday"}]}`, "CVE-1: timestamp"},
		{`{` + ctx + `,"statements":[{"vulnerability":42,"products":[{"@id":"pkg:npm/a"}],"status":"fixed"}]}`, "statement 1: vulnerability"},
		{`{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"maybe"},"affects":[{"ref":"pkg:npm/a"}]}]}`,
			`f.json: CVE-1: unknown analysis state "maybe"`},
		{`{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected"},"affects":[{"ref":"nowhere"}]}]}`,
			"CVE-1: affects names no component with a purl"},
		{`{"bomFormat":"CycloneDX","vulnerabilities":[{"analysis":{"state":"not_affected"}}]}`, "vulnerability 1 has no id"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in), "f.json")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s) error = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestParseCycloneDXNested(t *testing.T) {
	in := `{"bomFormat":"CycloneDX","components":[{"bom-ref":"a","purl":"pkg:npm/a@1","components":[{"bom-ref":"b","purl":"pkg:npm/b@2"}]}],
	"vulnerabilities":[{"id":"CVE-1","references":[{"id":"GHSA-x"}],"analysis":{"state":"resolved","response":["update"],"lastUpdated":"2024-01-02T03:04:05Z"},"affects":[{"ref":"b"},{"ref":"pkg:npm/c@3"}]}]}`
	d, err := Parse([]byte(in), "c.json")
	if err != nil {
		t.Fatal(err)
	}
	got := d.Statements[0]
	got.Timestamp = got.Timestamp.UTC()
	if got.Status != Fixed || !cmp.Equal(got.Products, []string{"pkg:npm/b@2", "pkg:npm/c@3"}) ||
		!cmp.Equal(got.Aliases, []string{"GHSA-x"}) || got.Action != "update" || got.Timestamp.Year() != 2024 {
		t.Errorf("statement = %+v", got)
	}
}

func TestPurlMatches(t *testing.T) {
	tests := []struct {
		pattern, actual string
		want            bool
	}{
		{"pkg:npm/a", "pkg:npm/a@1.0.0", true},
		{"pkg:npm/a@1.0.0", "pkg:npm/a@1.0.0?foo=bar", true},
		{"pkg:npm/a@1.0.1", "pkg:npm/a@1.0.0", false},
		{"pkg:npm/%40s/a@1", "pkg:npm/@s/a@1", true},
		{"pkg:pypi/Typing_Extensions", "pkg:pypi/typing-extensions@4.0.0", true},
		{"pkg:deb/debian/libc6", "pkg:deb/ubuntu/libc6@2.35", false},
		{"pkg:npm/a", "", false},
		{"not a purl", "pkg:npm/a@1", false},
	}
	for _, tt := range tests {
		if got := purlMatches(tt.pattern, tt.actual); got != tt.want {
			t.Errorf("purlMatches(%q, %q) = %v, want %v", tt.pattern, tt.actual, got, tt.want)
		}
	}
}

func TestWriteOpenVEXRoundTrip(t *testing.T) {
	const digest = "sha256:aaaa"
	const product = "pkg:oci/app@sha256%3Aaaaa"
	crypto := model.PackageRef{Ecosystem: model.EcosystemGo, Name: "golang.org/x/crypto", PURL: "pkg:golang/golang.org/x/crypto@v0.14.0"}
	xnet := model.PackageRef{Ecosystem: model.EcosystemGo, Name: "golang.org/x/net", PURL: "pkg:golang/golang.org/x/net@v0.10.0"}
	findings := []model.Finding{
		{VulnID: "CVE-2023-48795", Aliases: []string{"GO-2023-2402"}, Package: crypto, State: model.MatchAffected,
			Reachability: model.NotReachable, Reason: "x; not reachable: no vulnerable symbol of golang.org/x/crypto/ssh is linked into /app/server",
			Suppressed: &model.Suppression{Kind: "unreachable", Reason: "not reachable: no vulnerable symbol of golang.org/x/crypto/ssh is linked into /app/server"}},
		// Linked in one binary, not in another: the product is affected.
		{VulnID: "CVE-2023-45288", Package: xnet, State: model.MatchAffected, Reachability: model.NotReachable},
		{VulnID: "CVE-2023-45288", Package: xnet, State: model.MatchAffected, Reachability: model.Reachable},
		{VulnID: "CVE-2023-1", Package: xnet, State: model.MatchAffected, Reachability: model.ReachUnknown},
	}
	var buf bytes.Buffer
	if err := WriteOpenVEX(&buf, findings, product); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, buf.String())
	}
	if raw["@context"] != "https://openvex.dev/ns/v0.2.0" {
		t.Errorf("@context = %v", raw["@context"])
	}
	d, err := Parse(buf.Bytes(), "out.json")
	if err != nil {
		t.Fatalf("reparse: %v\n%s", err, buf.String())
	}
	want := []Statement{{
		Vulnerability: "CVE-2023-48795", Aliases: []string{"GO-2023-2402"},
		Products: []string{product}, Subcomponents: []string{crypto.PURL},
		Status: NotAffected, Justification: "vulnerable_code_not_in_execute_path",
		Impact: "no vulnerable symbol of golang.org/x/crypto/ssh is linked into /app/server",
	}}
	for i := range d.Statements {
		d.Statements[i].Timestamp = want[0].Timestamp
	}
	if diff := cmp.Diff(want, d.Statements); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	// Feeding the document back suppresses exactly the unreachable one.
	Apply(findings, digest, []*Document{d})
	if s := findings[0].Suppressed; s == nil || s.Kind != "vex" || s.Justification != "vulnerable_code_not_in_execute_path" {
		t.Errorf("round trip suppression = %+v", s)
	}
	if findings[1].Suppressed != nil || findings[2].Suppressed != nil {
		t.Errorf("x/net suppressed: %+v %+v", findings[1].Suppressed, findings[2].Suppressed)
	}
}

func TestWriteOpenVEXEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteOpenVEX(&buf, nil, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"statements": []`) {
		t.Errorf("empty document = %s", buf.String())
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a","subcomponents":[{"@id":"pkg:npm/b"}]}],"status":"fixed"}]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","components":[{"bom-ref":"a","purl":"pkg:npm/a@1"}],"vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected"},"affects":[{"ref":"a"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data, "fuzz.json")
		if err != nil {
			return
		}
		for _, st := range d.Statements {
			if st.Vulnerability == "" || len(st.Products) == 0 {
				t.Fatalf("statement without vulnerability or product accepted: %+v", st)
			}
		}
		Apply([]model.Finding{{VulnID: "CVE-1", Package: model.PackageRef{PURL: "pkg:npm/a@1"}}}, "sha256:x", []*Document{d})
	})
}
