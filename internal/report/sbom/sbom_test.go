package sbom

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func writeCDX(t *testing.T, sbomOnly bool, r *model.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (&CycloneDX{SBOMOnly: sbomOnly}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeSPDX(t *testing.T, r *model.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (&SPDX{}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	r := reporttest.Report()
	reporttest.Golden(t, "testdata/report.cdx.json", writeCDX(t, false, r), *update)
	reporttest.Golden(t, "testdata/sbom.cdx.json", writeCDX(t, true, r), *update)
	reporttest.Golden(t, "testdata/sbom.spdx.json", writeSPDX(t, r), *update)
}

// cycloneDXSchema compiles the official CycloneDX 1.6 schema (with the
// SPDX licence list and JSF schemas it references) from testdata.
func cycloneDXSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, name := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		f, err := os.Open(filepath.Join("testdata/schema", name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+name, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCycloneDXValidatesAgainstOfficialSchema(t *testing.T) {
	s := cycloneDXSchema(t)
	for name, doc := range map[string][]byte{
		"report":   writeCDX(t, false, reporttest.Report()),
		"sbom":     writeCDX(t, true, reporttest.Report()),
		"clean":    writeCDX(t, false, reporttest.Clean()),
		"empty":    writeCDX(t, false, &model.Report{}),
		"unusual":  writeCDX(t, false, unusual()),
		"negative": []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"vulnerabilities":[{"id":"X","ratings":[{"severity":"negligible"}]}]}`),
	} {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		err = s.Validate(inst)
		if name == "negative" {
			if err == nil {
				t.Error("schema accepted an invalid severity: the validator is not checking")
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// unusual has the shapes that stress encoders: no distro, duplicated
// purls, licences outside the SPDX list, a package without a layer.
func unusual() *model.Report {
	r := reporttest.Report()
	r.Inventory.Distro = nil
	p := r.Inventory.Packages[10]
	p.Locations = []string{"/opt/other/package-lock.json"}
	p.Licenses = []string{"GPL-2+", "Custom (see COPYING)"}
	p.Layer = nil
	r.Inventory.Packages = append(r.Inventory.Packages, p)
	return r
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		inv  model.Inventory
	}{
		{"fixture", reporttest.Inventory()},
		{"unusual", unusual().Inventory},
	} {
		r := &model.Report{Inventory: tc.inv}
		for format, doc := range map[string][]byte{"cyclonedx": writeCDX(t, true, r), "spdx": writeSPDX(t, r)} {
			got, err := Decode(bytes.NewReader(doc))
			if err != nil {
				t.Fatalf("%s/%s: %v", tc.name, format, err)
			}
			if diff := cmp.Diff(&tc.inv, got); diff != "" {
				t.Errorf("%s/%s: inventory changed in a round trip (-want +got):\n%s", tc.name, format, diff)
			}
		}
	}
}

// A vulnerability report is also an SBOM: decoding it ignores findings.
func TestDecodeReport(t *testing.T) {
	want := reporttest.Inventory()
	got, err := Decode(bytes.NewReader(writeCDX(t, false, reporttest.Report())))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAnalysis(t *testing.T) {
	var bom struct {
		Vulnerabilities []struct {
			ID       string `json:"id"`
			Analysis *struct {
				State         string   `json:"state"`
				Justification string   `json:"justification"`
				Response      []string `json:"response"`
			} `json:"analysis"`
			Ratings []struct {
				Method string `json:"method"`
			} `json:"ratings"`
			Recommendation string `json:"recommendation"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(writeCDX(t, false, reporttest.Report()), &bom); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range bom.Vulnerabilities {
		s := "open"
		if a := v.Analysis; a != nil {
			s = a.State + "/" + a.Justification + "/" + strings.Join(a.Response, ",")
		}
		got[v.ID] = s + " " + v.Ratings[0].Method
	}
	want := map[string]string{
		"CVE-2021-44906": "open CVSSv31",
		"CVE-2021-23337": "open CVSSv31",
		"CVE-2020-8203":  "open CVSSv31",
		"CVE-2021-3749":  "open CVSSv31",
		"CVE-2023-39325": "open CVSSv31",
		"CVE-2023-48795": "not_affected/code_not_reachable/ CVSSv31",
		"CVE-2023-52425": "open CVSSv31",
		"CVE-2023-45853": "not_affected// CVSSv31",
		"CVE-2023-29383": "not_affected/code_not_reachable/ CVSSv31",
		"CVE-2011-3374":  "open CVSSv31",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDecodeTrivy(t *testing.T) {
	f, err := os.Open("testdata/foreign/trivy-centos-7.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	diffID := "sha256:89169d87dbe2b72ba42bfbb3579c957322baca28e03a1e558076542a1c1b2b4a"
	layer := &model.LayerRef{Index: 0, DiffID: diffID}
	want := []model.Package{
		{
			Ecosystem: "rpm", Name: "bash", Version: "4.2.46-31.el7", SourceName: "bash", SourceVersion: "4.2.46-31.el7",
			Arch: "x86_64", PURL: "pkg:rpm/centos/bash@4.2.46-31.el7?arch=x86_64&distro=centos-7.6.1810",
			Licenses: []string{"GPLv3+"}, Layer: layer,
		},
		{
			Ecosystem: "rpm", Name: "openssl-libs", Version: "1:1.0.2k-16.el7", SourceName: "openssl", SourceVersion: "1:1.0.2k-16.el7",
			Arch: "x86_64", PURL: "pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&epoch=1&distro=centos-7.6.1810",
			Licenses: []string{"OpenSSL+"}, Layer: layer,
		},
	}
	if diff := cmp.Diff(want, got.Packages); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	wantDistro := &model.Distro{ID: "centos", VersionID: "7.6.1810", Release: "7"}
	if diff := cmp.Diff(wantDistro, got.Distro); diff != "" {
		t.Errorf("distro (-want +got):\n%s", diff)
	}
	if got.Scanner.Name != "trivy" || len(got.Image.Layers) != 1 || got.Image.Tags[0] != "ghcr.io/aquasecurity/trivy-test-images:centos-7" {
		t.Errorf("image/scanner not read: %+v %+v", got.Image, got.Scanner)
	}
}

func TestPURLQualifiers(t *testing.T) {
	tests := []struct {
		purl, name, srcName, srcVersion string
		distro                          *model.Distro
	}{
		{"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc&distro=debian-12", "libc6", "glibc", "", &model.Distro{ID: "debian", VersionID: "12", Release: "12"}},
		{"pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?arch=amd64&upstream=openssl%403.0.2-0ubuntu1.10&distro=ubuntu-22.04", "libssl3", "openssl", "3.0.2-0ubuntu1.10", &model.Distro{ID: "ubuntu", VersionID: "22.04", Release: "22.04"}},
		{"pkg:apk/alpine/busybox-binsh@1.36.1-r2?arch=x86_64&upstream=busybox&distro=alpine-3.18.4", "busybox-binsh", "busybox", "", &model.Distro{ID: "alpine", VersionID: "3.18.4", Release: "3.18"}},
		{"pkg:rpm/redhat/glibc-common@2.34-60.el9?arch=x86_64&upstream=glibc-2.34-60.el9.src.rpm&distro=rhel-9.2", "glibc-common", "glibc", "2.34-60.el9", &model.Distro{ID: "rhel", VersionID: "9.2", Release: "9"}},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "org.apache.logging.log4j:log4j-core", "", "", nil},
		{"pkg:npm/%40babel/core@7.22.5", "@babel/core", "", "", nil},
		{"pkg:golang/golang.org/x/net@v0.10.0", "golang.org/x/net", "", "", nil},
	}
	for _, tt := range tests {
		p, u, err := packageFromPURL(tt.purl)
		if err != nil {
			t.Fatalf("%s: %v", tt.purl, err)
		}
		got := []string{p.Name, p.SourceName, p.SourceVersion}
		if diff := cmp.Diff([]string{tt.name, tt.srcName, tt.srcVersion}, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.purl, diff)
		}
		if diff := cmp.Diff(tt.distro, distroFromQualifier(u)); diff != "" {
			t.Errorf("%s distro (-want +got):\n%s", tt.purl, diff)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for name, in := range map[string]string{
		"not json":    "hello",
		"other json":  `{"foo": 1}`,
		"bad purl":    `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"x","purl":"pkg:"}]}`,
		"bad layer":   `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"x","purl":"pkg:npm/x@1","properties":[{"name":"bulwark:layer:diffID","value":"sha256:00"},{"name":"bulwark:layer:index","value":"one"}]}]}`,
		"bad spdx":    `{"spdxVersion":"SPDX-2.3","packages":"no"}`,
		"broken xml":  `<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>`,
		"wrong bomFm": `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"component":{"type":"container","name":"x","properties":[{"name":"bulwark:image:ref","value":"x"},{"name":"bulwark:image:layer","value":"{"}]}}}`,
	} {
		if _, err := Decode(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	r := reporttest.Report()
	var b bytes.Buffer
	_ = (&CycloneDX{SBOMOnly: true}).Write(&b, r)
	f.Add(b.Bytes())
	b.Reset()
	_ = (&SPDX{}).Write(&b, r)
	f.Add(b.Bytes())
	if data, err := os.ReadFile("testdata/foreign/trivy-centos-7.cdx.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components><component type="library"><name>x</name><purl>pkg:npm/x@1</purl></component></components></bom>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Decode(bytes.NewReader(data))
		if err == nil && inv == nil {
			t.Fatal("nil inventory without an error")
		}
	})
}
