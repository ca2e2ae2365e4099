// Package sbom writes an inventory as a CycloneDX 1.6 or SPDX 2.3 document
// and reads such documents — Bulwark's own or another tool's — back into
// an inventory, so that `bulwark scan sbom` matches exactly what a scan of
// the image would.
//
// Both formats share one property vocabulary ("bulwark:layer:diffID",
// "bulwark:location", …): CycloneDX carries it as component properties,
// SPDX 2.3 (which has no properties) as package annotations of type OTHER
// whose comment is "name=value". That vocabulary is why the two formats
// live in one package.
package sbom

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Property names. They are part of the documented SBOM contract
// (docs/formats.md); renaming one breaks round trips of stored SBOMs.
const (
	propPrefix        = "bulwark:"
	propFoundBy       = "bulwark:foundBy"
	propOrigin        = "bulwark:origin"
	propLocation      = "bulwark:location"
	propLayerIndex    = "bulwark:layer:index"
	propLayerDiffID   = "bulwark:layer:diffID"
	propLayerCreated  = "bulwark:layer:createdBy"
	propSourceName    = "bulwark:sourceName"
	propSourceVersion = "bulwark:sourceVersion"
	propArch          = "bulwark:arch"
	propDev           = "bulwark:dev"
	propEcosystem     = "bulwark:ecosystem"
	propName          = "bulwark:name"
	propMetadata      = "bulwark:metadata:"

	propImageRef        = "bulwark:image:ref"
	propImageSource     = "bulwark:image:source"
	propImageName       = "bulwark:image:name"
	propImageConfig     = "bulwark:image:configDigest"
	propImagePlatform   = "bulwark:image:platform"
	propImageTag        = "bulwark:image:tag"
	propImageRepoDigest = "bulwark:image:repoDigest"
	propImageLabel      = "bulwark:image:label:"
	propImageLayer      = "bulwark:image:layer"

	propDistroCodename   = "bulwark:distro:codename"
	propDistroRelease    = "bulwark:distro:release"
	propDistroDistroless = "bulwark:distro:distroless"
	propDistroEOL        = "bulwark:distro:eol"
	propDistroEOLDate    = "bulwark:distro:eolDate"
	propDistroSource     = "bulwark:distro:source"

	propGoPath    = "bulwark:goBinary:path"
	propGoMain    = "bulwark:goBinary:mainModule"
	propGoVersion = "bulwark:goBinary:goVersion"
	propGoSymbol  = "bulwark:goBinary:symbols"

	propStatus        = "bulwark:pluginStatus"
	propInventoryTime = "bulwark:inventory:createdAt"
)

// prop is one name=value pair, the common form of CycloneDX properties
// and SPDX annotations.
type prop struct{ name, value string }

// props is an ordered multimap.
type props []prop

func (ps props) get(name string) string {
	for _, p := range ps {
		if p.name == name {
			return p.value
		}
	}
	return ""
}

func (ps props) all(name string) []string {
	var out []string
	for _, p := range ps {
		if p.name == name {
			out = append(out, p.value)
		}
	}
	return out
}

func (ps props) has(name string) bool {
	for _, p := range ps {
		if p.name == name {
			return true
		}
	}
	return false
}

func (ps *props) add(name, value string) {
	if value != "" {
		*ps = append(*ps, prop{name, value})
	}
}

func layerProps(ps *props, l *model.LayerRef) {
	if l == nil {
		return
	}
	ps.add(propLayerIndex, strconv.Itoa(l.Index))
	ps.add(propLayerDiffID, l.DiffID)
	ps.add(propLayerCreated, l.CreatedBy)
}

// packageProps are the properties that make a package round-trip exactly.
// Ecosystem and name are recorded because a purl normalises names (PyPI
// "Flask" becomes "flask") and matching keys on the cataloger's name.
func packageProps(p *model.Package) props {
	var ps props
	ps.add(propEcosystem, string(p.Ecosystem))
	ps.add(propName, p.Name)
	ps.add(propFoundBy, p.FoundBy)
	ps.add(propOrigin, string(p.Origin))
	for _, l := range p.Locations {
		ps.add(propLocation, l)
	}
	layerProps(&ps, p.Layer)
	ps.add(propSourceName, p.SourceName)
	ps.add(propSourceVersion, p.SourceVersion)
	ps.add(propArch, p.Arch)
	if p.Dev {
		ps.add(propDev, "true")
	}
	for _, k := range slices.Sorted(maps.Keys(p.Metadata)) {
		ps.add(propMetadata+k, p.Metadata[k])
	}
	return ps
}

func layerFromProps(ps props) (*model.LayerRef, error) {
	diffID := ps.get(propLayerDiffID)
	if diffID == "" {
		return nil, nil
	}
	l := &model.LayerRef{DiffID: diffID, CreatedBy: ps.get(propLayerCreated)}
	if s := ps.get(propLayerIndex); s != "" {
		i, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", propLayerIndex, err)
		}
		l.Index = i
	}
	return l, nil
}

// applyPackageProps overlays Bulwark's own properties on a package decoded
// from its purl.
func applyPackageProps(p *model.Package, ps props) error {
	if v := ps.get(propEcosystem); v != "" {
		p.Ecosystem = model.Ecosystem(v)
	}
	if v := ps.get(propName); v != "" {
		p.Name = v
	}
	if v := ps.get(propFoundBy); v != "" {
		p.FoundBy = v
	}
	if v := ps.get(propOrigin); v != "" {
		p.Origin = model.Origin(v)
	}
	if locs := ps.all(propLocation); len(locs) > 0 {
		p.Locations = locs
	}
	l, err := layerFromProps(ps)
	if err != nil {
		return err
	}
	if l != nil {
		p.Layer = l
	}
	if ps.has(propSourceName) || ps.has(propSourceVersion) {
		p.SourceName, p.SourceVersion = ps.get(propSourceName), ps.get(propSourceVersion)
	}
	if v := ps.get(propArch); v != "" {
		p.Arch = v
	}
	p.Dev = ps.get(propDev) == "true"
	for _, pr := range ps {
		if k, ok := strings.CutPrefix(pr.name, propMetadata); ok {
			if p.Metadata == nil {
				p.Metadata = map[string]string{}
			}
			p.Metadata[k] = pr.value
		}
	}
	return nil
}

func imageProps(im *model.Image) props {
	var ps props
	ps.add(propImageRef, im.Ref)
	ps.add(propImageSource, im.Source)
	ps.add(propImageName, im.Name)
	ps.add(propImageConfig, im.ConfigDigest)
	ps.add(propImagePlatform, im.Platform)
	for _, t := range im.Tags {
		ps.add(propImageTag, t)
	}
	for _, d := range im.RepoDigests {
		ps.add(propImageRepoDigest, d)
	}
	for _, k := range slices.Sorted(maps.Keys(im.Labels)) {
		ps.add(propImageLabel+k, im.Labels[k])
	}
	for _, l := range im.Layers {
		ps.add(propImageLayer, compactJSON(l))
	}
	return ps
}

func applyImageProps(im *model.Image, ps props) error {
	if v := ps.get(propImageRef); v != "" {
		im.Ref = v
	}
	im.Source = ps.get(propImageSource)
	im.Name = ps.get(propImageName)
	im.ConfigDigest = ps.get(propImageConfig)
	im.Platform = ps.get(propImagePlatform)
	im.Tags = ps.all(propImageTag)
	im.RepoDigests = ps.all(propImageRepoDigest)
	for _, pr := range ps {
		if k, ok := strings.CutPrefix(pr.name, propImageLabel); ok {
			if im.Labels == nil {
				im.Labels = map[string]string{}
			}
			im.Labels[k] = pr.value
		}
	}
	for _, s := range ps.all(propImageLayer) {
		var l model.Layer
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			return fmt.Errorf("property %s: %w", propImageLayer, err)
		}
		im.Layers = append(im.Layers, l)
	}
	return nil
}

func distroProps(d *model.Distro) props {
	var ps props
	ps.add(propDistroCodename, d.Codename)
	ps.add(propDistroRelease, d.Release)
	if d.Distroless {
		ps.add(propDistroDistroless, "true")
	}
	if d.EOL {
		ps.add(propDistroEOL, "true")
	}
	ps.add(propDistroEOLDate, d.EOLDate)
	ps.add(propDistroSource, d.Source)
	return ps
}

func applyDistroProps(d *model.Distro, ps props) {
	if v := ps.get(propDistroCodename); v != "" {
		d.Codename = v
	}
	if v := ps.get(propDistroRelease); v != "" {
		d.Release = v
	}
	d.Distroless = ps.get(propDistroDistroless) == "true"
	d.EOL = ps.get(propDistroEOL) == "true"
	d.EOLDate = ps.get(propDistroEOLDate)
	d.Source = ps.get(propDistroSource)
}

func goBinaryProps(b *model.GoBinary) props {
	var ps props
	ps.add(propGoPath, b.Path)
	ps.add(propGoMain, b.MainModule)
	ps.add(propGoVersion, b.GoVersion)
	layerProps(&ps, b.Layer)
	// One property for all symbols: a binary links thousands, and one
	// newline-separated value keeps the document a fraction of the size.
	ps.add(propGoSymbol, strings.Join(b.Symbols, "\n"))
	return ps
}

func goBinaryFromProps(ps props) (model.GoBinary, error) {
	b := model.GoBinary{Path: ps.get(propGoPath), MainModule: ps.get(propGoMain), GoVersion: ps.get(propGoVersion)}
	if s := ps.get(propGoSymbol); s != "" {
		b.Symbols = strings.Split(s, "\n")
	}
	l, err := layerFromProps(ps)
	b.Layer = l
	return b, err
}

func statusProps(st []model.PluginStatus) props {
	var ps props
	for _, s := range st {
		ps.add(propStatus, compactJSON(s))
	}
	return ps
}

func statusFromProps(ps props) ([]model.PluginStatus, error) {
	var out []model.PluginStatus
	for _, s := range ps.all(propStatus) {
		var st model.PluginStatus
		if err := json.Unmarshal([]byte(s), &st); err != nil {
			return nil, fmt.Errorf("property %s: %w", propStatus, err)
		}
		out = append(out, st)
	}
	return out, nil
}

// compactJSON encodes plain model values (which always encode) without
// HTML escaping, so that "&&" in a history line stays readable.
func compactJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}
