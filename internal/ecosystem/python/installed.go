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

// InstalledCataloger reads the core metadata of installed distributions:
// "*.dist-info/METADATA" (wheels), "*.egg-info/PKG-INFO" and single-file
// "*.egg-info" (setuptools and distutils installs).
type InstalledCataloger struct{}

var _ catalog.Cataloger = (*InstalledCataloger)(nil)

// NewInstalledCataloger returns the installed-distribution cataloger.
func NewInstalledCataloger() *InstalledCataloger { return &InstalledCataloger{} }

// Name implements catalog.Plugin.
func (*InstalledCataloger) Name() string { return "python-installed" }

// Version implements catalog.Plugin.
func (*InstalledCataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*InstalledCataloger) Wants(fi catalog.FileInfo) bool {
	if !fi.Mode.IsRegular() {
		return false
	}
	dir, base := path.Split(fi.Path)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case base == "METADATA":
		return strings.HasSuffix(dir, ".dist-info")
	case base == "PKG-INFO":
		return strings.HasSuffix(dir, ".egg-info")
	}
	return strings.HasSuffix(base, ".egg-info")
}

// MaxSize implements catalog.Cataloger.
func (*InstalledCataloger) MaxSize() int64 { return 16 << 20 }

// Catalog implements catalog.Cataloger.
func (c *InstalledCataloger) Catalog(ctx context.Context, in catalog.Input) (catalog.Result, error) {
	data, err := readAll(in)
	if err != nil {
		return catalog.Result{}, err
	}
	h := parseHeaders(data)
	name, version := h.first("Name"), h.first("Version")
	if name == "" || version == "" {
		return catalog.Result{}, fmt.Errorf("%s: metadata has no Name or Version", in.Path)
	}
	if !validName(name) {
		return catalog.Result{}, fmt.Errorf("%s: invalid distribution name %q", in.Path, name)
	}
	p := newPackage(name, version, model.OriginInstalled, c.Name(), in.Path)
	p.Licenses = metadataLicenses(h)
	return catalog.Result{Packages: []model.Package{p}}, ctx.Err()
}

// headers are core-metadata fields in file order. Core metadata is an
// RFC 822 header block; the body after the first blank line is the long
// description and is not read.
type headers [][2]string

func parseHeaders(data []byte) headers {
	var h headers
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		if l == "" {
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(h) > 0 {
				h[len(h)-1][1] += "\n" + strings.TrimSpace(l)
			}
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		h = append(h, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return h
}

func (h headers) first(key string) string {
	for _, kv := range h {
		if strings.EqualFold(kv[0], key) {
			return kv[1]
		}
	}
	return ""
}

// metadataLicenses prefers the SPDX License-Expression (metadata 2.4),
// then a short License field (older tools put the whole licence text
// there), then the licence classifiers.
func metadataLicenses(h headers) []string {
	if e := h.first("License-Expression"); e != "" {
		return []string{e}
	}
	if l := h.first("License"); l != "" && !strings.Contains(l, "\n") && len(l) <= 100 && !strings.EqualFold(l, "UNKNOWN") {
		return []string{l}
	}
	var out []string
	for _, kv := range h {
		if !strings.EqualFold(kv[0], "Classifier") || !strings.HasPrefix(kv[1], "License ::") {
			continue
		}
		parts := strings.Split(kv[1], "::")
		if last := strings.TrimSpace(parts[len(parts)-1]); last != "" && last != "OSI Approved" {
			out = append(out, last)
		}
	}
	return out
}
