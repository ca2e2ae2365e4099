package alpine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// apkInstalledPaths are where apk-tools keeps its database: /lib/apk/db for
// apk-tools 2, /usr/lib/apk/db where /lib has been merged into /usr (apk
// 3, and Wolfi).
var apkInstalledPaths = map[string]bool{
	"/lib/apk/db/installed":     true,
	"/usr/lib/apk/db/installed": true,
}

// ApkCataloger reads apk's database of installed packages.
type ApkCataloger struct{}

var _ catalog.Cataloger = (*ApkCataloger)(nil)

// NewApkCataloger returns the apk cataloger.
func NewApkCataloger() *ApkCataloger { return &ApkCataloger{} }

// Name implements catalog.Plugin.
func (*ApkCataloger) Name() string { return "apk" }

// Version implements catalog.Plugin.
func (*ApkCataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*ApkCataloger) Wants(fi catalog.FileInfo) bool {
	return !fi.Mode.IsDir() && apkInstalledPaths[fi.Path]
}

// MaxSize implements catalog.Cataloger. The database lists every
// installed file with its checksum: large images reach tens of megabytes.
func (*ApkCataloger) MaxSize() int64 { return 128 << 20 }

// Catalog implements catalog.Cataloger.
func (c *ApkCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := io.ReadAll(io.NewSectionReader(in.Content, 0, in.Size))
	if err != nil {
		return catalog.Result{}, fmt.Errorf("read %s: %w", in.Path, err)
	}
	entries, problems := parseApkInstalled(data)
	var res catalog.Result
	for i := range entries {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		e := &entries[i]
		switch {
		case e.Name == "":
			problems = append(problems, fmt.Errorf("stanza at line %d: no P: (name) field", e.Line))
			continue
		case e.Version == "":
			problems = append(problems, fmt.Errorf("stanza at line %d: package %s: no V: (version) field", e.Line, e.Name))
			continue
		}
		res.Packages = append(res.Packages, apkPackage(e, in.Path, c.Name()))
		res.OwnedFiles = append(res.OwnedFiles, e.Files...)
	}
	return res, apkJoinProblems(in.Path, problems)
}

func apkPackage(e *apkEntry, file, foundBy string) model.Package {
	p := model.Package{
		Ecosystem: model.EcosystemAPK,
		Name:      e.Name,
		Version:   e.Version,
		Arch:      e.Arch,
		Origin:    model.OriginInstalled,
		FoundBy:   foundBy,
		Locations: []string{file},
	}
	if e.Origin != "" {
		// An origin is the APKBUILD the package was built from, always
		// at the package's own version.
		p.SourceName, p.SourceVersion = e.Origin, e.Version
	}
	if e.License != "" {
		p.Licenses = []string{e.License}
	}
	q := map[string]string{}
	if p.Arch != "" {
		q["arch"] = p.Arch
	}
	if e.Origin != "" && e.Origin != e.Name {
		q["upstream"] = e.Origin
	}
	p.PURL = packageurl.NewPackageURL(packageurl.TypeApk, "alpine", p.Name, p.Version,
		packageurl.QualifiersFromMap(q), "").ToString()
	return p
}

// apkEntry is one package stanza of the installed database.
type apkEntry struct {
	Name, Version, Arch, Origin, License string
	// Files are the absolute paths of the package's files (R: lines,
	// each relative to the F: directory before it).
	Files []string
	Line  int
}

// parseApkInstalled reads apk's installed database: stanzas of "K:value"
// lines separated by blank lines. Like apk itself it ignores keys it does
// not know; CRLF, blank-line runs and a missing final newline are fine.
// A line that is not "K:value" is reported and skipped.
func parseApkInstalled(data []byte) (entries []apkEntry, problems []error) {
	var (
		cur     apkEntry
		started bool
		dir     string
	)
	flush := func() {
		if started {
			entries = append(entries, cur)
		}
		cur, started, dir = apkEntry{}, false, ""
	}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			problems = append(problems, fmt.Errorf("line %d: not a \"K:value\" line", lineNo))
			continue
		}
		if !started {
			cur.Line, started = lineNo, true
		}
		val := string(line[2:])
		switch line[0] {
		case 'P':
			cur.Name = val
		case 'V':
			cur.Version = val
		case 'A':
			cur.Arch = val
		case 'o':
			cur.Origin = val
		case 'L':
			cur.License = val
		case 'F':
			dir = val
		case 'R':
			if f := apkFilePath(dir, val); f != "" {
				cur.Files = append(cur.Files, f)
			}
		}
	}
	flush()
	return entries, problems
}

// apkFilePath joins an F: directory and an R: name into an absolute,
// clean path; a name that escapes the root or is empty gives "".
func apkFilePath(dir, name string) string {
	if name == "" || strings.Contains(name, "/") {
		return ""
	}
	return path.Clean("/" + path.Join(dir, name))
}

// apkJoinProblems folds per-line problems into one error naming the file.
func apkJoinProblems(file string, problems []error) error {
	if len(problems) == 0 {
		return nil
	}
	const show = 5
	msgs := make([]string, 0, show+1)
	for i, p := range problems {
		if i == show {
			msgs = append(msgs, fmt.Sprintf("and %d more", len(problems)-show))
			break
		}
		msgs = append(msgs, p.Error())
	}
	return fmt.Errorf("%s: %s", file, strings.Join(msgs, "; "))
}
