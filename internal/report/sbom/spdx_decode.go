package sbom

import (
	"fmt"
	"io"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"

	"github.com/bulwark-security/bulwark/internal/model"
)

// DecodeSPDX reads an SPDX 2.2 or 2.3 JSON document into an inventory.
// Packages without a purl external reference are skipped, except
// Bulwark's own Go binary entries.
func DecodeSPDX(r io.Reader) (*model.Inventory, error) {
	doc, err := spdxjson.Read(r)
	if err != nil {
		return nil, fmt.Errorf("spdx: %w", err)
	}
	return inventoryFromSPDX(doc)
}

// annotationProps reads Bulwark's "name=value" annotations back.
func annotationProps(as []spdx.Annotation) props {
	var ps props
	for _, a := range as {
		if n, v, ok := strings.Cut(a.AnnotationComment, "="); ok && strings.HasPrefix(n, propPrefix) {
			ps = append(ps, prop{n, v})
		}
	}
	return ps
}

func inventoryFromSPDX(doc *spdx.Document) (*model.Inventory, error) {
	inv := &model.Inventory{Schema: model.InventorySchema, Packages: []model.Package{}}
	if ci := doc.CreationInfo; ci != nil {
		if t, err := time.Parse(time.RFC3339, ci.Created); err == nil {
			inv.CreatedAt = t
		}
		for _, c := range ci.Creators {
			if c.CreatorType == "Tool" {
				n, v, _ := cutLast(c.Creator, "-")
				inv.Scanner = model.Tool{Name: n, Version: v}
				break
			}
		}
	}
	others := map[string]string{}
	for _, o := range doc.OtherLicenses {
		if o != nil {
			others[o.LicenseIdentifier] = o.ExtractedText
		}
	}
	for _, sp := range doc.Packages {
		if sp == nil {
			continue
		}
		ps := annotationProps(sp.Annotations)
		switch {
		case sp.PrimaryPackagePurpose == "CONTAINER" || ps.has(propImageRef):
			inv.Image.Ref = sp.PackageName
			if strings.HasPrefix(sp.PackageVersion, "sha256:") {
				inv.Image.Digest = sp.PackageVersion
			}
			if err := applyImageProps(&inv.Image, ps); err != nil {
				return nil, fmt.Errorf("spdx: package %q: %w", sp.PackageSPDXIdentifier, err)
			}
			st, err := statusFromProps(ps)
			if err != nil {
				return nil, fmt.Errorf("spdx: %w", err)
			}
			inv.Status = st
			continue
		case sp.PrimaryPackagePurpose == "OPERATING-SYSTEM":
			d := &model.Distro{ID: sp.PackageName, VersionID: sp.PackageVersion, PrettyName: sp.PackageDescription}
			d.Release = releaseOf(d.ID, d.VersionID)
			applyDistroProps(d, ps)
			inv.Distro = d
			continue
		case ps.has(propGoPath):
			b, err := goBinaryFromProps(ps)
			if err != nil {
				return nil, fmt.Errorf("spdx: package %q: %w", sp.PackageSPDXIdentifier, err)
			}
			inv.GoBinaries = append(inv.GoBinaries, b)
			continue
		}
		purl := ""
		for _, ref := range sp.PackageExternalReferences {
			if ref != nil && ref.RefType == "purl" {
				purl = ref.Locator
				break
			}
		}
		if purl == "" {
			continue
		}
		p, u, err := packageFromPURL(purl)
		if err != nil {
			return nil, fmt.Errorf("spdx: package %q: %w", sp.PackageSPDXIdentifier, err)
		}
		if sp.PackageVersion != "" && !strings.Contains(p.Version, ":") {
			p.Version = sp.PackageVersion
		}
		p.Licenses = licensesFromExpr(sp.PackageLicenseDeclared, others)
		if err := applyPackageProps(&p, ps); err != nil {
			return nil, fmt.Errorf("spdx: package %q: %w", sp.PackageSPDXIdentifier, err)
		}
		if inv.Distro == nil && !ps.has(propEcosystem) {
			inv.Distro = distroFromQualifier(u)
		}
		inv.Packages = append(inv.Packages, p)
	}
	fillDistro(inv)
	return inv, nil
}

// licensesFromExpr splits what licenseExpr joined; anything more complex
// than a list of AND-ed terms is kept whole as one expression.
func licensesFromExpr(expr string, others map[string]string) []string {
	if expr == "" || expr == noAssert || expr == "NONE" {
		return nil
	}
	if strings.ContainsAny(expr, "()") || strings.Contains(expr, " OR ") || strings.Contains(expr, " WITH ") {
		return []string{expr}
	}
	var out []string
	for _, t := range strings.Split(expr, " AND ") {
		t = strings.TrimSpace(t)
		if text, ok := others[t]; ok && text != "" {
			t = text
		}
		out = append(out, t)
	}
	return out
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
