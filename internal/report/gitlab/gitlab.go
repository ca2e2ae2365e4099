// Package gitlab writes GitLab's container-scanning report (schema
// 15.0.7), which GitLab reads from the `container_scanning` artifact of a
// job and shows in merge requests and the vulnerability report.
package gitlab

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
)

// SchemaVersion is the report schema version written.
const SchemaVersion = "15.0.7"

// Writer writes the report. Suppressed findings are left out: GitLab
// would open a vulnerability record for every entry, and the suppression
// is already a decision recorded in Bulwark's own outputs.
type Writer struct{}

type report struct {
	Version         string          `json:"version"`
	Vulnerabilities []vulnerability `json:"vulnerabilities"`
	Remediations    []any           `json:"remediations"`
	Scan            scan            `json:"scan"`
}

type vulnerability struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Severity    string       `json:"severity"`
	Solution    string       `json:"solution,omitempty"`
	Identifiers []identifier `json:"identifiers"`
	Links       []link       `json:"links,omitempty"`
	Location    location     `json:"location"`
}

type identifier struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

type link struct {
	URL string `json:"url"`
}

type location struct {
	Dependency      dependency `json:"dependency"`
	OperatingSystem string     `json:"operating_system"`
	Image           string     `json:"image"`
}

type dependency struct {
	Package struct {
		Name string `json:"name"`
	} `json:"package"`
	Version string `json:"version"`
}

type scan struct {
	Analyzer  component `json:"analyzer"`
	Scanner   component `json:"scanner"`
	Type      string    `json:"type"`
	StartTime string    `json:"start_time"`
	EndTime   string    `json:"end_time"`
	Status    string    `json:"status"`
}

type component struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	URL     string `json:"url,omitempty"`
	Version string `json:"version"`
	Vendor  struct {
		Name string `json:"name"`
	} `json:"vendor"`
}

// gitlabTime is the schema's date-time form: no zone, no fraction.
const gitlabTime = "2006-01-02T15:04:05"

// Write encodes r.
func (*Writer) Write(w io.Writer, r *model.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(build(r)); err != nil {
		return fmt.Errorf("gitlab report: %w", err)
	}
	return nil
}

func build(r *model.Report) *report {
	inv := &r.Inventory
	image := imageName(&inv.Image)
	osName := "unknown"
	if d := inv.Distro; !d.Unknown() {
		osName = strings.TrimSpace(d.ID + " " + d.VersionID)
	}
	out := &report{Version: SchemaVersion, Vulnerabilities: []vulnerability{}, Remediations: []any{}}
	for _, f := range model.SortedFindings(r.Findings) {
		if f.Suppressed != nil {
			continue
		}
		out.Vulnerabilities = append(out.Vulnerabilities, vuln(&f, image, osName))
	}
	tool := component{ID: "bulwark", Name: "Bulwark", URL: "https://github.com/bulwark-security/bulwark", Version: cmp.Or(inv.Scanner.Version, "unknown")}
	tool.Vendor.Name = "Bulwark"
	start := cmp.Or(inv.CreatedAt, r.CreatedAt)
	end := cmp.Or(r.CreatedAt, start)
	out.Scan = scan{
		Analyzer: tool, Scanner: tool, Type: "container_scanning",
		StartTime: start.UTC().Format(gitlabTime), EndTime: end.UTC().Format(gitlabTime), Status: "success",
	}
	return out
}

// imageName is the reference GitLab shows and groups findings by: a
// name:tag when known, else the reference the user gave.
func imageName(im *model.Image) string {
	if len(im.Tags) > 0 {
		return im.Tags[0]
	}
	return cmp.Or(im.Name, im.Ref)
}

func severity(r model.Rating) string {
	switch r {
	case model.RatingCritical:
		return "Critical"
	case model.RatingHigh:
		return "High"
	case model.RatingMedium:
		return "Medium"
	case model.RatingLow:
		return "Low"
	case model.RatingNegligible:
		return "Info"
	}
	return "Unknown"
}

func vuln(f *model.Finding, image, osName string) vulnerability {
	p := &f.Package
	v := vulnerability{
		// GitLab tracks a vulnerability by this id across pipelines; it is
		// derived from the finding's identity, never from the run.
		ID:          stableUUID(f.VulnID + "\x00" + string(p.Ecosystem) + "\x00" + p.Name + "\x00" + image),
		Name:        fmt.Sprintf("%s in %s", f.VulnID, p.Name),
		Description: strings.TrimSpace(f.Summary + "\n\n" + f.Reason),
		Severity:    severity(f.Severity),
		Location:    location{OperatingSystem: osName, Image: image},
	}
	v.Location.Dependency.Package.Name = p.Name
	v.Location.Dependency.Version = p.Version
	if len(f.FixedVersions) > 0 {
		v.Solution = fmt.Sprintf("Upgrade %s to %s or later.", p.Name, strings.Join(f.FixedVersions, " or "))
	}
	for _, id := range append([]string{f.VulnID}, f.Aliases...) {
		v.Identifiers = append(v.Identifiers, identifier{Type: idType(id), Name: id, Value: id, URL: model.AdvisoryURL(id)})
		if u := model.AdvisoryURL(id); u != "" {
			v.Links = append(v.Links, link{URL: u})
		}
	}
	return v
}

func idType(id string) string {
	t, _, _ := strings.Cut(id, "-")
	return strings.ToLower(cmp.Or(t, "bulwark"))
}

func stableUUID(seed string) string {
	h := sha256.Sum256([]byte(seed))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
