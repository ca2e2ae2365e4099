package vex

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

type cdxComponent struct {
	BOMRef     string         `json:"bom-ref"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

type cdxDoc struct {
	BOMFormat string `json:"bomFormat"`
	Metadata  struct {
		Timestamp string        `json:"timestamp"`
		Component *cdxComponent `json:"component"`
	} `json:"metadata"`
	Components      []cdxComponent `json:"components"`
	Vulnerabilities []struct {
		ID         string `json:"id"`
		References []struct {
			ID string `json:"id"`
		} `json:"references"`
		Analysis *struct {
			State         string   `json:"state"`
			Justification string   `json:"justification"`
			Response      []string `json:"response"`
			Detail        string   `json:"detail"`
			LastUpdated   string   `json:"lastUpdated"`
		} `json:"analysis"`
		Affects []struct {
			Ref string `json:"ref"`
		} `json:"affects"`
	} `json:"vulnerabilities"`
}

// cdxStates maps CycloneDX impact analysis states onto VEX statuses.
var cdxStates = map[string]Status{
	"not_affected":           NotAffected,
	"false_positive":         NotAffected,
	"resolved":               Fixed,
	"resolved_with_pedigree": Fixed,
	"exploitable":            Affected,
	"in_triage":              UnderInvestigation,
}

// ParseCycloneDX parses the vulnerabilities[].analysis of a CycloneDX
// JSON document (a VEX or a BOM with embedded VEX). Vulnerabilities
// without an analysis carry no VEX claim and are skipped.
func ParseCycloneDX(data []byte, source string) (*Document, error) {
	var d cdxDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: invalid CycloneDX JSON: %w", source, err)
	}
	if d.BOMFormat != "CycloneDX" {
		return nil, fmt.Errorf("%s: bomFormat is %q, not CycloneDX", source, d.BOMFormat)
	}
	docTime, err := parseTime(d.Metadata.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("%s: metadata timestamp: %w", source, err)
	}
	refs := map[string]string{}
	var walk func([]cdxComponent)
	walk = func(cs []cdxComponent) {
		for _, c := range cs {
			if c.BOMRef != "" {
				refs[c.BOMRef] = c.PURL
			}
			walk(c.Components)
		}
	}
	walk(d.Components)
	if m := d.Metadata.Component; m != nil {
		walk([]cdxComponent{*m})
	}
	out := &Document{Source: source, Format: "cyclonedx"}
	for i, v := range d.Vulnerabilities {
		if v.Analysis == nil || v.Analysis.State == "" {
			continue
		}
		if v.ID == "" {
			return nil, fmt.Errorf("%s: vulnerability %d has no id", source, i+1)
		}
		status, ok := cdxStates[v.Analysis.State]
		if !ok {
			return nil, fmt.Errorf("%s: %s: unknown analysis state %q", source, v.ID, v.Analysis.State)
		}
		st := Statement{
			Vulnerability: v.ID, Status: status, Justification: v.Analysis.Justification,
			Impact: v.Analysis.Detail, Action: strings.Join(v.Analysis.Response, ", "), Timestamp: docTime,
		}
		if v.Analysis.LastUpdated != "" {
			t, err := time.Parse(time.RFC3339, v.Analysis.LastUpdated)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: lastUpdated: %w", source, v.ID, err)
			}
			st.Timestamp = t
		}
		for _, r := range v.References {
			if r.ID != "" && r.ID != v.ID {
				st.Aliases = append(st.Aliases, r.ID)
			}
		}
		for _, a := range v.Affects {
			if p := resolveRef(a.Ref, refs); p != "" {
				st.Products = append(st.Products, p)
			}
		}
		if len(st.Products) == 0 {
			return nil, fmt.Errorf("%s: %s: affects names no component with a purl", source, v.ID)
		}
		out.Statements = append(out.Statements, st)
	}
	return out, nil
}

// resolveRef turns an affects ref (a bom-ref, a BOM-Link
// "urn:cdx:serial/1#bom-ref", or a purl) into a purl.
func resolveRef(ref string, refs map[string]string) string {
	if p, ok := refs[ref]; ok {
		return p
	}
	if strings.HasPrefix(ref, "urn:cdx:") {
		if _, frag, ok := strings.Cut(ref, "#"); ok {
			if u, err := url.PathUnescape(frag); err == nil {
				frag = u
			}
			if p, ok := refs[frag]; ok {
				return p
			}
			ref = frag
		}
	}
	if strings.HasPrefix(ref, "pkg:") {
		return ref
	}
	return ""
}
