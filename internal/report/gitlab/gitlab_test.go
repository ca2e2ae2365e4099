package gitlab

import (
	"bytes"
	"encoding/json"
	"flag"
	"regexp"
	"testing"

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
	reporttest.Golden(t, "testdata/report.json", write(t, reporttest.Report()), *update)
	reporttest.Golden(t, "testdata/clean.json", write(t, reporttest.Clean()), *update)
}

// TestShape checks the rules of GitLab's container-scanning schema 15.x
// that a report can break: required fields, the severity vocabulary, the
// zone-less time format, unique ids.
func TestShape(t *testing.T) {
	var doc struct {
		Version         string `json:"version"`
		Vulnerabilities []struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			Severity    string `json:"severity"`
			Identifiers []struct {
				Type, Name, Value string
			} `json:"identifiers"`
			Location struct {
				Dependency struct {
					Package struct {
						Name string `json:"name"`
					} `json:"package"`
					Version string `json:"version"`
				} `json:"dependency"`
				OperatingSystem string `json:"operating_system"`
				Image           string `json:"image"`
			} `json:"location"`
		} `json:"vulnerabilities"`
		Scan struct {
			Type      string `json:"type"`
			Status    string `json:"status"`
			StartTime string `json:"start_time"`
			EndTime   string `json:"end_time"`
			Scanner   struct {
				ID, Name, Version string
				Vendor            struct{ Name string }
			} `json:"scanner"`
			Analyzer struct{ ID, Name, Version string } `json:"analyzer"`
		} `json:"scan"`
	}
	if err := json.Unmarshal(write(t, reporttest.Report()), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "15.0.7" || doc.Scan.Type != "container_scanning" || doc.Scan.Status != "success" {
		t.Errorf("header: %+v", doc)
	}
	stamp := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)
	if !stamp.MatchString(doc.Scan.StartTime) || !stamp.MatchString(doc.Scan.EndTime) {
		t.Errorf("times %q %q do not match GitLab's pattern", doc.Scan.StartTime, doc.Scan.EndTime)
	}
	if doc.Scan.Scanner.ID == "" || doc.Scan.Scanner.Vendor.Name == "" || doc.Scan.Analyzer.ID == "" {
		t.Errorf("scanner/analyzer incomplete: %+v", doc.Scan)
	}
	if len(doc.Vulnerabilities) != 7 {
		t.Errorf("%d vulnerabilities, want the 7 unsuppressed findings", len(doc.Vulnerabilities))
	}
	severities := map[string]bool{"Info": true, "Unknown": true, "Low": true, "Medium": true, "High": true, "Critical": true}
	ids := map[string]bool{}
	for _, v := range doc.Vulnerabilities {
		if ids[v.ID] || v.ID == "" {
			t.Errorf("id %q empty or repeated", v.ID)
		}
		ids[v.ID] = true
		if !severities[v.Severity] {
			t.Errorf("%s: severity %q", v.Name, v.Severity)
		}
		if len(v.Identifiers) == 0 || v.Identifiers[0].Type == "" || v.Location.Dependency.Package.Name == "" ||
			v.Location.Dependency.Version == "" || v.Location.Image == "" || v.Location.OperatingSystem != "debian 12" {
			t.Errorf("%s: incomplete: %+v", v.Name, v)
		}
	}
}
