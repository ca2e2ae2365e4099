package markdown

import (
	"bytes"
	"flag"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func write(t *testing.T, w *Writer, r *model.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := w.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	reporttest.Golden(t, "testdata/report.md", []byte(write(t, &Writer{}, reporttest.Report())), *update)
	reporttest.Golden(t, "testdata/report-all.md", []byte(write(t, &Writer{ShowSuppressed: true}, reporttest.Report())), *update)
	reporttest.Golden(t, "testdata/clean.md", []byte(write(t, &Writer{}, reporttest.Clean())), *update)
}

func TestFixableFirst(t *testing.T) {
	out := write(t, &Writer{}, reporttest.Report())
	top := out[strings.Index(out, "#### Top findings"):strings.Index(out, "<details>")]
	// libexpat1 (HIGH, no fix) comes after every fixable finding, even the
	// lower-rated ones would; apt (no fix) is last.
	if i, j := strings.Index(top, "CVE-2021-23337"), strings.Index(top, "CVE-2023-52425"); i < 0 || j < 0 || i > j {
		t.Errorf("fixable finding not before unfixable one:\n%s", top)
	}
	if !strings.Contains(out, "❌") || !strings.Contains(out, "| 1 | 5 | 0 | 0 | 1 | 0 |") || !strings.Contains(out, "3 suppressed · 1 unknown") {
		t.Errorf("verdict or counts missing:\n%s", out)
	}
	if strings.Contains(out, "CVE-2023-45853") {
		t.Error("suppressed finding listed without ShowSuppressed")
	}
}

func TestEscapesCells(t *testing.T) {
	r := reporttest.Report()
	r.Findings[0].Package.Name = "a|b<script>"
	out := write(t, &Writer{}, r)
	if strings.Contains(out, "a|b") || strings.Contains(out, "<script>") {
		t.Errorf("cell not escaped:\n%s", out)
	}
}
