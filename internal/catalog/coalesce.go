package catalog

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Coalesced is the final view of an image: what survives in the top
// filesystem, with each package attributed to the layer that introduced it.
type Coalesced struct {
	Distro     *model.Distro
	Packages   []model.Package
	GoBinaries []model.GoBinary
	Status     []model.PluginStatus
}

// fileState is a claimed file as visible at some point while layers are
// stacked.
type fileState struct {
	layer int
	found []*Found
}

// Coalesce stacks layer results bottom to top (results[i] belongs to
// layers[i]). Whiteouts and opaque directories remove lower files, a later
// entry at the same path replaces the lower one; packages come only from
// files in the final filesystem. A package is attributed to the lowest
// layer from which the same (ecosystem, name, version, file) has existed
// without interruption. Layers with an empty DiffID (directory sources)
// produce no layer reference.
func Coalesce(layers []model.Layer, results []*LayerResult, cats []Cataloger, dets []Detector) *Coalesced {
	files := map[string]*fileState{}
	release := map[string][]byte{}
	links := map[string]string{}
	since := map[string]int{}
	for i, r := range results {
		for _, w := range r.Whiteouts {
			removeTree(files, w)
			removeTree(release, w)
			removeTree(links, w)
		}
		for _, d := range r.Opaque {
			removeUnder(files, d)
			removeUnder(release, d)
			removeUnder(links, d)
		}
		for _, e := range r.Entries {
			delete(files, e)
			delete(release, e)
			delete(links, e)
		}
		for j := range r.Found {
			f := &r.Found[j]
			st := files[f.Path]
			if st == nil || st.layer != i {
				st = &fileState{layer: i}
				files[f.Path] = st
			}
			st.found = append(st.found, f)
		}
		for p, b := range r.Release {
			release[p] = b
		}
		for p, t := range r.Symlinks {
			links[p] = t
		}
		present := map[string]bool{}
		for p, st := range files {
			for _, f := range st.found {
				for k := range f.Packages {
					present[pkgKey(&f.Packages[k], p)] = true
				}
				for k := range f.GoBinaries {
					present[binKey(&f.GoBinaries[k])] = true
				}
			}
		}
		for k := range since {
			if !present[k] {
				delete(since, k)
			}
		}
		for k := range present {
			if _, ok := since[k]; !ok {
				since[k] = i
			}
		}
	}

	out := &Coalesced{}
	out.Distro, out.Status = detect(dets, release, links)
	owned := map[string]bool{}
	for _, st := range files {
		for _, f := range st.found {
			for _, o := range f.OwnedFiles {
				owned[o] = true
			}
		}
	}
	for p, st := range files {
		for _, f := range st.found {
			for k := range f.Packages {
				pk := clonePackage(&f.Packages[k])
				if !pk.Ecosystem.IsOS() && ownedByOS(pk, owned) {
					continue
				}
				pk.Layer = layerRef(layers, since[pkgKey(&f.Packages[k], p)])
				if pk.Ecosystem.IsOS() {
					pk.PURL = distroPURL(pk.PURL, out.Distro)
				}
				out.Packages = append(out.Packages, pk)
			}
			for k := range f.GoBinaries {
				b := f.GoBinaries[k]
				b.Layer = layerRef(layers, since[binKey(&b)])
				out.GoBinaries = append(out.GoBinaries, b)
			}
		}
	}
	out.Packages = mergeLockEvidence(out.Packages)
	SortPackages(out.Packages)
	sort.Slice(out.GoBinaries, func(i, j int) bool { return out.GoBinaries[i].Path < out.GoBinaries[j].Path })
	out.Status = append(pluginStatus(cats, results), out.Status...)
	out.Status = append(out.Status, walkerStatus(results)...)
	return out
}

func pkgKey(p *model.Package, file string) string {
	return string(p.Ecosystem) + "\x00" + p.Name + "\x00" + p.Version + "\x00" + file + "\x00" + strings.Join(p.Locations, "\x00")
}

func binKey(b *model.GoBinary) string {
	return "go-binary\x00" + b.Path + "\x00" + b.MainModule + "\x00" + b.GoVersion
}

func layerRef(layers []model.Layer, i int) *model.LayerRef {
	if i < 0 || i >= len(layers) || layers[i].DiffID == "" {
		return nil
	}
	l := layers[i]
	return &model.LayerRef{Index: l.Index, DiffID: l.DiffID, CreatedBy: l.CreatedBy}
}

// removeTree deletes p and everything below it.
func removeTree[V any](m map[string]V, p string) {
	delete(m, p)
	removeUnder(m, p)
}

// removeUnder deletes everything strictly below directory d.
func removeUnder[V any](m map[string]V, d string) {
	prefix := strings.TrimSuffix(d, "/") + "/"
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			delete(m, k)
		}
	}
}

func ownedByOS(p model.Package, owned map[string]bool) bool {
	if len(p.Locations) == 0 || len(owned) == 0 {
		return false
	}
	for _, l := range p.Locations {
		if !owned[l] {
			return false
		}
	}
	return true
}

func clonePackage(p *model.Package) model.Package {
	c := *p
	c.Locations = append([]string(nil), p.Locations...)
	c.Licenses = append([]string(nil), p.Licenses...)
	if p.Metadata != nil {
		c.Metadata = make(map[string]string, len(p.Metadata))
		for k, v := range p.Metadata {
			c.Metadata[k] = v
		}
	}
	return c
}

// distroPURL puts the distro ID in an OS package's purl namespace and adds
// the distro=<id>-<versionID> qualifier (the purl convention for deb, apk
// and rpm). An unparsable purl is returned unchanged.
func distroPURL(s string, d *model.Distro) string {
	if d.Unknown() || s == "" {
		return s
	}
	u, err := packageurl.FromString(s)
	if err != nil {
		return s
	}
	u.Namespace = d.ID
	q := d.ID
	if d.VersionID != "" {
		q += "-" + d.VersionID
	}
	m := u.Qualifiers.Map()
	m["distro"] = q
	u.Qualifiers = packageurl.QualifiersFromMap(m)
	return u.ToString()
}

// SortPackages orders packages deterministically: ecosystem, name,
// version, first location, cataloger.
func SortPackages(ps []model.Package) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := &ps[i], &ps[j]
		if a.Ecosystem != b.Ecosystem {
			return a.Ecosystem < b.Ecosystem
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		la, lb := first(a.Locations), first(b.Locations)
		if la != lb {
			return la < lb
		}
		return a.FoundBy < b.FoundBy
	})
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// detect runs the detectors over the final release files, resolving
// symlinked release files (/etc/os-release -> ../usr/lib/os-release)
// inside the image. The first detector that recognises the system wins.
func detect(dets []Detector, release map[string][]byte, links map[string]string) (*model.Distro, []model.PluginStatus) {
	var found *model.Distro
	var status []model.PluginStatus
	for _, d := range dets {
		st := model.PluginStatus{Name: d.Name(), Version: d.Version(), State: model.PluginOK}
		files := map[string][]byte{}
		for p, b := range release {
			if d.Wants(p) {
				files[p] = b
			}
		}
		for p := range links {
			if _, ok := files[p]; ok || !d.Wants(p) {
				continue
			}
			if b, ok := resolveRelease(p, release, links); ok {
				files[p] = b
			}
		}
		if len(files) > 0 {
			dist, err := safeDetect(d, files)
			if err != nil {
				st.State = model.PluginPartial
				st.Warnings = append(st.Warnings, err.Error())
			}
			if found == nil && dist != nil && !dist.Unknown() {
				found = dist
			}
		}
		status = append(status, st)
	}
	return found, status
}

func safeDetect(d Detector, files map[string][]byte) (dist *model.Distro, err error) {
	defer func() {
		if r := recover(); r != nil {
			dist, err = nil, fmt.Errorf("detector panicked: %v", r)
		}
	}()
	return d.Detect(files)
}

// resolveRelease follows a chain of symlinks from p, staying inside the
// image root, to a collected release file.
func resolveRelease(p string, release map[string][]byte, links map[string]string) ([]byte, bool) {
	cur := p
	for hops := 0; hops < 16; hops++ {
		t, ok := links[cur]
		if !ok {
			b, ok := release[cur]
			return b, ok
		}
		if !strings.HasPrefix(t, "/") {
			t = path.Join(path.Dir(cur), t)
		}
		c, ok := cleanPath(t)
		if !ok {
			// "/.." is "/" in a root filesystem: clamp instead of escaping.
			c = path.Clean("/" + t)
		}
		cur = c
	}
	return nil, false
}

// pluginStatus folds the per-layer warnings of each cataloger into one
// status: failed when it panicked, partial when it warned, ok otherwise.
func pluginStatus(cats []Cataloger, results []*LayerResult) []model.PluginStatus {
	var out []model.PluginStatus
	for _, c := range cats {
		out = append(out, foldStatus(c.Name(), c.Version(), results))
	}
	return out
}

func walkerStatus(results []*LayerResult) []model.PluginStatus {
	st := foldStatus(WalkerName, WalkerVersion, results)
	if st.State == model.PluginOK {
		return nil
	}
	return []model.PluginStatus{st}
}

func foldStatus(name string, version int, results []*LayerResult) model.PluginStatus {
	st := model.PluginStatus{Name: name, Version: version, State: model.PluginOK}
	for _, r := range results {
		for _, w := range r.Warnings {
			if w.Plugin != name {
				continue
			}
			st.Warnings = append(st.Warnings, w.Message)
			if w.Failed {
				st.State = model.PluginFailed
			} else if st.State == model.PluginOK {
				st.State = model.PluginPartial
			}
		}
	}
	return st
}
