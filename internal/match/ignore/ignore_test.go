package ignore

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
)

func TestParse(t *testing.T) {
	in := `ignore:
  - id: CVE-2023-4911
    package: libc6
    purl: pkg:deb/debian/libc6
    path: /usr/lib/*
    reason: no setuid binaries
    owner: platform-team
    expires: 2025-06-30
`
	f, err := Parse([]byte(in), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{{
		ID: "CVE-2023-4911", Package: "libc6", PURL: "pkg:deb/debian/libc6", Path: "/usr/lib/*",
		Reason: "no setuid binaries", Owner: "platform-team",
		Expires: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), Line: 2,
	}}
	if diff := cmp.Diff(want, f.Entries); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "ignore:\n", "# nothing yet\n"} {
		f, err := Parse([]byte(in), "x.yaml")
		if err != nil || len(f.Entries) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want no entries", in, f, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ignore:\n  - id: CVE-1\n    reason: r\n    expiry: 2024-01-01\n", `x.yaml:4: unknown key "expiry" in ignore entry`},
		{"ignore:\n  - id: CVE-1\n", "x.yaml:2: ignore entry CVE-1: reason is required"},
		{"ignore:\n  - reason: r\n", "x.yaml:2: ignore entry without id"},
		{"ignore:\n  - id: CVE-1\n    reason: r\n    expires: 2024-13-01\n", `x.yaml:4: expires "2024-13-01": want a date YYYY-MM-DD`},
		{"ignore:\n  - id: CVE-1\n    reason: r\n    expires: 1/1/2024\n", `x.yaml:4: expires "1/1/2024"`},
		{"ignores:\n  - id: CVE-1\n", `x.yaml:1: unknown key "ignores" (allowed: ignore)`},
		{"- id: CVE-1\n", `x.yaml:1: want a mapping`},
		{"ignore: CVE-1\n", "x.yaml:1: ignore must be a list"},
		{"ignore:\n  - CVE-1\n", "x.yaml:2: an ignore entry must be a mapping"},
		{"ignore:\n  - id: CVE-1\n    id: CVE-2\n    reason: r\n", `x.yaml:3: key "id" given twice`},
		{"ignore:\n  - id: [CVE-1]\n    reason: r\n", "x.yaml:2: id must be a single value"},
		{"ignore:\n  - id: CVE-1\n    reason: r\n    purl: npm/lodash\n", `x.yaml:4: purl "npm/lodash"`},
		{"ignore:\n  - id: CVE-1\n    reason: r\n    path: /a/[\n", `x.yaml:4: path "/a/["`},
		{"ignore: [\n", "x.yaml: yaml:"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestApply(t *testing.T) {
	f := &File{Source: "i.yaml", Entries: []Entry{
		{ID: "CVE-1", Package: "Flask", Reason: "r1", Line: 2},
		{ID: "GHSA-2", Path: "/srv", Reason: "r2", Line: 5, Owner: "o",
			Expires: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "CVE-3", PURL: "pkg:npm/a@1.0.0", Reason: "r3", Line: 8},
	}}
	fs := []model.Finding{
		{VulnID: "CVE-1", Package: model.PackageRef{Ecosystem: model.EcosystemPyPI, Name: "flask"}},
		{VulnID: "CVE-1", Package: model.PackageRef{Ecosystem: model.EcosystemPyPI, Name: "django"}},
		{VulnID: "CVE-2", Aliases: []string{"GHSA-2"}, Package: model.PackageRef{Name: "x", Locations: []string{"/srv/app/lock"}}},
		{VulnID: "CVE-3", Package: model.PackageRef{PURL: "pkg:npm/a@1.0.0?x=y"}},
		{VulnID: "CVE-3", Package: model.PackageRef{PURL: "pkg:npm/a@1.0.1"}},
		{VulnID: "CVE-1", Package: model.PackageRef{Ecosystem: model.EcosystemPyPI, Name: "flask"},
			Suppressed: &model.Suppression{Kind: "vex", Reason: "v"}},
	}
	warnings := f.Apply(fs, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	var got []string
	for _, fd := range fs {
		s := "-"
		if fd.Suppressed != nil {
			s = fd.Suppressed.Kind + ":" + fd.Suppressed.Reason
		}
		got = append(got, s)
	}
	want := []string{"ignore:r1", "-", "-", "ignore:r3", "-", "vex:v"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suppressions (-want +got):\n%s", diff)
	}
	wantW := []string{"ignore entry GHSA-2 expired on 2024-01-01 (owner o): it no longer suppresses 1 finding(s) [i.yaml:5]"}
	if diff := cmp.Diff(wantW, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// The day before expiry the entry still applies.
	fs[2].Suppressed = nil
	if w := f.Apply(fs, time.Date(2023, 12, 31, 23, 0, 0, 0, time.UTC)); len(w) != 0 || fs[2].Suppressed == nil {
		t.Errorf("entry before its expiry: warnings %v, suppressed %v", w, fs[2].Suppressed)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("ignore:\n  - id: CVE-1\n    reason: r\n    expires: 2024-01-01\n"))
	f.Add([]byte("ignore: [\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		for _, e := range file.Entries {
			if e.ID == "" || e.Reason == "" {
				t.Fatalf("entry without id or reason accepted: %+v", e)
			}
		}
	})
}
