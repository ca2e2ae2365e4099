// Package sarif writes findings as SARIF 2.1.0 for GitHub code scanning
// and other SARIF readers: one rule per vulnerability id, one result per
// finding located at the file the package was found in.
package sarif

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Writer writes SARIF. SBOMs have no results; the format is for findings.
type Writer struct{}

const (
	schemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	infoURI   = "https://github.com/bulwark-security/bulwark"
	// fingerprintKey versions the fingerprint recipe: change the recipe,
	// change the key, or code scanning would re-open every alert.
	fingerprintKey = "bulwark/v1"
)

type log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []run  `json:"runs"`
}

type run struct {
	Tool    tool     `json:"tool"`
	Results []result `json:"results"`
	// AutomationDetails ties runs over the same image together in code
	// scanning, so alerts for one image do not close those of another.
	AutomationDetails *automation    `json:"automationDetails,omitempty"`
	Properties        map[string]any `json:"properties,omitempty"`
}

type automation struct {
	ID string `json:"id"`
}

type tool struct {
	Driver driver `json:"driver"`
}

type driver struct {
	Name           string `json:"name"`
	Version        string `json:"version,omitempty"`
	InformationURI string `json:"informationUri"`
	Rules          []rule `json:"rules"`
}

type message struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type rule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     message        `json:"shortDescription"`
	FullDescription      message        `json:"fullDescription"`
	HelpURI              string         `json:"helpUri,omitempty"`
	Help                 message        `json:"help"`
	DefaultConfiguration config         `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type config struct {
	Level string `json:"level"`
}

type result struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             message           `json:"message"`
	Locations           []location        `json:"locations"`
	Fingerprints        map[string]string `json:"fingerprints"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []suppression     `json:"suppressions,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type location struct {
	PhysicalLocation physical `json:"physicalLocation"`
}

type physical struct {
	ArtifactLocation artifact `json:"artifactLocation"`
	Region           region   `json:"region"`
}

type artifact struct {
	URI string `json:"uri"`
}

type region struct {
	StartLine int `json:"startLine"`
}

type suppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

// Write encodes r.
func (*Writer) Write(w io.Writer, r *model.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(build(r)); err != nil {
		return fmt.Errorf("sarif: %w", err)
	}
	return nil
}

func build(r *model.Report) *log {
	fs := model.SortedFindings(r.Findings)
	rules, index := rulesOf(fs)
	results := make([]result, 0, len(fs))
	image := cmp.Or(r.Inventory.Image.Name, r.Inventory.Image.Ref)
	for _, f := range fs {
		results = append(results, resultOf(&f, index[f.VulnID], image))
	}
	rn := run{
		Tool: tool{Driver: driver{
			Name: cmp.Or(r.Inventory.Scanner.Name, "bulwark"), Version: r.Inventory.Scanner.Version,
			InformationURI: infoURI, Rules: rules,
		}},
		Results: results,
	}
	if image != "" {
		rn.AutomationDetails = &automation{ID: "bulwark/" + image + "/"}
		rn.Properties = map[string]any{"imageRef": r.Inventory.Image.Ref, "imageDigest": r.Inventory.Image.Digest}
	}
	return &log{Schema: schemaURI, Version: "2.1.0", Runs: []run{rn}}
}

// rulesOf makes one rule per vulnerability id, rated by its worst finding
// (fs is sorted worst first), ordered by id for stable rule indexes.
func rulesOf(fs []model.Finding) ([]rule, map[string]int) {
	first := map[string]*model.Finding{}
	for i := range fs {
		if first[fs[i].VulnID] == nil {
			first[fs[i].VulnID] = &fs[i]
		}
	}
	ids := make([]string, 0, len(first))
	for id := range first {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	rules := make([]rule, len(ids))
	index := map[string]int{}
	for i, id := range ids {
		f := first[id]
		index[id] = i
		short := cmp.Or(f.Summary, id)
		url := model.AdvisoryURL(id)
		help := fmt.Sprintf("%s\nSeverity: %s", short, f.Severity)
		md := fmt.Sprintf("**%s** %s\n\n| Severity | CVSS | Fixed in |\n|---|---|---|\n| %s | %s | %s |",
			id, short, f.Severity, score(f), cmp.Or(strings.Join(f.FixedVersions, ", "), "no fix"))
		if len(f.Aliases) > 0 {
			help += "\nAliases: " + strings.Join(f.Aliases, ", ")
			md += "\n\nAliases: " + strings.Join(f.Aliases, ", ")
		}
		if url != "" {
			help += "\n" + url
			md += "\n\n[" + id + "](" + url + ")"
		}
		props := map[string]any{"tags": []string{"security", "vulnerability", strings.ToLower(string(f.Severity))}, "precision": "very-high"}
		if s := securitySeverity(f); s != "" {
			props["security-severity"] = s
		}
		rules[i] = rule{
			ID: id, ShortDescription: message{Text: short}, FullDescription: message{Text: short},
			HelpURI: url, Help: message{Text: help, Markdown: md},
			DefaultConfiguration: config{Level: level(f.Severity)}, Properties: props,
		}
	}
	return rules, index
}

func score(f *model.Finding) string {
	if f.CVSSScore == 0 {
		return "-"
	}
	return strconv.FormatFloat(f.CVSSScore, 'f', 1, 64)
}

// securitySeverity is GitHub code scanning's 0–10 score. GitHub derives
// the alert's severity from it (critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0,
// low > 0), so the CVSS score is used only when it falls in the band of
// Bulwark's rating — a vendor's rating wins over NVD's score — and a score
// inside the band is used otherwise.
func securitySeverity(f *model.Finding) string {
	lo, hi, def := 0.0, 0.0, ""
	switch f.Severity {
	case model.RatingCritical:
		lo, hi, def = 9.0, 10.0, "9.5"
	case model.RatingHigh:
		lo, hi, def = 7.0, 8.9, "8.0"
	case model.RatingMedium:
		lo, hi, def = 4.0, 6.9, "5.5"
	case model.RatingLow, model.RatingNegligible:
		lo, hi, def = 0.1, 3.9, "2.0"
	default:
		return ""
	}
	if f.CVSSScore >= lo && f.CVSSScore <= hi {
		return strconv.FormatFloat(f.CVSSScore, 'f', 1, 64)
	}
	return def
}

func level(r model.Rating) string {
	switch r {
	case model.RatingCritical, model.RatingHigh:
		return "error"
	case model.RatingMedium:
		return "warning"
	}
	return "note"
}

func resultOf(f *model.Finding, ruleIndex int, image string) result {
	p := &f.Package
	path := "/"
	if len(p.Locations) > 0 {
		path = p.Locations[0]
	}
	// Code scanning resolves URIs against the repository; image paths are
	// written relative so they stay valid URI references.
	uri := strings.TrimPrefix(path, "/")
	if uri == "" {
		uri = "."
	}
	text := fmt.Sprintf("%s %s (%s) in %s is affected by %s", p.Name, p.Version, p.Ecosystem, image, f.VulnID)
	if len(f.FixedVersions) > 0 {
		text += "; fixed in " + strings.Join(f.FixedVersions, ", ")
	} else {
		text += "; no fix available"
	}
	text += ". " + f.Reason
	fp := fingerprint(f, path)
	res := result{
		RuleID: f.VulnID, RuleIndex: ruleIndex, Level: level(f.Severity), Message: message{Text: text},
		Locations:           []location{{PhysicalLocation: physical{ArtifactLocation: artifact{URI: uri}, Region: region{StartLine: 1}}}},
		Fingerprints:        map[string]string{fingerprintKey: fp},
		PartialFingerprints: map[string]string{fingerprintKey: fp},
		Properties:          map[string]any{"purl": p.PURL, "installedVersion": p.Version, "severity": string(f.Severity)},
	}
	if p.Layer != nil {
		res.Properties["layerDiffID"] = p.Layer.DiffID
	}
	if f.Reachability != "" {
		res.Properties["reachability"] = string(f.Reachability)
	}
	if f.KEV {
		res.Properties["kev"] = true
	}
	if len(f.Notes) > 0 {
		res.Properties["notes"] = f.Notes
	}
	if s := f.Suppressed; s != nil {
		res.Suppressions = []suppression{{Kind: "external", Status: "accepted", Justification: s.Kind + ": " + s.Reason}}
	}
	return res
}

// fingerprint identifies a finding across runs: the vulnerability, the
// package and where it lives — not the image digest, the time or the
// installed version, so an upgrade that does not fix it keeps the alert.
func fingerprint(f *model.Finding, path string) string {
	h := sha256.Sum256([]byte(strings.Join([]string{f.VulnID, string(f.Package.Ecosystem), f.Package.Name, path}, "\x00")))
	return hex.EncodeToString(h[:16])
}
