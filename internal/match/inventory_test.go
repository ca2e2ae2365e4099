package match

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
)

// parseInventory reads the compact inventory format:
//
//	distro ID RELEASE [eol[=DATE]]
//	platform OS/ARCH
//	digest sha256:…
//	pkg ECO NAME VERSION [src=NAME] [srcver=VERSION] [loc=PATH] [purl=PURL]
//	    [origin=ORIGIN] [dev] [layer=INDEX]
//	gobin PATH [go=VERSION] [syms=SYM,SYM,…]
//
// A line starting with "{" is a whole model.Inventory in JSON instead.
func parseInventory(s string) (*model.Inventory, error) {
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") {
		var inv model.Inventory
		dec := json.NewDecoder(bytes.NewReader([]byte(t)))
		dec.DisallowUnknownFields()
		return &inv, dec.Decode(&inv)
	}
	inv := &model.Inventory{Schema: model.InventorySchema}
	for _, l := range lines(s) {
		f := strings.Fields(l)
		switch f[0] {
		case "distro":
			d := &model.Distro{ID: f[1]}
			if len(f) > 2 {
				d.Release, d.VersionID = f[2], f[2]
			}
			for _, opt := range f[min(3, len(f)):] {
				k, v, _ := strings.Cut(opt, "=")
				if k == "eol" {
					d.EOL, d.EOLDate = true, v
				}
			}
			inv.Distro = d
		case "platform":
			inv.Image.Platform = f[1]
		case "digest":
			inv.Image.Digest = f[1]
		case "pkg":
			if len(f) < 4 {
				return nil, fmt.Errorf("pkg line %q: want ECO NAME VERSION", l)
			}
			p := model.Package{Ecosystem: model.Ecosystem(f[1]), Name: f[2], Version: f[3], Origin: model.OriginInstalled}
			if p.Version == "-" {
				p.Version = ""
			}
			for _, opt := range f[4:] {
				k, v, _ := strings.Cut(opt, "=")
				switch k {
				case "src":
					p.SourceName = v
				case "srcver":
					p.SourceVersion = v
				case "loc":
					p.Locations = append(p.Locations, v)
				case "purl":
					p.PURL = v
				case "origin":
					p.Origin = model.Origin(v)
				case "dev":
					p.Dev = true
				case "layer":
					p.Layer = &model.LayerRef{DiffID: "sha256:layer" + v, CreatedBy: "RUN step " + v}
					fmt.Sscan(v, &p.Layer.Index)
				default:
					return nil, fmt.Errorf("pkg line %q: unknown option %q", l, k)
				}
			}
			if p.PURL == "" {
				p.PURL = defaultPURL(&p, inv.Distro)
			}
			inv.Packages = append(inv.Packages, p)
		case "gobin":
			b := model.GoBinary{Path: f[1]}
			for _, opt := range f[2:] {
				k, v, _ := strings.Cut(opt, "=")
				switch k {
				case "go":
					b.GoVersion = v
				case "syms":
					b.Symbols = strings.Split(v, ",")
				default:
					return nil, fmt.Errorf("gobin line %q: unknown option %q", l, k)
				}
			}
			inv.GoBinaries = append(inv.GoBinaries, b)
		default:
			return nil, fmt.Errorf("unknown inventory line %q", l)
		}
	}
	return inv, nil
}

func defaultPURL(p *model.Package, d *model.Distro) string {
	ns := ""
	if p.Ecosystem.IsOS() && d != nil {
		ns = d.ID + "/"
	}
	name := p.Name
	if p.Ecosystem == model.EcosystemMaven {
		name = strings.Replace(name, ":", "/", 1)
	}
	return "pkg:" + string(p.Ecosystem) + "/" + ns + name + "@" + strings.ReplaceAll(p.Version, ":", "%3A")
}
