package sbom

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/bulwark-security/bulwark/internal/model"
)

// DecodeCycloneDX reads a CycloneDX document (JSON, or XML when the input
// starts with "<") into an inventory. Components without a purl are
// skipped, except Bulwark's own Go binary entries.
func DecodeCycloneDX(r io.Reader) (*model.Inventory, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("cyclonedx: %w", err)
	}
	format := cdx.BOMFileFormatJSON
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '<' {
		format = cdx.BOMFileFormatXML
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), format).Decode(&bom); err != nil {
		return nil, fmt.Errorf("cyclonedx: %w", err)
	}
	if format == cdx.BOMFileFormatJSON && bom.BOMFormat != cdx.BOMFormat {
		return nil, fmt.Errorf("cyclonedx: bomFormat is %q, want %q", bom.BOMFormat, cdx.BOMFormat)
	}
	return inventoryFromBOM(&bom)
}

func fromCDX(p *[]cdx.Property) props {
	if p == nil {
		return nil
	}
	out := make(props, 0, len(*p))
	for _, x := range *p {
		out = append(out, prop{x.Name, x.Value})
	}
	return out
}

func inventoryFromBOM(bom *cdx.BOM) (*model.Inventory, error) {
	inv := &model.Inventory{Schema: model.InventorySchema, Packages: []model.Package{}}
	if m := bom.Metadata; m != nil {
		mp := fromCDX(m.Properties)
		if s := mp.get(propInventoryTime); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, fmt.Errorf("cyclonedx: property %s: %w", propInventoryTime, err)
			}
			inv.CreatedAt = t
		} else if m.Timestamp != "" {
			if t, err := time.Parse(time.RFC3339, m.Timestamp); err == nil {
				inv.CreatedAt = t
			}
		}
		st, err := statusFromProps(mp)
		if err != nil {
			return nil, fmt.Errorf("cyclonedx: %w", err)
		}
		inv.Status = st
		if m.Tools != nil && m.Tools.Components != nil && len(*m.Tools.Components) > 0 {
			t := (*m.Tools.Components)[0]
			inv.Scanner = model.Tool{Name: t.Name, Version: t.Version}
		} else if m.Tools != nil && m.Tools.Tools != nil && len(*m.Tools.Tools) > 0 {
			t := (*m.Tools.Tools)[0]
			inv.Scanner = model.Tool{Name: t.Name, Version: t.Version}
		}
		if c := m.Component; c != nil {
			if err := imageFromComponent(&inv.Image, c); err != nil {
				return nil, err
			}
		}
	}
	var walk func(cs *[]cdx.Component) error
	walk = func(cs *[]cdx.Component) error {
		if cs == nil {
			return nil
		}
		for i := range *cs {
			if err := addComponent(inv, &(*cs)[i]); err != nil {
				return err
			}
			if err := walk((*cs)[i].Components); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(bom.Components); err != nil {
		return nil, err
	}
	fillDistro(inv)
	return inv, nil
}

func imageFromComponent(im *model.Image, c *cdx.Component) error {
	ps := fromCDX(c.Properties)
	im.Ref = c.Name
	if c.Version != "" && len(c.Version) > 7 && c.Version[:7] == "sha256:" {
		im.Digest = c.Version
	}
	if ps.has(propImageRef) {
		if err := applyImageProps(im, ps); err != nil {
			return fmt.Errorf("cyclonedx: metadata component: %w", err)
		}
		return nil
	}
	// Trivy names the image's layers and identity in its own properties.
	for i, d := range ps.all("aquasecurity:trivy:DiffID") {
		im.Layers = append(im.Layers, model.Layer{Index: i, DiffID: d})
	}
	im.Tags = ps.all("aquasecurity:trivy:RepoTag")
	im.RepoDigests = ps.all("aquasecurity:trivy:RepoDigest")
	im.ConfigDigest = ps.get("aquasecurity:trivy:ImageID")
	return nil
}

func addComponent(inv *model.Inventory, c *cdx.Component) error {
	ps := fromCDX(c.Properties)
	switch {
	case c.Type == cdx.ComponentTypeOS:
		d := &model.Distro{ID: c.Name, VersionID: c.Version, PrettyName: c.Description}
		d.Release = releaseOf(d.ID, d.VersionID)
		applyDistroProps(d, ps)
		inv.Distro = d
		return nil
	case ps.has(propGoPath):
		b, err := goBinaryFromProps(ps)
		if err != nil {
			return fmt.Errorf("cyclonedx: component %q: %w", c.BOMRef, err)
		}
		inv.GoBinaries = append(inv.GoBinaries, b)
		return nil
	case c.PackageURL == "":
		return nil
	}
	p, u, err := packageFromPURL(c.PackageURL)
	if err != nil {
		return fmt.Errorf("cyclonedx: component %q: %w", c.BOMRef, err)
	}
	if c.Version != "" && !strings.Contains(p.Version, ":") {
		// The purl's epoch qualifier has already been folded into the
		// version; component versions (Trivy's) leave it out.
		p.Version = c.Version
	}
	if c.Group != "" && c.Name != "" && !ps.has(propName) {
		switch p.Ecosystem {
		case model.EcosystemMaven:
			p.Name = c.Group + ":" + c.Name
		case model.EcosystemDeb, model.EcosystemRPM, model.EcosystemAPK:
		default:
			p.Name = c.Group + "/" + c.Name
		}
	}
	if n, v := foreignSource(ps); n != "" {
		p.SourceName, p.SourceVersion = n, v
	}
	paths, diffID := foreignLocations(ps)
	p.Locations = paths
	p.Layer = layerByDiffID(&inv.Image, diffID)
	p.FoundBy = ps.get("syft:package:foundBy")
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			switch {
			case l.License != nil && l.License.ID != "":
				p.Licenses = append(p.Licenses, l.License.ID)
			case l.License != nil && l.License.Name != "":
				p.Licenses = append(p.Licenses, l.License.Name)
			case l.Expression != "":
				p.Licenses = append(p.Licenses, l.Expression)
			}
		}
	}
	if err := applyPackageProps(&p, ps); err != nil {
		return fmt.Errorf("cyclonedx: component %q: %w", c.BOMRef, err)
	}
	if inv.Distro == nil && !ps.has(propEcosystem) {
		// Bulwark states the distribution (or its absence) itself;
		// other tools may only name it in purls.
		inv.Distro = distroFromQualifier(u)
	}
	inv.Packages = append(inv.Packages, p)
	return nil
}

// fillDistro gives a distribution found only as an operating-system
// component (name and version) the release its advisories use.
func fillDistro(inv *model.Inventory) {
	if d := inv.Distro; d != nil && d.Release == "" {
		d.Release = releaseOf(d.ID, d.VersionID)
	}
}
