package junit

import (
	"bytes"
	"encoding/xml"
	"flag"
	"testing"

	"github.com/google/go-cmp/cmp"

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
	reporttest.Golden(t, "testdata/report.xml", write(t, reporttest.Report()), *update)
	reporttest.Golden(t, "testdata/clean.xml", write(t, reporttest.Clean()), *update)
}

func readBack(t *testing.T, data []byte) TestSuites {
	t.Helper()
	var ts TestSuites
	if err := xml.Unmarshal(data, &ts); err != nil {
		t.Fatalf("junit does not parse back: %v", err)
	}
	return ts
}

func failed(ts TestSuites) map[string]bool {
	out := map[string]bool{}
	for _, s := range ts.Suites {
		for _, c := range s.Cases {
			out[c.Name] = c.Failure != nil
		}
	}
	return out
}

func TestParsesBack(t *testing.T) {
	ts := readBack(t, write(t, reporttest.Report()))
	if ts.Tests != 10 || ts.Failures != 6 {
		t.Errorf("tests=%d failures=%d, want 10 and 6", ts.Tests, ts.Failures)
	}
	want := map[string]bool{
		"minimist@1.2.5: CVE-2021-44906":            true,
		"lodash@4.17.15: CVE-2020-8203":             true,
		"lodash@4.17.15: CVE-2021-23337":            true,
		"axios@0.21.1: CVE-2021-3749":               true,
		"golang.org/x/net@v0.10.0: CVE-2023-39325":  true,
		"libexpat1@2.5.0-1+deb12u5: CVE-2023-52425": true,
		// Suppressed, or not named by a failed rule: passed.
		"golang.org/x/crypto@v0.14.0: CVE-2023-48795":  false,
		"zlib1g@1:1.2.13.dfsg-1: CVE-2023-45853":       false,
		"login@1:4.13+dfsg1-1+deb12u2: CVE-2023-29383": false,
		"apt@2.6.2: CVE-2011-3374":                     false,
	}
	if diff := cmp.Diff(want, failed(ts)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var names []string
	for _, s := range ts.Suites {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{"bulwark deb packages", "bulwark golang packages", "bulwark npm packages"}, names); diff != "" {
		t.Errorf("suites (-want +got):\n%s", diff)
	}
}

// Without a decision every unsuppressed finding fails.
func TestNoDecision(t *testing.T) {
	r := reporttest.Report()
	r.Decision = nil
	ts := readBack(t, write(t, r))
	if ts.Failures != 7 {
		t.Errorf("failures=%d, want 7 (10 findings, 3 suppressed)", ts.Failures)
	}
}

func TestClean(t *testing.T) {
	ts := readBack(t, write(t, reporttest.Clean()))
	if ts.Tests != 1 || ts.Failures != 0 || len(ts.Suites) != 1 || ts.Suites[0].Cases[0].Failure != nil {
		t.Errorf("clean report: %+v", ts)
	}
}
