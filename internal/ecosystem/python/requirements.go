package python

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

// RequirementsCataloger reads pip requirements files and reports the
// exactly pinned requirements ("name==1.2.3", "name===1.2.3"); ranges say
// nothing about what gets installed and are left out.
type RequirementsCataloger struct{}

var _ catalog.Cataloger = (*RequirementsCataloger)(nil)

// NewRequirementsCataloger returns the requirements file cataloger.
func NewRequirementsCataloger() *RequirementsCataloger { return &RequirementsCataloger{} }

// Name implements catalog.Plugin.
func (*RequirementsCataloger) Name() string { return "requirements" }

// Version implements catalog.Plugin.
func (*RequirementsCataloger) Version() int { return 1 }

// Wants claims "requirements*.txt" and "*-requirements.txt" style files.
func (*RequirementsCataloger) Wants(fi catalog.FileInfo) bool {
	b := path.Base(fi.Path)
	return strings.HasSuffix(b, ".txt") && strings.Contains(b, "requirements") && !strings.Contains(fi.Path, "/site-packages/")
}

// MaxSize implements catalog.Cataloger.
func (*RequirementsCataloger) MaxSize() int64 { return 16 << 20 }

// Catalog implements catalog.Cataloger.
func (c *RequirementsCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := readAll(in)
	if err != nil {
		return catalog.Result{}, err
	}
	pkgs, err := parseRequirements(data, c.Name(), in.Path)
	if err != nil {
		return catalog.Result{Packages: pkgs}, fmt.Errorf("%s: %w", in.Path, err)
	}
	return catalog.Result{Packages: pkgs}, ctx.Err()
}

func parseRequirements(data []byte, foundBy, file string) ([]model.Package, error) {
	var pkgs []model.Package
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var logical strings.Builder
	line, start := 0, 0
	for sc.Scan() {
		line++
		l := strings.TrimRight(sc.Text(), "\r")
		if logical.Len() == 0 {
			start = line
		}
		if cont, ok := strings.CutSuffix(l, `\`); ok {
			logical.WriteString(cont)
			logical.WriteByte(' ')
			continue
		}
		logical.WriteString(l)
		req := logical.String()
		logical.Reset()
		if p, ok := pinned(req); ok {
			pk := newPackage(p[0], p[1], model.OriginLockfile, foundBy, file)
			pkgs = append(pkgs, pk)
		}
	}
	if err := sc.Err(); err != nil {
		return pkgs, fmt.Errorf("line %d: %w", start, err)
	}
	return pkgs, nil
}

// pinned returns name and version of an exactly pinned requirement line.
// Options (-r, -c, -e, --index-url, …), URLs, comments, extras,
// environment markers and --hash options are handled or skipped.
func pinned(req string) ([2]string, bool) {
	if i := strings.Index(req, " #"); i >= 0 {
		req = req[:i]
	}
	req = strings.TrimSpace(req)
	if req == "" || req[0] == '#' || req[0] == '-' {
		return [2]string{}, false
	}
	if i := strings.Index(req, ";"); i >= 0 {
		req = req[:i] // environment marker
	}
	if i := strings.Index(req, " --"); i >= 0 {
		req = req[:i] // per-requirement options such as --hash
	}
	if strings.Contains(req, "://") || strings.Contains(req, " @ ") {
		return [2]string{}, false
	}
	op := "==="
	i := strings.Index(req, op)
	if i < 0 {
		op = "=="
		i = strings.Index(req, op)
	}
	if i < 0 {
		return [2]string{}, false
	}
	name := strings.TrimSpace(req[:i])
	if j := strings.IndexByte(name, '['); j >= 0 {
		name = strings.TrimSpace(name[:j]) // extras
	}
	version := strings.TrimSpace(req[i+len(op):])
	if version == "" || strings.ContainsAny(version, "*,<>!=~ ") || !validName(name) {
		return [2]string{}, false
	}
	return [2]string{name, version}, true
}
