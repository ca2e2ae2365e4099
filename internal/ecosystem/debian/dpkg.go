package debian

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

const (
	dpkgStatusPath = "/var/lib/dpkg/status"
	dpkgInfoDir    = "/var/lib/dpkg/info/"
	dpkgStatusDDir = "/var/lib/dpkg/status.d/"
)

// DpkgCataloger reads dpkg's database of installed packages,
// /var/lib/dpkg/status, and the per-package file lists
// /var/lib/dpkg/info/*.list that say which files dpkg installed.
type DpkgCataloger struct{}

var _ catalog.Cataloger = (*DpkgCataloger)(nil)

// NewDpkgCataloger returns the dpkg status cataloger.
func NewDpkgCataloger() *DpkgCataloger { return &DpkgCataloger{} }

// Name implements catalog.Plugin.
func (*DpkgCataloger) Name() string { return "dpkg" }

// Version implements catalog.Plugin.
func (*DpkgCataloger) Version() int { return 1 }

// Wants claims the status file and the info/*.list file lists.
func (*DpkgCataloger) Wants(fi catalog.FileInfo) bool {
	if fi.Mode.IsDir() {
		return false
	}
	if fi.Path == dpkgStatusPath {
		return true
	}
	return dpkgIsDirectChild(fi.Path, dpkgInfoDir) && strings.HasSuffix(fi.Path, ".list")
}

// MaxSize implements catalog.Cataloger. A status file with thousands of
// packages is a few megabytes.
func (*DpkgCataloger) MaxSize() int64 { return 64 << 20 }

// Catalog implements catalog.Cataloger.
func (c *DpkgCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := dpkgReadAll(in)
	if err != nil {
		return catalog.Result{}, err
	}
	if strings.HasSuffix(in.Path, ".list") {
		return catalog.Result{OwnedFiles: dpkgParseFileList(data, false)}, nil
	}
	pkgs, err := dpkgCatalogStanzas(ctx, in.Path, data, c.Name(), true)
	return catalog.Result{Packages: pkgs}, err
}

// DistrolessCataloger reads the one-file-per-package database that
// distroless images keep in /var/lib/dpkg/status.d/ instead of a status
// file. Every stanza there is an installed package; the NAME.md5sums files
// beside them list the files each package installed.
type DistrolessCataloger struct{}

var _ catalog.Cataloger = (*DistrolessCataloger)(nil)

// NewDistrolessCataloger returns the status.d cataloger.
func NewDistrolessCataloger() *DistrolessCataloger { return &DistrolessCataloger{} }

// Name implements catalog.Plugin.
func (*DistrolessCataloger) Name() string { return "dpkg-distroless" }

// Version implements catalog.Plugin.
func (*DistrolessCataloger) Version() int { return 1 }

// Wants claims every regular file directly inside status.d.
func (*DistrolessCataloger) Wants(fi catalog.FileInfo) bool {
	return !fi.Mode.IsDir() && dpkgIsDirectChild(fi.Path, dpkgStatusDDir)
}

// MaxSize implements catalog.Cataloger.
func (*DistrolessCataloger) MaxSize() int64 { return 16 << 20 }

// Catalog implements catalog.Cataloger.
func (c *DistrolessCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := dpkgReadAll(in)
	if err != nil {
		return catalog.Result{}, err
	}
	if strings.HasSuffix(in.Path, ".md5sums") {
		return catalog.Result{OwnedFiles: dpkgParseFileList(data, true)}, nil
	}
	pkgs, err := dpkgCatalogStanzas(ctx, in.Path, data, c.Name(), false)
	return catalog.Result{Packages: pkgs}, err
}

// dpkgCatalogStanzas turns the stanzas of one file into packages. With
// requireInstalled, stanzas whose Status is not installed are skipped
// silently: they are dpkg's memory of removed packages, not a problem.
func dpkgCatalogStanzas(ctx context.Context, file string, data []byte, foundBy string, requireInstalled bool) ([]model.Package, error) {
	entries, problems := parseDpkgStatus(data)
	pkgs := make([]model.Package, 0, len(entries))
	for i := range entries {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return pkgs, err
			}
		}
		e := &entries[i]
		if requireInstalled && !e.installed() {
			continue
		}
		p, err := dpkgPackage(e, file, foundBy)
		if err != nil {
			problems = append(problems, fmt.Errorf("stanza at line %d: %w", e.Line, err))
			if p == nil {
				continue
			}
		}
		pkgs = append(pkgs, *p)
	}
	return pkgs, dpkgJoinProblems(file, problems)
}

// dpkgPackage makes a package of one stanza. It returns no package when
// the stanza cannot name one, and a package plus an error when a field is
// doubtful but the package is still worth reporting.
func dpkgPackage(e *dpkgEntry, file, foundBy string) (*model.Package, error) {
	switch {
	case e.Package == "":
		return nil, errors.New("no Package field")
	case !dpkgValidName(e.Package):
		return nil, fmt.Errorf("invalid package name %q", e.Package)
	case e.Version == "":
		return nil, fmt.Errorf("package %s: no Version field", e.Package)
	}
	var problem error
	if !dpkgValidVersion(e.Version) {
		problem = fmt.Errorf("package %s: invalid version %q", e.Package, e.Version)
	}
	srcName, srcVersion, err := e.sourceNameVersion()
	if err != nil && problem == nil {
		problem = fmt.Errorf("package %s: %w", e.Package, err)
	}
	p := &model.Package{
		Ecosystem:     model.EcosystemDeb,
		Name:          e.Package,
		Version:       e.Version,
		SourceName:    srcName,
		SourceVersion: srcVersion,
		Arch:          e.Architecture,
		Origin:        model.OriginInstalled,
		FoundBy:       foundBy,
		Locations:     []string{file},
	}
	p.PURL = dpkgPURL(p)
	return p, problem
}

// dpkgPURL follows the purl spec's deb type. The namespace is "debian"
// until the distribution is known; the source package, when it differs,
// is the "upstream" qualifier, with its version when that differs too.
func dpkgPURL(p *model.Package) string {
	q := map[string]string{}
	if p.Arch != "" {
		q["arch"] = p.Arch
	}
	if p.SourceName != "" && (p.SourceName != p.Name || p.SourceVersion != p.Version) {
		up := p.SourceName
		if p.SourceVersion != "" && p.SourceVersion != p.Version {
			up += "@" + p.SourceVersion
		}
		q["upstream"] = up
	}
	return packageurl.NewPackageURL(packageurl.TypeDebian, "debian", p.Name, p.Version,
		packageurl.QualifiersFromMap(q), "").ToString()
}

// dpkgParseFileList reads a dpkg file list: info/NAME.list (absolute paths,
// directories included) or, with md5sums, a NAME.md5sums file ("HASH  relative/path").
// The root "/." entry is not a file anyone owns and is dropped.
func dpkgParseFileList(data []byte, md5sums bool) []string {
	var out []string
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if md5sums {
			_, name, ok := strings.Cut(line, " ")
			if !ok {
				continue
			}
			line = strings.TrimLeft(name, " *")
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		p := path.Clean("/" + line)
		if p == "/" {
			continue
		}
		out = append(out, p)
	}
	return out
}

// dpkgIsDirectChild reports whether p names an entry directly inside dir
// (which ends in "/"), not a hidden file and not something deeper.
func dpkgIsDirectChild(p, dir string) bool {
	name, ok := strings.CutPrefix(p, dir)
	return ok && name != "" && name[0] != '.' && !strings.Contains(name, "/")
}

func dpkgReadAll(in catalog.Input) ([]byte, error) {
	b, err := io.ReadAll(io.NewSectionReader(in.Content, 0, in.Size))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", in.Path, err)
	}
	return b, nil
}

// dpkgJoinProblems folds per-stanza problems into one error naming the file,
// so the plugin status shows one warning per file rather than hundreds.
func dpkgJoinProblems(file string, problems []error) error {
	if len(problems) == 0 {
		return nil
	}
	const show = 5
	var b strings.Builder
	for i, p := range problems {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(problems)-show)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return fmt.Errorf("%s: %w", file, &dpkgProblemsError{msg: b.String(), errs: problems})
}

type dpkgProblemsError struct {
	msg  string
	errs []error
}

func (e *dpkgProblemsError) Error() string   { return e.msg }
func (e *dpkgProblemsError) Unwrap() []error { return e.errs }
