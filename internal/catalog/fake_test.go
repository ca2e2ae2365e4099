package catalog

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"

	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/model"
)

// fakeOS reads "/var/lib/fake/status": lines "name version [owned-file...]".
type fakeOS struct{ version int }

func (f *fakeOS) Name() string           { return "fake-os" }
func (f *fakeOS) Version() int           { return max(f.version, 1) }
func (f *fakeOS) Wants(fi FileInfo) bool { return fi.Path == "/var/lib/fake/status" }
func (f *fakeOS) MaxSize() int64         { return 1 << 20 }
func (f *fakeOS) Catalog(_ context.Context, in Input) (Result, error) {
	var res Result
	sc := bufio.NewScanner(io.NewSectionReader(in.Content, 0, in.Size))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		res.Packages = append(res.Packages, model.Package{
			Ecosystem: model.EcosystemDeb, Name: fields[0], Version: fields[1],
			PURL: "pkg:deb/" + fields[0] + "@" + fields[1] + "?arch=amd64", Origin: model.OriginInstalled,
		})
		res.OwnedFiles = append(res.OwnedFiles, fields[2:]...)
	}
	return res, nil
}

// fakeLang reads "*.lock" files: lines "name version"; a line "BAD" is a
// per-file error after the lines before it; "PANIC" panics.
type fakeLang struct{ max int64 }

func (f *fakeLang) Name() string { return "fake-lang" }
func (f *fakeLang) Version() int { return 1 }
func (f *fakeLang) Wants(fi FileInfo) bool {
	return fi.Mode.IsRegular() && strings.HasSuffix(fi.Path, ".lock")
}
func (f *fakeLang) MaxSize() int64 {
	if f.max > 0 {
		return f.max
	}
	return 1 << 20
}

func (f *fakeLang) Catalog(_ context.Context, in Input) (Result, error) {
	var res Result
	b := make([]byte, in.Size)
	if _, err := in.Content.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return res, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		switch line {
		case "":
			continue
		case "BAD":
			return res, errors.New("bad line")
		case "PANIC":
			panic("boom")
		}
		name, ver, _ := strings.Cut(line, " ")
		res.Packages = append(res.Packages, model.Package{
			Ecosystem: model.EcosystemNPM, Name: name, Version: ver,
			PURL: "pkg:npm/" + name + "@" + ver, Origin: model.OriginLockfile,
		})
	}
	return res, nil
}

// fakeRelease reads os-release style "ID=x" / "VERSION_ID=y" files.
type fakeRelease struct{}

func (fakeRelease) Name() string { return "fake-release" }
func (fakeRelease) Version() int { return 1 }
func (fakeRelease) Wants(p string) bool {
	return p == "/etc/os-release" || p == "/usr/lib/os-release"
}

func (fakeRelease) Detect(files map[string][]byte) (*model.Distro, error) {
	b, ok := files["/etc/os-release"]
	if !ok {
		b, ok = files["/usr/lib/os-release"]
	}
	if !ok {
		return nil, nil
	}
	d := &model.Distro{}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(l, "=")
		switch k {
		case "ID":
			d.ID = v
		case "VERSION_ID":
			d.VersionID = v
		}
	}
	return d, nil
}

var (
	_ Cataloger = (*fakeOS)(nil)
	_ Cataloger = (*fakeLang)(nil)
	_ Detector  = fakeRelease{}
)

// entry is one tar member for test layers.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
	size             int64 // header size override
}

func file(name, body string) entry { return entry{name: name, body: body, typ: tar.TypeReg} }

func layerTar(t testing.TB, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, Size: int64(len(e.body))}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testWalker(t testing.TB) *Walker {
	return &Walker{
		Catalogers: []Cataloger{&fakeOS{}, &fakeLang{}},
		Detectors:  []Detector{fakeRelease{}},
		SpoolDir:   t.TempDir(),
	}
}

func walk(t testing.TB, w *Walker, es ...entry) *LayerResult {
	t.Helper()
	res, err := w.Layer(context.Background(), bytes.NewReader(layerTar(t, es...)))
	if err != nil {
		t.Fatal(err)
	}
	return res
}
