package vex

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
)

// OpenVEX justifications (https://github.com/openvex/spec).
var openvexJustifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

// openvexDoc is the part of an OpenVEX document matching needs.
type openvexDoc struct {
	Timestamp  string             `json:"timestamp"`
	Statements []openvexStatement `json:"statements"`
}

type openvexStatement struct {
	Vulnerability   json.RawMessage   `json:"vulnerability"`
	Products        []json.RawMessage `json:"products"`
	Subcomponents   []json.RawMessage `json:"subcomponents,omitempty"`
	Status          string            `json:"status"`
	Justification   string            `json:"justification,omitempty"`
	ImpactStatement string            `json:"impact_statement,omitempty"`
	ActionStatement string            `json:"action_statement,omitempty"`
	Timestamp       string            `json:"timestamp,omitempty"`
}

// ParseOpenVEX parses an OpenVEX JSON document (v0.0.1 string forms and
// v0.2.0 object forms).
func ParseOpenVEX(data []byte, source string) (*Document, error) {
	var d openvexDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: invalid OpenVEX JSON: %w", source, err)
	}
	docTime, err := parseTime(d.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("%s: document timestamp: %w", source, err)
	}
	out := &Document{Source: source, Format: "openvex"}
	for i, s := range d.Statements {
		st, err := openvexStatementOf(s, docTime)
		if err != nil {
			return nil, fmt.Errorf("%s: statement %d: %w", source, i+1, err)
		}
		out.Statements = append(out.Statements, st)
	}
	return out, nil
}

func openvexStatementOf(s openvexStatement, docTime time.Time) (Statement, error) {
	st := Statement{
		Status: Status(s.Status), Justification: s.Justification,
		Impact: s.ImpactStatement, Action: s.ActionStatement, Timestamp: docTime,
	}
	if len(s.Vulnerability) == 0 {
		return st, fmt.Errorf("no vulnerability")
	}
	name, m, err := stringOrID(s.Vulnerability, "name")
	if err != nil {
		return st, fmt.Errorf("vulnerability: %w", err)
	}
	if name == "" && m != nil {
		// v0.2.0 allows @id alone.
		name, _, _ = stringOrID(s.Vulnerability, "@id")
	}
	if name == "" {
		return st, fmt.Errorf("vulnerability has no name")
	}
	st.Vulnerability = name
	if raw, ok := m["aliases"]; ok {
		if err := json.Unmarshal(raw, &st.Aliases); err != nil {
			return st, fmt.Errorf("vulnerability aliases: %w", err)
		}
	}
	for _, p := range s.Products {
		id, pm, err := stringOrID(p, "@id")
		if err != nil {
			return st, fmt.Errorf("product: %w", err)
		}
		if id != "" {
			st.Products = append(st.Products, id)
		}
		if raw, ok := pm["identifiers"]; ok {
			var ids map[string]string
			if json.Unmarshal(raw, &ids) == nil && ids["purl"] != "" {
				st.Products = append(st.Products, ids["purl"])
			}
		}
		if raw, ok := pm["subcomponents"]; ok {
			var subs []json.RawMessage
			if err := json.Unmarshal(raw, &subs); err != nil {
				return st, fmt.Errorf("subcomponents: %w", err)
			}
			for _, sc := range subs {
				sid, _, err := stringOrID(sc, "@id")
				if err != nil {
					return st, fmt.Errorf("subcomponent: %w", err)
				}
				st.Subcomponents = append(st.Subcomponents, sid)
			}
		}
	}
	for _, sc := range s.Subcomponents {
		sid, _, err := stringOrID(sc, "@id")
		if err != nil {
			return st, fmt.Errorf("subcomponent: %w", err)
		}
		st.Subcomponents = append(st.Subcomponents, sid)
	}
	if len(st.Products) == 0 {
		return st, fmt.Errorf("%s: no products", name)
	}
	switch st.Status {
	case NotAffected:
		if st.Justification == "" && st.Impact == "" {
			return st, fmt.Errorf("%s: not_affected needs a justification or an impact_statement", name)
		}
		if st.Justification != "" && !slices.Contains(openvexJustifications, st.Justification) {
			return st, fmt.Errorf("%s: unknown justification %q", name, st.Justification)
		}
	case Affected, Fixed, UnderInvestigation:
	default:
		return st, fmt.Errorf("%s: unknown status %q", name, s.Status)
	}
	if s.Timestamp != "" {
		t, err := parseTime(s.Timestamp)
		if err != nil {
			return st, fmt.Errorf("%s: timestamp: %w", name, err)
		}
		st.Timestamp = t
	}
	return st, nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, s)
}

// WriteOpenVEX writes an OpenVEX document with one not_affected statement
// (justification vulnerable_code_not_in_execute_path) per vulnerability
// and package whose Go findings are all not reachable. productID names
// the scanned artifact (e.g. "pkg:oci/app@sha256:…"); the packages are
// its subcomponents. With no such findings the document has no
// statements.
func WriteOpenVEX(w io.Writer, findings []model.Finding, productID string) error {
	type key struct{ vuln, purl string }
	reach := map[key]bool{}
	first := map[key]*model.Finding{}
	var order []key
	for i := range findings {
		f := &findings[i]
		if f.State != model.MatchAffected || f.Reachability == "" || f.Package.PURL == "" {
			continue
		}
		k := key{f.VulnID, f.Package.PURL}
		if _, ok := first[k]; !ok {
			first[k] = f
			order = append(order, k)
		}
		// One binary that links the vulnerable code makes the package
		// affected in the product, whatever the other binaries do.
		reach[k] = reach[k] || f.Reachability != model.NotReachable
	}
	slices.SortFunc(order, func(a, b key) int {
		return strings.Compare(a.vuln+"\x00"+a.purl, b.vuln+"\x00"+b.purl)
	})
	now := time.Now().UTC().Format(time.RFC3339)
	doc := openvexOut{Context: "https://openvex.dev/ns/v0.2.0", Author: "Bulwark", Timestamp: now, Version: 1, Tooling: "bulwark"}
	for _, k := range order {
		if reach[k] {
			continue
		}
		f := first[k]
		st := openvexOutStatement{
			Vulnerability:   openvexVuln{Name: f.VulnID, Aliases: f.Aliases},
			Status:          string(NotAffected),
			Justification:   "vulnerable_code_not_in_execute_path",
			ImpactStatement: impactOf(f),
		}
		if productID != "" {
			st.Products = []openvexProduct{{ID: productID, Subcomponents: []openvexProduct{{ID: k.purl}}}}
		} else {
			st.Products = []openvexProduct{{ID: k.purl}}
		}
		doc.Statements = append(doc.Statements, st)
	}
	sum := sha256.New()
	fmt.Fprintln(sum, productID)
	for _, st := range doc.Statements {
		fmt.Fprintln(sum, st.Vulnerability.Name, st.Products[0].ID)
	}
	doc.ID = "https://openvex.dev/docs/bulwark/" + hex.EncodeToString(sum.Sum(nil))[:32]
	if doc.Statements == nil {
		doc.Statements = []openvexOutStatement{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing openvex: %w", err)
	}
	return nil
}

// impactOf reuses the matcher's reachability evidence.
func impactOf(f *model.Finding) string {
	const marker = "not reachable: "
	if f.Suppressed != nil && f.Suppressed.Kind == "unreachable" {
		return strings.TrimPrefix(f.Suppressed.Reason, marker)
	}
	if i := strings.Index(f.Reason, marker); i >= 0 {
		return f.Reason[i+len(marker):]
	}
	return "no vulnerable symbol is linked into the binary"
}

type openvexOut struct {
	Context    string                `json:"@context"`
	ID         string                `json:"@id"`
	Author     string                `json:"author"`
	Timestamp  string                `json:"timestamp"`
	Version    int                   `json:"version"`
	Tooling    string                `json:"tooling,omitempty"`
	Statements []openvexOutStatement `json:"statements"`
}

type openvexOutStatement struct {
	Vulnerability   openvexVuln      `json:"vulnerability"`
	Products        []openvexProduct `json:"products"`
	Status          string           `json:"status"`
	Justification   string           `json:"justification,omitempty"`
	ImpactStatement string           `json:"impact_statement,omitempty"`
}

type openvexVuln struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
}

type openvexProduct struct {
	ID            string           `json:"@id"`
	Subcomponents []openvexProduct `json:"subcomponents,omitempty"`
}
