package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"

	"github.com/bulwark-security/bulwark/internal/model"
)

// SPDX writes an SPDX 2.3 JSON document: the image as the root package
// the document DESCRIBES, which CONTAINS the distribution (purpose
// OPERATING-SYSTEM) and one package per inventory package with its purl
// as a PACKAGE-MANAGER external reference. Findings are not part of SPDX
// 2.3; use CycloneDX for a vulnerability report.
type SPDX struct{}

const (
	idImage  = "Image"
	idDistro = "OperatingSystem"
	noAssert = "NOASSERTION"
)

// Write encodes r.Inventory.
func (s *SPDX) Write(w io.Writer, r *model.Report) error {
	if err := spdxjson.Write(s.Document(&r.Inventory), w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("spdx: %w", err)
	}
	return nil
}

// Document builds the SPDX document for inv.
func (s *SPDX) Document(inv *model.Inventory) *spdx.Document {
	im := &inv.Image
	name := orDefault(orDefault(im.Name, im.Ref), "unknown")
	created := inv.CreatedAt.UTC()
	tool := orDefault(inv.Scanner.Name, "bulwark") + "-" + orDefault(inv.Scanner.Version, "unknown")
	annotate := func(ps props) []spdx.Annotation {
		out := make([]spdx.Annotation, 0, len(ps))
		for _, p := range ps {
			out = append(out, spdx.Annotation{
				Annotator:         common.Annotator{Annotator: tool, AnnotatorType: "Tool"},
				AnnotationDate:    created.Format(time.RFC3339),
				AnnotationType:    "OTHER",
				AnnotationComment: p.name + "=" + p.value,
			})
		}
		return out
	}

	doc := &spdx.Document{
		SPDXVersion: spdx.Version, DataLicense: spdx.DataLicense, SPDXIdentifier: "DOCUMENT",
		DocumentName:      name,
		DocumentNamespace: "https://github.com/bulwark-security/bulwark/spdx/" + sanitizeID(name) + "-" + strings.TrimPrefix(serial(im.Digest+im.Ref+created.Format(time.RFC3339Nano)), "urn:uuid:"),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{Creator: tool, CreatorType: "Tool"}},
			Created:  created.Format(time.RFC3339),
		},
	}
	imgProps := imageProps(im)
	imgProps = append(imgProps, statusProps(inv.Status)...)
	root := &spdx.Package{
		PackageName: name, PackageSPDXIdentifier: idImage, PackageVersion: im.Digest,
		PackageDownloadLocation: noAssert, PackageLicenseConcluded: noAssert, PackageLicenseDeclared: noAssert,
		PackageCopyrightText: noAssert, PrimaryPackagePurpose: "CONTAINER", Annotations: annotate(imgProps),
	}
	if hx, ok := strings.CutPrefix(im.Digest, "sha256:"); ok {
		root.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: hx}}
	}
	doc.Packages = append(doc.Packages, root)
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", idImage), Relationship: "DESCRIBES",
	})
	contains := func(id common.ElementID) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", idImage), RefB: common.MakeDocElementID("", string(id)), Relationship: "CONTAINS",
		})
	}
	if d := inv.Distro; d != nil {
		doc.Packages = append(doc.Packages, &spdx.Package{
			PackageName: d.ID, PackageSPDXIdentifier: idDistro, PackageVersion: d.VersionID, PackageDescription: d.PrettyName,
			PackageDownloadLocation: noAssert, PackageLicenseConcluded: noAssert, PackageLicenseDeclared: noAssert,
			PackageCopyrightText: noAssert, PrimaryPackagePurpose: "OPERATING-SYSTEM", Annotations: annotate(distroProps(d)),
		})
		contains(idDistro)
	}
	others := map[string]bool{}
	used := map[common.ElementID]bool{}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		id := uniqueID(used, "Package-"+string(p.Ecosystem)+"-"+p.Name+"-"+p.Version, p.Key())
		sp := &spdx.Package{
			PackageName: p.Name, PackageSPDXIdentifier: id, PackageVersion: p.Version,
			PackageDownloadLocation: noAssert, PackageLicenseConcluded: noAssert,
			PackageLicenseDeclared: licenseExpr(p.Licenses, others), PackageCopyrightText: noAssert,
			PrimaryPackagePurpose: "LIBRARY", Annotations: annotate(packageProps(p)),
		}
		if p.PURL != "" {
			sp.PackageExternalReferences = []*spdx.PackageExternalReference{{Category: common.CategoryPackageManager, RefType: "purl", Locator: p.PURL}}
		}
		if p.SourceName != "" {
			sp.PackageSourceInfo = "built from source package " + strings.TrimSpace(p.SourceName+" "+p.SourceVersion)
		}
		doc.Packages = append(doc.Packages, sp)
		contains(id)
	}
	for i := range inv.GoBinaries {
		b := &inv.GoBinaries[i]
		id := uniqueID(used, "GoBinary-"+b.Path, b.Path)
		doc.Packages = append(doc.Packages, &spdx.Package{
			PackageName: b.Path, PackageSPDXIdentifier: id, PackageVersion: b.GoVersion,
			PackageDownloadLocation: noAssert, PackageLicenseConcluded: noAssert, PackageLicenseDeclared: noAssert,
			PackageCopyrightText: noAssert, PrimaryPackagePurpose: "APPLICATION", Annotations: annotate(goBinaryProps(b)),
		})
		contains(id)
	}
	for _, l := range sortedKeys(others) {
		doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{LicenseIdentifier: licenseRef(l), ExtractedText: l, LicenseName: l})
	}
	return doc
}

var idUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

func sanitizeID(s string) string { return strings.Trim(idUnsafe.ReplaceAllString(s, "-"), "-") }

// uniqueID makes a readable SPDX identifier; a short hash of the key keeps
// it unique when names collide after sanitising.
func uniqueID(used map[common.ElementID]bool, readable, key string) common.ElementID {
	id := common.ElementID(sanitizeID(readable))
	if used[id] {
		h := sha256.Sum256([]byte(key))
		id = common.ElementID(string(id) + "-" + hex.EncodeToString(h[:4]))
	}
	used[id] = true
	return id
}

// licenseExpr joins a package's licenses with AND; licenses outside the
// SPDX list become LicenseRef- identifiers declared in the document.
func licenseExpr(ls []string, others map[string]bool) string {
	if len(ls) == 0 {
		return noAssert
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		if spdxIDs[l] {
			parts[i] = l
			continue
		}
		others[l] = true
		parts[i] = licenseRef(l)
	}
	return strings.Join(parts, " AND ")
}

func licenseRef(l string) string {
	h := sha256.Sum256([]byte(l))
	return "LicenseRef-" + sanitizeID(l) + "-" + hex.EncodeToString(h[:3])
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
