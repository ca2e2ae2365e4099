package debian

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
)

// releases maps Debian codenames to the release part of the namespace.
// sid has no number: it is "debian:unstable".
var releases = map[string]string{
	"jessie":   "8",
	"stretch":  "9",
	"buster":   "10",
	"bullseye": "11",
	"bookworm": "12",
	"trixie":   "13",
	"forky":    "14",
	"duke":     "15",
	"sid":      "unstable",
}

// Namespace returns "debian:<release>" for a codename, "" when unknown.
func Namespace(codename string) string {
	codename = strings.TrimSuffix(strings.ToLower(codename), "-security")
	if r, ok := releases[codename]; ok {
		return "debian:" + r
	}
	return ""
}

// trackerRelease is one release's view of one (package, CVE) in the
// security tracker.
type trackerRelease struct {
	Status       string `json:"status"`
	FixedVersion string `json:"fixed_version"`
	Urgency      string `json:"urgency"`
	NoDSA        string `json:"nodsa"`
	NoDSAReason  string `json:"nodsa_reason"`
}

// TrackerAffected maps one tracker statement to an affected entry; ok is
// false for statements that say nothing usable (an unknown status, or
// "resolved" without a version).
//
//	resolved, fixed_version "0"        → not-affected
//	resolved, fixed_version v          → fixed, range {fixed: v}
//	urgency "end-of-life"              → end-of-life
//	open, nodsa_reason "ignored"       → will-not-fix (nodsa text as note)
//	open, nodsa_reason "postponed"     → fix-deferred (nodsa text as note)
//	open                               → affected (nodsa text, e.g. "Minor issue", as note)
//	undetermined                       → under-investigation
func TrackerAffected(cve, ns, pkg string, r trackerRelease) (model.Affected, bool) {
	a := model.Affected{
		VulnID:    cve,
		Namespace: ns,
		Ecosystem: model.EcosystemDeb,
		Package:   pkg,
		Urgency:   strings.TrimSpace(r.Urgency),
		Note:      strings.TrimSpace(r.NoDSA),
		Source:    "debian",
	}
	switch {
	case r.Status == "resolved" && r.FixedVersion == "0":
		a.Status = model.StatusNotAffected
	case r.Status == "resolved" && r.FixedVersion != "":
		a.Status = model.StatusFixed
		a.Ranges = []model.Range{{Fixed: r.FixedVersion}}
	case r.Status == "resolved":
		return model.Affected{}, false
	case a.Urgency == "end-of-life":
		a.Status = model.StatusEndOfLife
	case r.Status == "open" && r.NoDSAReason == "ignored":
		a.Status = model.StatusWillNotFix
	case r.Status == "open" && r.NoDSAReason == "postponed":
		a.Status = model.StatusFixDeferred
	case r.Status == "open":
		a.Status = model.StatusAffected
	case r.Status == "undetermined":
		a.Status = model.StatusUnderInvestigation
	default:
		return model.Affected{}, false
	}
	return a, true
}

// trackerSet collects tracker statements grouped by CVE, because the
// upstream document is grouped by package.
type trackerSet struct {
	vulns map[string]*feed.Record
	order []string
}

func newTrackerSet() *trackerSet { return &trackerSet{vulns: map[string]*feed.Record{}} }

func (t *trackerSet) add(cve, description string, a model.Affected) {
	rec, ok := t.vulns[cve]
	if !ok {
		rec = &feed.Record{Vulnerability: model.Vulnerability{ID: cve, Details: description}}
		t.vulns[cve] = rec
		t.order = append(t.order, cve)
	}
	if rec.Vulnerability.Details == "" {
		rec.Vulnerability.Details = description
	}
	rec.Affected = append(rec.Affected, a)
}

// readTrackerUpstream reads the tracker's whole-database JSON,
// {package: {cve: {description, releases: {codename: {...}}}}}, one
// package at a time so the document is never held whole.
func (t *trackerSet) readUpstream(ctx context.Context, r io.Reader, name string) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		pkg, _ := tok.(string)
		var cves map[string]struct {
			Description string                    `json:"description"`
			Releases    map[string]trackerRelease `json:"releases"`
		}
		if err := dec.Decode(&cves); err != nil {
			return fmt.Errorf("%s: package %q: %w", name, pkg, err)
		}
		for cve, c := range cves {
			for codename, rel := range c.Releases {
				ns := Namespace(codename)
				if ns == "" {
					continue
				}
				if a, ok := TrackerAffected(cve, ns, pkg, rel); ok {
					t.add(cve, c.Description, a)
				}
			}
		}
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

// trackerCVE is the per-CVE form of the tracker data found in feed
// bundles (tracker-api-<codename>-samples/YYYY/CVE-….json): one release,
// named by the folder, with a list of packages.
type trackerCVE struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Packages    []struct {
		Name string `json:"name"`
		trackerRelease
		Repository []struct {
			Name string `json:"name"`
		} `json:"repository"`
	} `json:"packages"`
}

var bundleRelease = regexp.MustCompile(`tracker-api-([a-z]+)`)

// readPerCVE reads one per-CVE tracker file.
func (t *trackerSet) readPerCVE(raw []byte, where string) error {
	var c trackerCVE
	if err := json.Unmarshal(raw, &c); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if c.ID == "" {
		return fmt.Errorf("%s: tracker record has no id", where)
	}
	folderNS := ""
	if m := bundleRelease.FindStringSubmatch(where); m != nil {
		folderNS = Namespace(m[1])
	}
	for _, p := range c.Packages {
		ns := folderNS
		if ns == "" && len(p.Repository) > 0 {
			ns = Namespace(p.Repository[0].Name)
		}
		if ns == "" || p.Name == "" {
			continue
		}
		if a, ok := TrackerAffected(c.ID, ns, p.Name, p.trackerRelease); ok {
			t.add(c.ID, c.Description, a)
		}
	}
	return nil
}
