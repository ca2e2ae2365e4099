package rpm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// rpmdbDirs are where rpm keeps its database: /var/lib/rpm traditionally,
// /usr/lib/sysimage/rpm on Fedora 36+, openSUSE and SLES 15 SP3+ (often
// with /var/lib/rpm a symlink to it).
var rpmdbDirs = []string{"/var/lib/rpm/", "/usr/lib/sysimage/rpm/"}

// rpmdbFiles are the package tables of the three database formats.
var rpmdbFiles = map[string]bool{
	"rpmdb.sqlite": true, // sqlite, rpm 4.16+
	"Packages":     true, // Berkeley DB hash
	"Packages.db":  true, // ndb
}

// Cataloger reads rpm's database of installed packages in any of its three
// formats, told apart by content rather than by name.
type Cataloger struct{}

var _ catalog.Cataloger = (*Cataloger)(nil)

// NewCataloger returns the rpmdb cataloger.
func NewCataloger() *Cataloger { return &Cataloger{} }

// Name implements catalog.Plugin.
func (*Cataloger) Name() string { return "rpmdb" }

// Version implements catalog.Plugin.
func (*Cataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*Cataloger) Wants(fi catalog.FileInfo) bool {
	if fi.Mode.IsDir() {
		return false
	}
	dir, file := path.Split(fi.Path)
	if !rpmdbFiles[file] {
		return false
	}
	for _, d := range rpmdbDirs {
		if dir == d {
			return true
		}
	}
	return false
}

// MaxSize implements catalog.Cataloger. Berkeley DB files of large RHEL
// images reach a few hundred megabytes; they are read page by page.
func (*Cataloger) MaxSize() int64 { return 512 << 20 }

// maxProblems bounds the per-package problems kept for one database.
const maxProblems = 5

// Catalog implements catalog.Cataloger.
func (c *Cataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	var (
		res      catalog.Result
		problems []string
		dropped  int
	)
	collect := func(blob []byte) error {
		p, files, err := c.pkg(blob, in.Path)
		if err != nil {
			if len(problems) < maxProblems {
				problems = append(problems, err.Error())
			} else {
				dropped++
			}
		}
		if p != nil {
			res.Packages = append(res.Packages, *p)
			res.OwnedFiles = append(res.OwnedFiles, files...)
		}
		return nil
	}
	err := eachBlob(ctx, in, collect)
	if dropped > 0 {
		problems = append(problems, fmt.Sprintf("and %d more", dropped))
	}
	if len(problems) > 0 {
		err = errors.Join(err, fmt.Errorf("%s: %s", in.Path, strings.Join(problems, "; ")))
	}
	return res, err
}

// eachBlob sniffs the database format and calls fn with every header.
func eachBlob(ctx context.Context, in catalog.Input, fn func([]byte) error) error {
	head := make([]byte, 16)
	if _, err := in.Content.ReadAt(head, 0); err != nil {
		return fmt.Errorf("%s: too short for an rpm database: %w", in.Path, err)
	}
	var err error
	switch {
	case bytes.Equal(head, []byte(sqliteMagic)):
		err = eachSQLite(ctx, in.Content, in.Size, fn)
	case binary.LittleEndian.Uint32(head[0:4]) == ndbMagic:
		var db *ndbReader
		if db, err = openNDB(in.Content, in.Size); err == nil {
			err = db.each(ctx, fn)
		}
	default:
		var db *bdbReader
		if db, err = openBDB(in.Content, in.Size); err == nil {
			err = db.each(ctx, fn)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", in.Path, err)
	}
	return nil
}

// pkg makes a package of one header blob. It returns no package and no
// error for the gpg-pubkey entries rpm keeps for imported signing keys.
func (c *Cataloger) pkg(blob []byte, file string) (*model.Package, []string, error) {
	h, err := parseHeader(blob)
	if err != nil {
		return nil, nil, err
	}
	var (
		name, version, release, arch, license, srpm, vendor, modularity string
		epochs                                                          []int32
	)
	for _, f := range []struct {
		tag int32
		dst *string
	}{
		{tagName, &name}, {tagVersion, &version}, {tagRelease, &release}, {tagArch, &arch},
		{tagLicense, &license}, {tagSourceRPM, &srpm}, {tagVendor, &vendor}, {tagModularityLabel, &modularity},
	} {
		if *f.dst, err = h.str(f.tag); err != nil {
			return nil, nil, fmt.Errorf("package %q: %w", name, err)
		}
	}
	if epochs, err = h.int32s(tagEpoch); err != nil {
		return nil, nil, fmt.Errorf("package %s: %w", name, err)
	}
	switch {
	case name == "":
		return nil, nil, errors.New("header without a name")
	case version == "":
		return nil, nil, fmt.Errorf("package %s: no version", name)
	case name == "gpg-pubkey":
		return nil, nil, nil
	}
	var epoch int32
	if len(epochs) > 0 {
		epoch = epochs[0]
	}
	p := &model.Package{
		Ecosystem: model.EcosystemRPM,
		Name:      name,
		Version:   evr(epoch, version, release),
		Arch:      arch,
		Origin:    model.OriginInstalled,
		FoundBy:   c.Name(),
		Locations: []string{file},
	}
	if license != "" {
		p.Licenses = []string{license}
	}
	if srcName, srcVersion, srcRelease, ok := parseSourceRPM(srpm); ok {
		// The source package's epoch is not in its file name; a binary
		// package always carries its source package's epoch.
		p.SourceName, p.SourceVersion = srcName, evr(epoch, srcVersion, srcRelease)
	}
	if vendor != "" || modularity != "" {
		p.Metadata = map[string]string{}
		if vendor != "" {
			p.Metadata["rpm.vendor"] = vendor
		}
		if modularity != "" {
			p.Metadata["rpm.modularitylabel"] = modularity
		}
	}
	q := map[string]string{}
	if arch != "" {
		q["arch"] = arch
	}
	if epoch > 0 {
		q["epoch"] = itoa(epoch)
	}
	if srpm != "" {
		q["upstream"] = srpm
	}
	purlVersion := version
	if release != "" {
		purlVersion += "-" + release
	}
	p.PURL = packageurl.NewPackageURL(packageurl.TypeRPM, "redhat", name, purlVersion,
		packageurl.QualifiersFromMap(q), "").ToString()
	files, err := h.files()
	if err != nil {
		return p, nil, fmt.Errorf("package %s: file list: %w", name, err)
	}
	return p, files, nil
}
