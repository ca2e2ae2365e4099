package table

import (
	"bytes"
	"flag"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func render(t *testing.T, w *Writer, r *model.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := w.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for name, tc := range map[string]struct {
		w *Writer
		r *model.Report
	}{
		"sbom":           {&Writer{SBOMOnly: true}, reporttest.Report()},
		"report":         {&Writer{}, reporttest.Report()},
		"report-all":     {&Writer{ShowSuppressed: true}, reporttest.Report()},
		"report-color":   {&Writer{Color: true}, reporttest.Report()},
		"clean":          {&Writer{}, reporttest.Clean()},
		"unknown-distro": {&Writer{SBOMOnly: true}, &model.Report{Inventory: model.Inventory{Image: model.Image{Ref: "dir:./rootfs"}}}},
	} {
		reporttest.Golden(t, "testdata/"+name+".txt", []byte(render(t, tc.w, tc.r)), *update)
	}
}

func TestColor(t *testing.T) {
	plain := render(t, &Writer{}, reporttest.Report())
	if strings.Contains(plain, "\x1b[") {
		t.Error("escape sequences without Color")
	}
	colored := render(t, &Writer{Color: true}, reporttest.Report())
	if !strings.Contains(colored, "\x1b[1;31mCRITICAL\x1b[0m") {
		t.Error("CRITICAL not coloured with Color")
	}
}

func TestOrderAndSuppression(t *testing.T) {
	out := render(t, &Writer{}, reporttest.Report())
	// Worst package first; within lodash the ids are ordered.
	order := []string{"minimist 1.2.5", "CVE-2020-8203", "CVE-2021-23337", "apt 2.6.2"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order in:\n%s", s, out)
		}
		last = i
	}
	if strings.Contains(out, "CVE-2023-45853") {
		t.Error("suppressed finding shown without ShowSuppressed")
	}
	if !strings.Contains(out, "3 suppressed (hidden") || !strings.Contains(out, "1 package(s) not checked") || !strings.Contains(out, "FAIL") {
		t.Errorf("summary incomplete:\n%s", out)
	}
	all := render(t, &Writer{ShowSuppressed: true}, reporttest.Report())
	if !strings.Contains(all, "CVE-2023-45853") || !strings.Contains(all, "suppressed (ignore)") {
		t.Error("ShowSuppressed does not list suppressed findings")
	}
}
