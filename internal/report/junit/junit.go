// Package junit writes findings as JUnit XML so that Jenkins, GitLab and
// other CI systems show them as test results: one test suite per
// ecosystem, one test case per finding, failed when the policy counts it.
package junit

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Writer writes JUnit XML.
type Writer struct{}

// TestSuites is the document root; exported so tests and callers can read
// a report back with encoding/xml.
type TestSuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Suites   []TestSuite `xml:"testsuite"`
}

// TestSuite groups the findings of one ecosystem.
type TestSuite struct {
	Name      string     `xml:"name,attr"`
	Tests     int        `xml:"tests,attr"`
	Failures  int        `xml:"failures,attr"`
	Errors    int        `xml:"errors,attr"`
	Skipped   int        `xml:"skipped,attr"`
	Timestamp string     `xml:"timestamp,attr,omitempty"`
	Cases     []TestCase `xml:"testcase"`
}

// TestCase is one finding.
type TestCase struct {
	Name      string   `xml:"name,attr"`
	ClassName string   `xml:"classname,attr"`
	Failure   *Failure `xml:"failure,omitempty"`
	SystemOut string   `xml:"system-out,omitempty"`
}

// Failure marks a finding the policy counts.
type Failure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// Write encodes r.
func (*Writer) Write(w io.Writer, r *model.Report) error {
	doc := build(r)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	return nil
}

func build(r *model.Report) *TestSuites {
	image := cmp.Or(r.Inventory.Image.Name, r.Inventory.Image.Ref, "scan")
	doc := &TestSuites{Name: "bulwark " + image}
	var stamp string
	if !r.CreatedAt.IsZero() {
		stamp = r.CreatedAt.UTC().Format(time.RFC3339)
	}
	byEco := map[model.Ecosystem]*TestSuite{}
	var ecos []model.Ecosystem
	for _, f := range model.SortedFindings(r.Findings) {
		s := byEco[f.Package.Ecosystem]
		if s == nil {
			s = &TestSuite{Name: "bulwark " + string(f.Package.Ecosystem) + " packages", Timestamp: stamp}
			byEco[f.Package.Ecosystem] = s
			ecos = append(ecos, f.Package.Ecosystem)
		}
		s.Cases = append(s.Cases, testCase(r, &f))
	}
	slices.Sort(ecos)
	for _, e := range ecos {
		doc.Suites = append(doc.Suites, *byEco[e])
	}
	if len(doc.Suites) == 0 {
		doc.Suites = []TestSuite{{
			Name: "bulwark vulnerabilities", Timestamp: stamp,
			Cases: []TestCase{{Name: "no vulnerabilities found in " + image, ClassName: "bulwark"}},
		}}
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		s.Tests = len(s.Cases)
		for _, c := range s.Cases {
			if c.Failure != nil {
				s.Failures++
			}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
	}
	return doc
}

func testCase(r *model.Report, f *model.Finding) TestCase {
	p := &f.Package
	tc := TestCase{
		// Package first: CI systems sort and group test names.
		Name:      fmt.Sprintf("%s@%s: %s", p.Name, p.Version, f.VulnID),
		ClassName: string(p.Ecosystem) + "." + p.Name,
	}
	var detail strings.Builder
	fmt.Fprintf(&detail, "%s %s in %s %s (%s)\n", f.Severity, f.VulnID, p.Name, p.Version, p.Ecosystem)
	if f.Summary != "" {
		fmt.Fprintf(&detail, "%s\n", f.Summary)
	}
	fmt.Fprintf(&detail, "Fixed in: %s\n", cmp.Or(strings.Join(f.FixedVersions, ", "), "no fix available"))
	if len(p.Locations) > 0 {
		fmt.Fprintf(&detail, "Location: %s\n", strings.Join(p.Locations, ", "))
	}
	if p.Layer != nil {
		fmt.Fprintf(&detail, "Layer: %d %s\n", p.Layer.Index, p.Layer.CreatedBy)
	}
	fmt.Fprintf(&detail, "Reason: %s\n", f.Reason)
	if u := model.AdvisoryURL(f.VulnID); u != "" {
		fmt.Fprintf(&detail, "%s\n", u)
	}
	switch {
	case r.Counted(f):
		tc.Failure = &Failure{
			Message: fmt.Sprintf("%s %s in %s %s", f.Severity, f.VulnID, p.Name, p.Version),
			Type:    string(f.Severity), Text: detail.String(),
		}
	case f.Suppressed != nil:
		tc.SystemOut = fmt.Sprintf("suppressed (%s): %s\n%s", f.Suppressed.Kind, f.Suppressed.Reason, detail.String())
	default:
		tc.SystemOut = "not counted by the policy\n" + detail.String()
	}
	return tc
}
