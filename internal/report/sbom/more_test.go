package sbom

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report/reporttest"
)

// No official SPDX 2.3 JSON schema ships in a Go module, so the SPDX
// output is checked with the SPDX project's own library (unique ids,
// every relationship resolvable, DESCRIBES present) and the 2.3 rules on
// identifiers and license expressions.
func TestSPDXValid(t *testing.T) {
	for name, r := range map[string]*model.Report{"fixture": reporttest.Report(), "unusual": unusual()} {
		doc, err := spdxjson.Read(bytes.NewReader(writeSPDX(t, r)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := spdxlib.ValidateDocument(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		described, err := spdxlib.GetDescribedPackageIDs(doc)
		if err != nil || len(described) != 1 || described[0] != idImage {
			t.Errorf("%s: described %v, %v", name, described, err)
		}
		idRE := regexp.MustCompile(`^[A-Za-z0-9.-]+$`)
		licenseRE := regexp.MustCompile(`^(NOASSERTION|(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9.+-]+)( AND (LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9.+-]+))*)$`)
		declared := map[string]bool{}
		for _, o := range doc.OtherLicenses {
			declared[o.LicenseIdentifier] = true
		}
		purls := 0
		for _, p := range doc.Packages {
			if !idRE.MatchString(string(p.PackageSPDXIdentifier)) {
				t.Errorf("%s: bad SPDX id %q", name, p.PackageSPDXIdentifier)
			}
			if !licenseRE.MatchString(p.PackageLicenseDeclared) {
				t.Errorf("%s: %s: bad license expression %q", name, p.PackageName, p.PackageLicenseDeclared)
			}
			for _, term := range strings.Split(p.PackageLicenseDeclared, " AND ") {
				if strings.HasPrefix(term, "LicenseRef-") && !declared[term] {
					t.Errorf("%s: %s undeclared", name, term)
				}
			}
			for _, ref := range p.PackageExternalReferences {
				if ref.Category == "PACKAGE-MANAGER" && ref.RefType == "purl" {
					purls++
				}
			}
		}
		if purls != len(r.Inventory.Packages) {
			t.Errorf("%s: %d purl references for %d packages", name, purls, len(r.Inventory.Packages))
		}
	}
}

// CycloneDX XML decodes like JSON (written here with cyclonedx-go's XML
// encoder, as other tools do).
func TestCycloneDXXML(t *testing.T) {
	bom, _ := (&CycloneDX{SBOMOnly: true}).BOM(reporttest.Report())
	var b bytes.Buffer
	if err := cdx.NewBOMEncoder(&b, cdx.BOMFileFormatXML).EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	want := reporttest.Inventory()
	if diff := cmp.Diff(want.Packages, got.Packages); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Distro, got.Distro); diff != "" {
		t.Errorf("distro (-want +got):\n%s", diff)
	}
}

func FuzzDecodeCycloneDX(f *testing.F) {
	f.Add(writeCDXF(f))
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"x","purl":"pkg:rpm/redhat/x@1?epoch=2&upstream=x-1-1.src.rpm","properties":[{"name":"bulwark:layer:diffID","value":"sha256:00"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = DecodeCycloneDX(bytes.NewReader(data))
	})
}

func FuzzDecodeSPDX(f *testing.F) {
	// A small seed: the full fixture makes each mutation slow.
	r := reporttest.Report()
	r.Inventory.Packages = r.Inventory.Packages[1:3]
	r.Inventory.GoBinaries = nil
	r.Inventory.Status = nil
	r.Inventory.Image.Layers = nil
	var b bytes.Buffer
	_ = (&SPDX{}).Write(&b, r)
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = DecodeSPDX(bytes.NewReader(data))
	})
}

func FuzzPURL(f *testing.F) {
	for _, s := range []string{
		"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc%402.36-9&distro=debian-12",
		"pkg:rpm/redhat/glibc@2.34-60.el9?epoch=1&upstream=glibc-2.34-60.el9.src.rpm&distro=rhel-9.2",
		"pkg:maven/org.example/a@1", "pkg:npm/%40s/n@1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, u, err := packageFromPURL(s)
		if err != nil {
			return
		}
		if p.PURL != s {
			t.Fatalf("purl not kept: %q", p.PURL)
		}
		_ = distroFromQualifier(u)
	})
}

func writeCDXF(f *testing.F) []byte {
	var b bytes.Buffer
	if err := (&CycloneDX{}).Write(&b, reporttest.Report()); err != nil {
		f.Fatal(err)
	}
	return b.Bytes()
}
