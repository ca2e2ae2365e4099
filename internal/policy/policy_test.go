package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
)

func ptr[T any](v T) *T { return &v }

func finding(id string, sev model.Rating, fixed bool) model.Finding {
	f := model.Finding{VulnID: id, State: model.MatchAffected, Severity: sev}
	if fixed {
		f.FixedVersions = []string{"1.2.3"}
	}
	return f
}

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	base := &model.Report{
		Findings: []model.Finding{
			finding("CVE-1", model.RatingCritical, false),
			finding("CVE-2", model.RatingHigh, true),
			finding("CVE-3", model.RatingLow, true),
			{VulnID: "CVE-4", State: model.MatchAffected, Severity: model.RatingCritical,
				Suppressed: &model.Suppression{Kind: "ignore", Reason: "accepted"}},
			{VulnID: "CVE-5", State: model.MatchAffected, Severity: model.RatingMedium, KEV: true, CVSSScore: 9.1, FixedVersions: []string{"2"}},
		},
		DB: &model.DBInfo{BuiltAt: now.Add(-48 * time.Hour)},
		Inventory: model.Inventory{Packages: []model.Package{
			{Ecosystem: model.EcosystemNPM, Name: "event-stream", Version: "3.3.6", PURL: "pkg:npm/event-stream@3.3.6"},
			{Ecosystem: model.EcosystemDeb, Name: "bash", Version: "5.2", Licenses: []string{"GPL-3.0-or-later"}},
		}},
	}
	tests := []struct {
		name     string
		rules    Rules
		pass     bool
		failed   []string
		failedID []string
	}{
		{"no rules pass", Rules{}, true, nil, nil},
		{"critical fails on unfixed critical", Rules{FailOn: "critical"}, false, []string{"failOn"}, []string{"CVE-1"}},
		{"critical fixable only passes", Rules{FailOn: "critical", IgnoreUnfixed: ptr(true)}, true, nil, nil},
		{"low counts everything not suppressed", Rules{FailOn: "low"}, false, []string{"failOn"}, []string{"CVE-1", "CVE-2", "CVE-3", "CVE-5"}},
		{"kev", Rules{FailOnKEV: ptr(true)}, false, []string{"failOnKEV"}, []string{"CVE-5"}},
		{"max cvss", Rules{MaxCVSS: ptr(9.0)}, false, []string{"maxCVSS"}, []string{"CVE-5"}},
		{"db age ok", Rules{MaxDBAge: Duration(72 * time.Hour)}, true, nil, nil},
		{"db age too old", Rules{MaxDBAge: Duration(24 * time.Hour)}, false, []string{"maxDBAge"}, nil},
		{"denied package by purl", Rules{DeniedPackages: []string{"pkg:npm/event-stream"}}, false, []string{"deniedPackages"}, nil},
		{"denied package prefix must end at a boundary", Rules{DeniedPackages: []string{"pkg:npm/event"}}, true, nil, nil},
		{"denied licence", Rules{DeniedLicenses: []string{"gpl-3.0-or-later"}}, false, []string{"licenses"}, nil},
		{"allowed licences", Rules{AllowedLicenses: []string{"MIT"}}, false, []string{"licenses"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(&Policy{Rules: tt.rules}, base, Context{Now: now})
			if d.Pass != tt.pass {
				t.Errorf("Pass = %v, want %v (%+v)", d.Pass, tt.pass, d.Reasons)
			}
			var failed, ids []string
			for _, r := range d.Reasons {
				if !r.Pass {
					failed = append(failed, r.Rule)
					ids = append(ids, r.VulnIDs...)
				}
				if r.Message == "" {
					t.Errorf("rule %s has no message", r.Rule)
				}
			}
			if diff := cmp.Diff(tt.failed, failed); diff != "" {
				t.Errorf("failed rules (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.failedID, ids); diff != "" {
				t.Errorf("failed ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	p, err := Parse([]byte(`
version: 1
name: org
failOn: high
overrides:
  - name: legacy
    images: ["registry.local/legacy/*"]
    rules: {failOn: critical}
  - name: system
    namespaces: ["kube-*"]
    rules: {failOn: negligible, ignoreUnfixed: true}
`), "bulwark.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, applied := p.Effective(Context{Image: "registry.local/legacy/app/api", Namespace: "default"})
	if r.FailOn != "critical" || len(applied) != 1 || applied[0] != "legacy" {
		t.Errorf("legacy image: got %+v %v", r, applied)
	}
	r, applied = p.Effective(Context{Image: "registry.local/web", Namespace: "kube-system"})
	if r.FailOn != "negligible" || !boolOf(r.IgnoreUnfixed) || len(applied) != 1 {
		t.Errorf("kube-system: got %+v %v", r, applied)
	}
	r, applied = p.Effective(Context{Image: "registry.local/web", Namespace: "default"})
	if r.FailOn != "high" || len(applied) != 0 {
		t.Errorf("default: got %+v %v", r, applied)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"", "empty policy file"},
		{"version: 2\n", "version: 2 is not supported"},
		{"version: 1\nfailon: high\n", "field failon not found"},
		{"version: 1\nfailOn: severe\n", `unknown severity "severe"`},
		{"version: 1\nmaxDBAge: soon\n", `invalid duration "soon"`},
		{"version: 1\nmaxCVSS: 11\n", "outside 0–10"},
		{"version: 1\noverrides:\n  - name: x\n    rules: {failOn: low}\n", "set at least one of"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.doc), "p.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want it to contain %q", tt.doc, err, tt.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "p.yaml") {
			t.Errorf("error %q does not name the file", err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"72h": 72 * time.Hour, "3d": 72 * time.Hour, "90m": 90 * time.Minute} {
		got, err := ParseDuration(in)
		if err != nil || time.Duration(got) != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("version: 1\nfailOn: high\n"))
	f.Add([]byte("version: 1\noverrides:\n  - name: a\n    namespaces: [x]\n    rules: {maxDBAge: 3d}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml")
		if err == nil {
			Evaluate(p, &model.Report{}, Context{})
		}
	})
}
