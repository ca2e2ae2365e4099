package sbom

import (
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/bulwark-security/bulwark/internal/model"
)

// CycloneDX writes CycloneDX 1.6 JSON: the image as the metadata
// component, the distribution as an operating-system component, one
// library component per package and, unless SBOMOnly, the findings as a
// vulnerability disclosure report (the `vulnerabilities` array).
type CycloneDX struct {
	SBOMOnly bool
}

// Bom-refs of the fixed components.
const (
	refImage  = "image"
	refDistro = "distro"
)

// Write encodes r.
func (c *CycloneDX) Write(w io.Writer, r *model.Report) error {
	bom, _ := c.BOM(r)
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("cyclonedx: %w", err)
	}
	return nil
}

// BOM builds the document and returns it with the bom-ref given to each
// package (by index in r.Inventory.Packages).
func (c *CycloneDX) BOM(r *model.Report) (*cdx.BOM, []string) {
	inv := &r.Inventory
	bom := cdx.NewBOM()
	when := inv.CreatedAt
	if !r.CreatedAt.IsZero() && !c.SBOMOnly {
		when = r.CreatedAt
	}
	bom.SerialNumber = serial(inv.Image.Digest + inv.Image.Ref + when.Format(time.RFC3339Nano))
	tool := cdx.Component{Type: cdx.ComponentTypeApplication, Name: orDefault(inv.Scanner.Name, "bulwark"), Version: inv.Scanner.Version}
	image := imageComponent(&inv.Image)
	meta := statusProps(inv.Status)
	if !inv.CreatedAt.IsZero() {
		meta.add(propInventoryTime, inv.CreatedAt.UTC().Format(time.RFC3339Nano))
	}
	bom.Metadata = &cdx.Metadata{
		Tools:      &cdx.ToolsChoice{Components: &[]cdx.Component{tool}},
		Component:  &image,
		Properties: cdxProps(meta),
	}
	if !when.IsZero() {
		bom.Metadata.Timestamp = when.UTC().Format(time.RFC3339)
	}

	var comps []cdx.Component
	var deps []string
	if d := inv.Distro; d != nil {
		comps = append(comps, cdx.Component{
			BOMRef: refDistro, Type: cdx.ComponentTypeOS, Name: d.ID, Version: d.VersionID,
			Description: d.PrettyName, Properties: cdxProps(distroProps(d)),
		})
		deps = append(deps, refDistro)
	}
	refs := bomRefs(inv.Packages)
	for i := range inv.Packages {
		p := &inv.Packages[i]
		comps = append(comps, cdx.Component{
			BOMRef: refs[i], Type: cdx.ComponentTypeLibrary, Name: p.Name, Version: p.Version,
			PackageURL: p.PURL, Licenses: cdxLicenses(p.Licenses), Properties: cdxProps(packageProps(p)),
		})
		deps = append(deps, refs[i])
	}
	for i := range inv.GoBinaries {
		b := &inv.GoBinaries[i]
		ref := "go-binary:" + b.Path
		comps = append(comps, cdx.Component{
			BOMRef: ref, Type: cdx.ComponentTypeApplication, Name: b.Path, Version: b.GoVersion,
			Properties: cdxProps(goBinaryProps(b)),
		})
		deps = append(deps, ref)
	}
	bom.Components = &comps
	bom.Dependencies = &[]cdx.Dependency{{Ref: refImage, Dependencies: &deps}}
	if !c.SBOMOnly {
		vulns := vulnerabilities(r, refs)
		bom.Vulnerabilities = &vulns
	}
	return bom, refs
}

func imageComponent(im *model.Image) cdx.Component {
	name := im.Name
	if name == "" {
		name = im.Ref
	}
	c := cdx.Component{
		BOMRef: refImage, Type: cdx.ComponentTypeContainer, Name: name, Version: im.Digest,
		Properties: cdxProps(imageProps(im)),
	}
	if hex, ok := strings.CutPrefix(im.Digest, "sha256:"); ok {
		c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: hex}}
	}
	if c.Name == "" {
		c.Name = "unknown"
	}
	return c
}

// bomRefs gives each package a unique bom-ref: its purl, with "#n"
// appended when the same purl occurs again (one library vendored twice).
func bomRefs(pkgs []model.Package) []string {
	seen := map[string]int{}
	out := make([]string, len(pkgs))
	for i := range pkgs {
		base := pkgs[i].PURL
		if base == "" {
			base = "pkg-" + string(pkgs[i].Ecosystem) + "-" + pkgs[i].Name + "-" + pkgs[i].Version
		}
		n := seen[base]
		seen[base] = n + 1
		out[i] = base
		if n > 0 {
			out[i] = fmt.Sprintf("%s#%d", base, n)
		}
	}
	return out
}

func cdxProps(ps props) *[]cdx.Property {
	if len(ps) == 0 {
		return nil
	}
	out := make([]cdx.Property, len(ps))
	for i, p := range ps {
		out[i] = cdx.Property{Name: p.name, Value: p.value}
	}
	return &out
}

func cdxLicenses(ls []string) *cdx.Licenses {
	if len(ls) == 0 {
		return nil
	}
	out := make(cdx.Licenses, 0, len(ls))
	for _, l := range ls {
		switch {
		case spdxIDs[l]:
			out = append(out, cdx.LicenseChoice{License: &cdx.License{ID: l}})
		default:
			out = append(out, cdx.LicenseChoice{License: &cdx.License{Name: l}})
		}
	}
	return &out
}

// serial makes an RFC 4122 version-5-shaped URN from the document's
// identity so that the same scan always gets the same serial number.
func serial(seed string) string {
	h := sha256.Sum256([]byte(seed))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
