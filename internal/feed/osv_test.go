package feed

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/osv"
)

func anyEcosystem(e string) (model.Ecosystem, string, bool) {
	switch e {
	case "Go":
		return model.EcosystemGo, "golang", true
	case "npm":
		return model.EcosystemNPM, "npm", true
	}
	return "", "", false
}

func mustOSV(t *testing.T, file string) *osv.Entry {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	e, err := osv.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestFromOSVGo(t *testing.T) {
	got := FromOSV(mustOSV(t, "GO-2024-2825.json"), "go", anyEcosystem)
	got.Vulnerability.Details = ""
	want := Record{
		Vulnerability: model.Vulnerability{
			ID:      "CVE-2024-24787",
			Aliases: []string{"GO-2024-2825"},
			Summary: "Arbitrary code execution during build on Darwin in cmd/go",
			References: []string{
				"https://go.dev/issue/67119", "https://go.dev/cl/583815",
				"https://groups.google.com/g/golang-announce/c/wkkO4P9stm0",
			},
		},
		Affected: []model.Affected{{
			VulnID: "CVE-2024-24787", Namespace: "golang", Ecosystem: model.EcosystemGo, Package: "toolchain",
			Ranges:    []model.Range{{Introduced: "0", Fixed: "1.21.10"}, {Introduced: "1.22.0-0", Fixed: "1.22.3"}},
			Status:    model.StatusFixed,
			Source:    "go",
			GoSymbols: []model.GoSymbols{{Package: "cmd/go", GOOS: []string{"darwin"}}},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
}

func TestFromOSVGHSA(t *testing.T) {
	got := FromOSV(mustOSV(t, "GHSA-29mw-wpgm-hmr9.json"), "ghsa", anyEcosystem)
	if got.Vulnerability.ID != "CVE-2020-28500" || !cmp.Equal(got.Vulnerability.Aliases, []string{"GHSA-29mw-wpgm-hmr9"}) {
		t.Errorf("ids: %s %v", got.Vulnerability.ID, got.Vulnerability.Aliases)
	}
	var trim model.Affected
	for _, a := range got.Affected {
		if a.Package == "lodash.trim" {
			trim = a
		}
	}
	wantTrim := model.Affected{
		VulnID: "CVE-2020-28500", Namespace: "npm", Ecosystem: model.EcosystemNPM, Package: "lodash.trim",
		Ranges: []model.Range{{Introduced: "0", LastAffected: "4.5.1"}}, Status: model.StatusAffected, Source: "ghsa",
	}
	if diff := cmp.Diff(wantTrim, trim); diff != "" {
		t.Errorf("last_affected entry (-want +got):\n%s", diff)
	}
	wantCWE := []string{"CWE-1333", "CWE-400"}
	if diff := cmp.Diff(wantCWE, got.Vulnerability.CWEs); diff != "" {
		t.Errorf("cwes (-want +got):\n%s", diff)
	}
}

func TestFromOSVSeverities(t *testing.T) {
	got := FromOSV(mustOSV(t, "GHSA-c427-hjc3-wrfw.json"), "ghsa", anyEcosystem)
	want := []model.Severity{
		{Source: "ghsa", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Rating: model.RatingCritical},
		{Source: "ghsa", Type: "CVSS_V4", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
		{Source: "ghsa", Type: "vendor", Rating: model.RatingCritical},
	}
	if diff := cmp.Diff(want, got.Vulnerability.Severities); diff != "" {
		t.Errorf("severities (-want +got):\n%s", diff)
	}
}

func TestFromOSVSkips(t *testing.T) {
	e := &osv.Entry{ID: "OSV-1", Affected: []osv.Affected{
		{Package: osv.Package{Ecosystem: "npm", Name: "git-only"}, Ranges: []osv.Range{{Type: "GIT", Events: []osv.Event{{Introduced: "abc"}}}}},
		{Package: osv.Package{Ecosystem: "Other", Name: "x"}, Versions: []string{"1"}},
		{Package: osv.Package{Ecosystem: "npm", Name: "kept"}, Versions: []string{"1.0.0"}},
	}}
	got := FromOSV(e, "t", anyEcosystem)
	if len(got.Affected) != 1 || got.Affected[0].Package != "kept" || got.Affected[0].Status != model.StatusAffected {
		t.Errorf("affected = %+v, want only the versions-listed npm package", got.Affected)
	}
}

func TestVendorRating(t *testing.T) {
	for word, want := range map[string]model.Rating{
		"MODERATE": model.RatingMedium, "Important": model.RatingHigh, "negligible": model.RatingNegligible,
		"unimportant": model.RatingNegligible, "critical": model.RatingCritical, "untriaged": model.RatingUnknown,
	} {
		if got := VendorRating(word); got != want {
			t.Errorf("VendorRating(%q) = %s, want %s", word, got, want)
		}
	}
}

func TestEachJSONForms(t *testing.T) {
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, name := range []string{"GHSA-1.json", "index/skip.txt", "GHSA-2.json"} {
		w, _ := zw.Create(name)
		w.Write([]byte(`{"id":"` + strings.TrimSuffix(name, ".json") + `"}`))
	}
	zw.Close()
	var gbuf bytes.Buffer
	gw := gzip.NewWriter(&gbuf)
	gw.Write([]byte("{\"id\":\"A\"}\n\n{\"id\":\"B\"}\n"))
	gw.Close()
	data := BytesData(map[string][]byte{
		"all.zip":      zbuf.Bytes(),
		"x.jsonl.gz":   gbuf.Bytes(),
		"one.json":     []byte(`{"id":"ONE"}`),
		"plain.jsonl":  []byte("{\"id\":\"P1\"}\n{\"id\":\"P2\"}"),
		"unknown.yaml": []byte("id: x"),
	})
	got := map[string][]string{}
	for _, name := range data.Files {
		err := EachJSON(context.Background(), data, name, func(where string, raw []byte) error {
			got[name] = append(got[name], where+" "+strings.TrimSpace(string(raw)))
			return nil
		})
		if name == "unknown.yaml" {
			if err == nil {
				t.Error("unknown.yaml: no error")
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	want := map[string][]string{
		"all.zip":     {`all.zip!GHSA-1.json {"id":"GHSA-1"}`, `all.zip!GHSA-2.json {"id":"GHSA-2"}`},
		"x.jsonl.gz":  {`x.jsonl.gz:1 {"id":"A"}`, `x.jsonl.gz:3 {"id":"B"}`},
		"one.json":    {`one.json {"id":"ONE"}`},
		"plain.jsonl": {`plain.jsonl:1 {"id":"P1"}`, `plain.jsonl:2 {"id":"P2"}`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestEachOSVNamesBadRecord(t *testing.T) {
	data := BytesData(map[string][]byte{"ghsa.jsonl": []byte("{\"id\":\"GHSA-1\"}\n{\"id\":\"\"}\n")})
	err := EachOSV(context.Background(), data, "ghsa.jsonl", func(string, *osv.Entry) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "ghsa.jsonl:2") {
		t.Fatalf("err = %v, want it to name ghsa.jsonl:2", err)
	}
}

func FuzzFromOSV(f *testing.F) {
	for _, name := range []string{"GO-2024-2825.json", "GHSA-29mw-wpgm-hmr9.json", "GHSA-c427-hjc3-wrfw.json"} {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := osv.Parse(raw)
		if err != nil {
			return
		}
		rec := FromOSV(e, "fuzz", anyEcosystem)
		for _, a := range rec.Affected {
			if a.Package == "" || a.Namespace == "" || a.VulnID != rec.Vulnerability.ID {
				t.Fatalf("bad affected entry %+v", a)
			}
		}
	})
}
