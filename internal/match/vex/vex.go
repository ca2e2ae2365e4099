// Package vex reads VEX documents (OpenVEX and CycloneDX VEX, JSON) and
// applies their statements to findings, and writes OpenVEX for the Go
// findings Bulwark proved unreachable.
//
// A not_affected or fixed statement suppresses a finding (it stays in the
// list with Suppressed.Kind "vex"); affected and under_investigation only
// annotate it. Statements apply by vulnerability (id or alias) and by
// product: a package purl (qualifiers ignored; a purl without a version
// covers every version) or the scanned image (its digest, or a pkg:oci
// purl whose version is the digest), optionally narrowed by subcomponent
// purls.
package vex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Status is a VEX status in OpenVEX's words; CycloneDX analysis states
// are mapped onto them.
type Status string

// VEX statuses.
const (
	NotAffected        Status = "not_affected"
	Affected           Status = "affected"
	Fixed              Status = "fixed"
	UnderInvestigation Status = "under_investigation"
)

// Statement is one VEX claim about one vulnerability.
type Statement struct {
	Vulnerability string   `json:"vulnerability"`
	Aliases       []string `json:"aliases,omitempty"`
	// Products are purls, image digests ("sha256:…") or image references
	// with a digest.
	Products []string `json:"products"`
	// Subcomponents narrow the statement to these package purls inside
	// the products.
	Subcomponents []string  `json:"subcomponents,omitempty"`
	Status        Status    `json:"status"`
	Justification string    `json:"justification,omitempty"`
	Impact        string    `json:"impact,omitempty"`
	Action        string    `json:"action,omitempty"`
	Timestamp     time.Time `json:"timestamp,omitzero"`
}

// Document is a parsed VEX file.
type Document struct {
	// Source names the file the statements came from.
	Source     string      `json:"source"`
	Format     string      `json:"format"`
	Statements []Statement `json:"statements"`
}

// Load reads and parses a VEX file of either format.
func Load(path string) (*Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading vex file: %w", err)
	}
	return Parse(data, path)
}

// Parse detects the format of data (OpenVEX or CycloneDX JSON) and
// parses it; source names the input in errors and suppressions.
func Parse(data []byte, source string) (*Document, error) {
	var probe struct {
		Context   any    `json:"@context"`
		BOMFormat string `json:"bomFormat"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%s: not a JSON VEX document: %w", source, err)
	}
	if ctx, ok := probe.Context.(string); ok && strings.Contains(ctx, "openvex") {
		return ParseOpenVEX(data, source)
	}
	if probe.BOMFormat == "CycloneDX" {
		return ParseCycloneDX(data, source)
	}
	return nil, fmt.Errorf("%s: neither OpenVEX (@context) nor CycloneDX (bomFormat)", source)
}

// Apply applies the statements of docs to findings in place. imageDigest
// is the scanned image's manifest digest ("" for directories), which
// product-level statements are matched against. When several statements
// match a finding, the newest (by timestamp, then by order) wins.
func Apply(findings []model.Finding, imageDigest string, docs []*Document) {
	for i := range findings {
		f := &findings[i]
		var (
			win    *Statement
			winSrc string
		)
		for _, d := range docs {
			for j := range d.Statements {
				st := &d.Statements[j]
				if !st.appliesTo(f, imageDigest) {
					continue
				}
				if win == nil || !st.Timestamp.Before(win.Timestamp) {
					win, winSrc = st, d.Source
				}
			}
		}
		if win == nil {
			continue
		}
		switch win.Status {
		case NotAffected, Fixed:
			if f.Suppressed != nil && f.Suppressed.Kind != "unreachable" {
				continue
			}
			reason := win.Impact
			if reason == "" {
				reason = "VEX: " + string(win.Status)
				if win.Justification != "" {
					reason += " (" + win.Justification + ")"
				}
			}
			f.Suppressed = &model.Suppression{Kind: "vex", Reason: reason, Source: winSrc, Justification: win.Justification}
		default:
			note := fmt.Sprintf("VEX %s: %s", winSrc, win.Status)
			for _, extra := range []string{win.Impact, win.Action} {
				if extra != "" {
					note += "; " + extra
				}
			}
			f.Notes = append(f.Notes, note)
		}
	}
}

func (st *Statement) appliesTo(f *model.Finding, digest string) bool {
	if !st.namesVuln(f) {
		return false
	}
	image, pkg := false, false
	for _, p := range st.Products {
		image = image || isImage(p, digest)
		pkg = pkg || purlMatches(p, f.Package.PURL)
	}
	if len(st.Subcomponents) == 0 {
		return image || pkg
	}
	if !image && !pkg {
		return false
	}
	for _, s := range st.Subcomponents {
		if purlMatches(s, f.Package.PURL) {
			return true
		}
	}
	return false
}

func (st *Statement) namesVuln(f *model.Finding) bool {
	ids := append([]string{st.Vulnerability}, st.Aliases...)
	for _, id := range ids {
		if id != "" && (strings.EqualFold(id, f.VulnID) || slices.ContainsFunc(f.Aliases, func(a string) bool { return strings.EqualFold(a, id) })) {
			return true
		}
	}
	return false
}

// isImage reports whether a product identifier names the image with this
// digest: the bare digest, a reference pinned to it, or a pkg:oci purl.
func isImage(product, digest string) bool {
	if digest == "" {
		return false
	}
	if strings.HasPrefix(product, "pkg:") {
		p, err := packageurl.FromString(product)
		return err == nil && p.Type == "oci" && p.Version == digest
	}
	if _, d, ok := strings.Cut(product, "@"); ok {
		return d == digest
	}
	return product == digest
}

// purlMatches compares type, namespace, name and (when the pattern has
// one) version; qualifiers and subpath are ignored.
func purlMatches(pattern, actual string) bool {
	if !strings.HasPrefix(pattern, "pkg:") || actual == "" {
		return false
	}
	p, err := packageurl.FromString(pattern)
	if err != nil {
		return false
	}
	a, err := packageurl.FromString(actual)
	if err != nil {
		return false
	}
	return p.Type == a.Type && p.Namespace == a.Namespace && p.Name == a.Name &&
		(p.Version == "" || p.Version == a.Version)
}

// stringOrID decodes either "x" or {"@id": "x"}, the two forms OpenVEX
// versions use for vulnerabilities, products and subcomponents.
func stringOrID(raw json.RawMessage, key string) (string, map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", nil, err
	}
	var s string
	if v, ok := m[key]; ok {
		if err := json.Unmarshal(v, &s); err != nil {
			return "", nil, err
		}
	}
	return s, m, nil
}
