package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/report/reporttest"
)

// Every format renders the fixture, and the SBOM formats read back into
// the same inventory through DecodeSBOM.
func TestEveryFormat(t *testing.T) {
	for _, name := range Formats() {
		opts := Options{Template: "{{len .Findings}} findings"}
		w, err := New(name, opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var b bytes.Buffer
		if err := w.Write(&b, reporttest.Report()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b.Len() == 0 {
			t.Errorf("%s: empty output", name)
		}
	}
	want := reporttest.Inventory()
	for _, name := range []string{"cyclonedx", "spdx"} {
		w, _ := New(name, Options{SBOMOnly: true})
		var b bytes.Buffer
		if err := w.Write(&b, reporttest.Report()); err != nil {
			t.Fatal(err)
		}
		got, err := DecodeSBOM(&b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", name, diff)
		}
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New("xml", Options{}); !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "sarif") {
		t.Errorf("unknown format: %v", err)
	}
	if _, err := New("sarif", Options{SBOMOnly: true}); !errors.Is(err, ErrNotSBOMFormat) {
		t.Errorf("sarif for an SBOM: %v", err)
	}
	if _, err := New("template", Options{}); err == nil {
		t.Error("template without text accepted")
	}
	if _, err := New(" CycloneDX-JSON ", Options{}); err != nil {
		t.Errorf("alias: %v", err)
	}
}
