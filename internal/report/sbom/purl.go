package sbom

import (
	"fmt"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/model"
)

// packageFromPURL builds the package a purl names. The ecosystem is the
// purl type (Bulwark's ecosystems are purl types); the name joins the
// namespace the way each ecosystem's registry spells it.
func packageFromPURL(s string) (model.Package, packageurl.PackageURL, error) {
	u, err := packageurl.FromString(s)
	if err != nil {
		return model.Package{}, u, fmt.Errorf("purl %q: %w", s, err)
	}
	p := model.Package{Ecosystem: model.Ecosystem(u.Type), Name: u.Name, Version: u.Version, PURL: s}
	if u.Namespace != "" {
		switch p.Ecosystem {
		case model.EcosystemMaven:
			p.Name = u.Namespace + ":" + u.Name
		case model.EcosystemDeb, model.EcosystemRPM, model.EcosystemAPK:
			// The namespace is the vendor ("debian", "redhat").
		default:
			p.Name = u.Namespace + "/" + u.Name
		}
	}
	q := u.Qualifiers.Map()
	p.Arch = q["arch"]
	if p.Ecosystem == model.EcosystemRPM && q["epoch"] != "" && q["epoch"] != "0" && !strings.Contains(p.Version, ":") {
		p.Version = q["epoch"] + ":" + p.Version
	}
	if up := q["upstream"]; up != "" {
		p.SourceName, p.SourceVersion = parseUpstream(p.Ecosystem, up)
	}
	return p, u, nil
}

// parseUpstream reads the purl "upstream" qualifier: "glibc" or
// "glibc@2.36-9" for deb and apk, a source RPM file name for rpm.
func parseUpstream(eco model.Ecosystem, up string) (name, version string) {
	if eco == model.EcosystemRPM {
		base := strings.TrimSuffix(up, ".src.rpm")
		if base != up {
			// name-version-release: the last two dashes split it.
			i := strings.LastIndex(base, "-")
			if i > 0 {
				j := strings.LastIndex(base[:i], "-")
				if j > 0 {
					return base[:j], base[j+1:]
				}
			}
		}
		return up, ""
	}
	if n, v, ok := strings.Cut(up, "@"); ok {
		return n, v
	}
	return up, ""
}

// distroFromQualifier reads the purl "distro" qualifier ("debian-12",
// "alpine-3.18.4", "ubuntu-22.04", "rhel-9.3") that Syft, Trivy and
// Bulwark write on OS packages.
func distroFromQualifier(u packageurl.PackageURL) *model.Distro {
	q := u.Qualifiers.Map()["distro"]
	if q == "" {
		return nil
	}
	id, ver, _ := strings.Cut(q, "-")
	if id == "" {
		return nil
	}
	return &model.Distro{ID: strings.ToLower(id), VersionID: ver, Release: releaseOf(strings.ToLower(id), ver)}
}

// releaseOf derives the key vendors publish advisories under from an
// os-release VERSION_ID, for SBOMs that do not carry Bulwark's own
// release property. It follows each vendor's own numbering: Debian and
// the Red Hat family by major version, Alpine by major.minor, Ubuntu and
// Amazon Linux by the whole version.
func releaseOf(id, versionID string) string {
	if versionID == "" {
		return ""
	}
	parts := strings.Split(versionID, ".")
	switch id {
	case "debian", "rhel", "rocky", "almalinux", "centos", "ol", "fedora", "sles", "sled":
		return parts[0]
	case "alpine":
		if len(parts) >= 2 {
			return parts[0] + "." + parts[1]
		}
	}
	return versionID
}

// foreignSource reads the source package that Syft and Trivy record in
// their own CycloneDX properties.
func foreignSource(ps props) (name, version string) {
	if n := ps.get("syft:metadata:source"); n != "" {
		return n, ps.get("syft:metadata:sourceVersion")
	}
	if n := ps.get("aquasecurity:trivy:SrcName"); n != "" {
		v := ps.get("aquasecurity:trivy:SrcVersion")
		if r := ps.get("aquasecurity:trivy:SrcRelease"); r != "" && v != "" {
			v += "-" + r
		}
		if e := ps.get("aquasecurity:trivy:SrcEpoch"); e != "" && e != "0" && v != "" {
			v = e + ":" + v
		}
		return n, v
	}
	return "", ""
}

// foreignLocations reads file paths and layer diff IDs that Syft
// ("syft:location:N:path", "syft:location:N:layerID") and Trivy
// ("aquasecurity:trivy:FilePath", "aquasecurity:trivy:LayerDiffID") write.
func foreignLocations(ps props) (paths []string, diffID string) {
	for _, p := range ps {
		switch {
		case strings.HasPrefix(p.name, "syft:location:") && strings.HasSuffix(p.name, ":path"):
			paths = append(paths, p.value)
		case strings.HasPrefix(p.name, "syft:location:") && strings.HasSuffix(p.name, ":layerID"):
			if diffID == "" {
				diffID = p.value
			}
		case p.name == "aquasecurity:trivy:FilePath":
			paths = append(paths, p.value)
		case p.name == "aquasecurity:trivy:LayerDiffID":
			diffID = p.value
		}
	}
	return paths, diffID
}

// layerByDiffID points at the image layer with the given diff ID; Index
// is -1 when the document does not list the image's layers.
func layerByDiffID(im *model.Image, diffID string) *model.LayerRef {
	if diffID == "" {
		return nil
	}
	for _, l := range im.Layers {
		if l.DiffID == diffID {
			return &model.LayerRef{Index: l.Index, DiffID: l.DiffID, CreatedBy: l.CreatedBy}
		}
	}
	return &model.LayerRef{Index: -1, DiffID: diffID}
}

// spdxIDs is the part of the SPDX license list that package metadata
// commonly uses. Licenses outside it are written as names (CycloneDX) or
// LicenseRef- identifiers (SPDX) so that documents stay schema-valid
// without embedding the whole list.
var spdxIDs = func() map[string]bool {
	m := map[string]bool{}
	for _, id := range strings.Fields(`0BSD AFL-2.1 AGPL-3.0-only AGPL-3.0-or-later Apache-1.1 Apache-2.0
		Artistic-1.0 Artistic-1.0-Perl Artistic-2.0 BSD-1-Clause BSD-2-Clause BSD-3-Clause BSD-4-Clause
		BSL-1.0 CC-BY-3.0 CC-BY-4.0 CC-BY-SA-3.0 CC-BY-SA-4.0 CC0-1.0 CDDL-1.0 CDDL-1.1 EPL-1.0 EPL-2.0
		GFDL-1.2-or-later GFDL-1.3-or-later GPL-1.0-or-later GPL-2.0-only GPL-2.0-or-later GPL-3.0-only
		GPL-3.0-or-later ISC LGPL-2.0-only LGPL-2.0-or-later LGPL-2.1-only LGPL-2.1-or-later
		LGPL-3.0-only LGPL-3.0-or-later MIT MIT-0 MPL-1.1 MPL-2.0 OpenSSL PHP-3.01 PSF-2.0 Python-2.0
		Ruby Unicode-DFS-2016 Unlicense W3C WTFPL X11 Zlib curl`) {
		m[id] = true
	}
	return m
}()
