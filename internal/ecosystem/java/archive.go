package java

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// ArchiveCataloger reads Java archives. Every
// META-INF/maven/GROUP/ARTIFACT/pom.properties is one package, so a
// shaded or fat jar yields one package per library it bundles. Archives
// without one fall back to the manifest and then to the file name.
// Nested archives (WEB-INF/lib, BOOT-INF/lib, lib/, …) are read
// recursively and located as "outer.jar!/inner.jar".
type ArchiveCataloger struct {
	limits Limits
}

var _ catalog.Cataloger = (*ArchiveCataloger)(nil)

// NewArchiveCataloger returns the Java archive cataloger with
// DefaultLimits.
func NewArchiveCataloger() *ArchiveCataloger { return &ArchiveCataloger{limits: DefaultLimits} }

// NewArchiveCatalogerWithLimits returns a cataloger with other limits.
func NewArchiveCatalogerWithLimits(l Limits) *ArchiveCataloger { return &ArchiveCataloger{limits: l} }

// Name implements catalog.Plugin.
func (*ArchiveCataloger) Name() string { return "java-archive" }

// Version implements catalog.Plugin.
func (*ArchiveCataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*ArchiveCataloger) Wants(fi catalog.FileInfo) bool {
	return fi.Mode.IsRegular() && isArchiveName(fi.Path)
}

func isArchiveName(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".jar", ".war", ".ear", ".jpi", ".hpi":
		return true
	}
	return false
}

// MaxSize implements catalog.Cataloger.
func (*ArchiveCataloger) MaxSize() int64 { return 256 << 20 }

// Catalog implements catalog.Cataloger. Problems in nested archives are
// reported together in the error; packages found elsewhere are kept.
func (c *ArchiveCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	w := walker{ctx: ctx, limits: c.limits, budget: &budget{left: c.limits.MaxTotal}, foundBy: c.Name()}
	err := w.archive(in.Content, in.Size, in.Path, 0)
	pkgs := w.pkgs
	if err != nil {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %w", in.Path, err)
	}
	return catalog.Result{Packages: pkgs}, nil
}

type walker struct {
	ctx     context.Context
	limits  Limits
	budget  *budget
	foundBy string
	pkgs    []model.Package
}

func (w *walker) archive(r io.ReaderAt, size int64, location string, depth int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	n, err := entryCount(r, size)
	if err != nil {
		return fmt.Errorf("not a zip archive: %w", err)
	}
	if n > w.limits.MaxEntries {
		return fmt.Errorf("%d entries exceed the limit of %d", n, w.limits.MaxEntries)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// Insecure names do not matter: nothing is written to disk.
		return fmt.Errorf("not a zip archive: %w", err)
	}
	if uint64(len(zr.File)) > w.limits.MaxEntries {
		return fmt.Errorf("%d entries exceed the limit of %d", len(zr.File), w.limits.MaxEntries)
	}
	var poms, nested []*zip.File
	var manifest *zip.File
	for _, f := range zr.File {
		switch {
		case isPomProperties(f.Name):
			poms = append(poms, f)
		case f.Name == "META-INF/MANIFEST.MF":
			manifest = f
		case isArchiveName(f.Name) && !f.FileInfo().IsDir():
			nested = append(nested, f)
		}
	}
	sort.Slice(poms, func(i, j int) bool { return poms[i].Name < poms[j].Name })
	var errs []error
	found := 0
	for _, f := range poms {
		data, err := readEntry(f, w.limits.MaxMetadata, w.budget)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		props := parseProperties(data)
		g, a, v := props["groupId"], props["artifactId"], props["version"]
		if g == "" || a == "" || v == "" {
			errs = append(errs, fmt.Errorf("entry %s: groupId, artifactId or version missing", f.Name))
			continue
		}
		w.pkgs = append(w.pkgs, newPackage(g, a, v, w.foundBy, location))
		found++
	}
	if found == 0 {
		var mf map[string]string
		if manifest != nil {
			data, err := readEntry(manifest, w.limits.MaxMetadata, w.budget)
			if err != nil {
				errs = append(errs, err)
			} else {
				mf = parseManifest(data)
			}
		}
		if p, ok := fromManifest(mf, location, w.foundBy); ok {
			w.pkgs = append(w.pkgs, p)
		}
	}
	for _, f := range nested {
		if depth+1 >= w.limits.MaxDepth {
			errs = append(errs, fmt.Errorf("entry %s: nested deeper than %d archives, not read", f.Name, w.limits.MaxDepth))
			break
		}
		data, err := readEntry(f, w.limits.MaxNested, w.budget)
		if err != nil {
			errs = append(errs, err)
			if errors.Is(err, errBudget) {
				break
			}
			continue
		}
		inner := location + "!/" + f.Name
		if err := w.archive(bytes.NewReader(data), int64(len(data)), inner, depth+1); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", inner, err))
			if errors.Is(err, errBudget) || w.ctx.Err() != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

func isPomProperties(name string) bool {
	rest, ok := strings.CutPrefix(name, "META-INF/maven/")
	return ok && strings.Count(rest, "/") == 2 && strings.HasSuffix(rest, "/pom.properties")
}

// fromManifest identifies an archive that carries no pom.properties. The
// file name is the most reliable artifact id; the manifest adds the
// group (Implementation-Vendor-Id) and a version when the name has none.
func fromManifest(mf map[string]string, location, foundBy string) (model.Package, bool) {
	artifact, version := splitFileName(path.Base(location))
	for _, k := range []string{"Implementation-Version", "Bundle-Version", "Specification-Version"} {
		if v := mf[k]; version == "" && v != "" {
			version = v
		}
	}
	if artifact == "" {
		sym, _, _ := strings.Cut(mf["Bundle-SymbolicName"], ";")
		artifact = strings.TrimSpace(sym)
	}
	if artifact == "" || version == "" {
		return model.Package{}, false
	}
	p := newPackage(mf["Implementation-Vendor-Id"], artifact, version, foundBy, location)
	if l := mf["Bundle-License"]; l != "" && len(l) <= 100 {
		p.Licenses = []string{l}
	}
	return p, true
}

func newPackage(group, artifact, version, foundBy, location string) model.Package {
	name := artifact
	meta := map[string]string{"maven.artifactId": artifact}
	if group != "" {
		name = group + ":" + artifact
		meta["maven.groupId"] = group
	}
	return model.Package{
		Ecosystem: model.EcosystemMaven,
		Name:      name,
		Version:   version,
		PURL:      packageurl.NewPackageURL(packageurl.TypeMaven, group, artifact, version, nil, "").ToString(),
		Origin:    model.OriginBinary,
		FoundBy:   foundBy,
		Locations: []string{location},
		Metadata:  meta,
	}
}
