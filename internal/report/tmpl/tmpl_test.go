package tmpl

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestGolden(t *testing.T) {
	for _, name := range []string{"csv", "summary"} {
		text, err := os.ReadFile("testdata/" + name + ".tmpl")
		if err != nil {
			t.Fatal(err)
		}
		w, err := New(string(text))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := w.Write(&b, reporttest.Report()); err != nil {
			t.Fatal(err)
		}
		reporttest.Golden(t, "testdata/"+name+".golden", b.Bytes(), *update)
	}
}

func TestErrors(t *testing.T) {
	if _, err := New("  "); !errors.Is(err, ErrNoTemplate) {
		t.Errorf("empty template: %v", err)
	}
	if _, err := New("{{.Findings"); err == nil || !strings.Contains(err.Error(), "report:1") {
		t.Errorf("parse error should name the line: %v", err)
	}
	w, err := New("{{.NoSuchField}}")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&bytes.Buffer{}, reporttest.Report()); err == nil {
		t.Error("unknown field executed without error")
	}
}
