package agent

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/runtime"
)

// layerImage is an image.Image made of in-memory layer tars.
type layerImage struct {
	id     model.Image
	layers [][]byte
}

func (l *layerImage) Identity() model.Image { return l.id }
func (l *layerImage) Close() error          { return nil }
func (l *layerImage) OpenLayer(_ context.Context, i int) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.layers[i])), nil
}

// entry is one tar member: "file", "exec", "link" (symlink) or "hard".
type entry struct {
	kind, name, body string
}

func layerTar(t *testing.T, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Mode: 0o644}
		switch e.kind {
		case "file", "exec":
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
			if e.kind == "exec" {
				h.Mode = 0o755
			}
		case "link":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.body
		case "hard":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeLink, e.body, 0o755
		case "dir":
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fakeELF is a minimal 64-bit little-endian ELF header with one
// PT_INTERP program header naming interp, then body.
func fakeELF(interp, body string) string {
	b := make([]byte, 64+56)
	copy(b, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint64(b[32:], 64) // e_phoff
	binary.LittleEndian.PutUint16(b[54:], 56) // e_phentsize
	binary.LittleEndian.PutUint16(b[56:], 1)  // e_phnum
	ph := b[64:]
	binary.LittleEndian.PutUint32(ph, 3)                          // PT_INTERP
	binary.LittleEndian.PutUint64(ph[8:], uint64(len(b)))         // p_offset
	binary.LittleEndian.PutUint64(ph[32:], uint64(len(interp)+1)) // p_filesz
	return string(b) + interp + "\x00" + body
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

const seedDigest = "sha256:98e1325ff4bc5c500e1a0338eb51875cd747c348f40a2fcef08fa726acf75583"

func TestSeed(t *testing.T) {
	ls := fakeELF("/lib64/ld-linux-x86-64.so.2", "ls v1")
	ls2 := fakeELF("/lib64/ld-linux-x86-64.so.2", "ls v2")
	ld := "ld.so contents"
	script := "#!/bin/sh -e\necho hi\n"
	sh := fakeELF("/lib64/ld-linux-x86-64.so.2", "dash")
	base := layerTar(t,
		entry{"link", "./bin", "usr/bin"},
		entry{"link", "./lib64", "usr/lib64"},
		entry{"dir", "./usr/bin/", ""},
		entry{"exec", "./usr/bin/ls", ls},
		entry{"exec", "./usr/bin/cat", "cat"},
		entry{"exec", "./usr/bin/dash", sh},
		entry{"link", "./usr/bin/sh", "dash"},
		entry{"exec", "./usr/bin/greet", script},
		entry{"hard", "./usr/bin/dir", "./usr/bin/ls"},
		entry{"exec", "./usr/bin/unowned", "not from a package"},
		entry{"link", "./usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
		entry{"exec", "./usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", ld},
		entry{"file", "./etc/passwd", "root:x:0:0"},
		entry{"exec", "./opt/tool/run", "tool"},
		entry{"file", "./var/lib/dpkg/info/coreutils.list", "/.\n/bin\n/bin/ls\n/bin/cat\n/usr/bin/dir\n/etc/passwd\n/bin/missing\n"},
		entry{"file", "./var/lib/dpkg/info/dash.list", "/bin/dash\n/bin/sh\n/usr/bin/greet\n"},
		entry{"file", "./var/lib/dpkg/info/libc6:amd64.list", "/lib64/ld-linux-x86-64.so.2\n/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"},
		entry{"file", "./var/lib/dpkg/info/tool.list", "/opt/tool/run\n"},
	)
	top := layerTar(t,
		entry{"file", "./usr/bin/.wh.cat", ""},
		entry{"exec", "./usr/bin/ls", ls2},
		entry{"file", "./opt/.wh..wh..opq", ""},
		entry{"exec", "./opt/new", "new"},
	)
	img := &layerImage{id: model.Image{Ref: "docker-archive:test.tar", ConfigDigest: seedDigest, Tags: []string{"app:1"},
		Layers: []model.Layer{{Index: 0}, {Index: 1}}}, layers: [][]byte{base, top}}

	ldEntry := runtime.Executable{Path: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", SHA256: sum(ld), Role: runtime.RoleExec, Package: "deb:libc6"}
	for _, tc := range []struct {
		name  string
		paths []string
		want  []runtime.Executable
		stats SeedStats
	}{
		{"all owned executables", nil, []runtime.Executable{
			// /usr/bin/dir is a hard link made before ls was replaced:
			// it keeps the old content.
			{Path: "/usr/bin/dash", SHA256: sum(sh), Role: runtime.RoleExec, Package: "deb:dash"},
			{Path: "/usr/bin/dir", SHA256: sum(ls), Role: runtime.RoleExec, Package: "deb:coreutils"},
			{Path: "/usr/bin/greet", SHA256: sum(script), Role: runtime.RoleExec, Package: "deb:dash"},
			{Path: "/usr/bin/ls", SHA256: sum(ls2), Role: runtime.RoleExec, Package: "deb:coreutils"},
			ldEntry,
		}, SeedStats{Packages: 3, Owned: 7, Seeded: 5}},
		{"a path pattern brings the interpreters along", []string{"/usr/bin/greet"}, []runtime.Executable{
			{Path: "/usr/bin/dash", SHA256: sum(sh), Role: runtime.RoleInterpreter, Package: "deb:dash"},
			{Path: "/usr/bin/greet", SHA256: sum(script), Role: runtime.RoleExec, Package: "deb:dash"},
		}, SeedStats{Packages: 3, Owned: 7, Seeded: 2}},
		{"patterns match the packaged path too", []string{"/bin/l*"}, []runtime.Executable{
			{Path: "/usr/bin/ls", SHA256: sum(ls2), Role: runtime.RoleExec, Package: "deb:coreutils"},
			{Path: ldEntry.Path, SHA256: ldEntry.SHA256, Role: runtime.RoleInterpreter, Package: "deb:libc6"},
		}, SeedStats{Packages: 3, Owned: 7, Seeded: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, st, err := Seed(context.Background(), img, SeedOptions{Paths: tc.paths})
			if err != nil {
				t.Fatal(err)
			}
			if p.ImageDigest != seedDigest || p.ImageName != "app:1" || p.Revision != 1 {
				t.Errorf("profile header %s %s %d", p.ImageDigest, p.ImageName, p.Revision)
			}
			if diff := cmp.Diff(tc.want, p.Executables); diff != "" {
				t.Errorf("executables (-want +got):\n%s", diff)
			}
			if st != tc.stats {
				t.Errorf("stats = %+v, want %+v", st, tc.stats)
			}
		})
	}
}

func TestSeedErrors(t *testing.T) {
	noDB := layerTar(t, entry{"exec", "./usr/bin/ls", strings.Repeat("ls", 2000)})
	for _, tc := range []struct {
		name string
		img  *layerImage
		opts SeedOptions
		want string
	}{
		{"no package lists", &layerImage{id: model.Image{Ref: "x", ConfigDigest: seedDigest, Layers: []model.Layer{{}}}, layers: [][]byte{noDB}},
			SeedOptions{}, "no package file lists found"},
		{"no image id", &layerImage{id: model.Image{Ref: "dir:/tmp/x"}}, SeedOptions{}, "has no image ID"},
		{"no layers", &layerImage{id: model.Image{Ref: "dir:/tmp/x", ConfigDigest: seedDigest}}, SeedOptions{}, "no layers"},
		{"bad pattern", &layerImage{}, SeedOptions{Paths: []string{"/usr/[bin"}}, `path pattern "/usr/[bin"`},
		{"corrupt layer", &layerImage{id: model.Image{Ref: "x", ConfigDigest: seedDigest, Layers: []model.Layer{{}}}, layers: [][]byte{noDB[:2000]}},
			SeedOptions{}, "layer 0"},
	} {
		_, _, err := Seed(context.Background(), tc.img, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestInterpreterInPrefix(t *testing.T) {
	elf32 := make([]byte, 52+32)
	copy(elf32, "\x7fELF\x01\x01\x01")
	binary.LittleEndian.PutUint32(elf32[28:], 52)
	binary.LittleEndian.PutUint16(elf32[42:], 32)
	binary.LittleEndian.PutUint16(elf32[44:], 1)
	binary.LittleEndian.PutUint32(elf32[52:], 3)
	binary.LittleEndian.PutUint32(elf32[52+4:], uint32(len(elf32)))
	binary.LittleEndian.PutUint32(elf32[52+16:], 19)
	elf32 = append(elf32, "/lib/ld-linux.so.2\x00"...)
	full := fakeELF("/lib64/ld-linux-x86-64.so.2", "")
	huge := []byte(full)
	binary.LittleEndian.PutUint16(huge[56:], 0xffff)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"elf64", full, "/lib64/ld-linux-x86-64.so.2"},
		{"elf32", string(elf32), "/lib/ld-linux.so.2"},
		{"truncated before the path", full[:130], ""},
		{"static (no PT_INTERP)", strings.Replace(full, "\x03\x00\x00\x00", "\x01\x00\x00\x00", 1), ""},
		{"shebang with args", "#!/usr/bin/env python3\n", "/usr/bin/env"},
		{"shebang relative", "#!sh\n", ""},
		{"text", "hello", ""},
		{"huge phnum", string(huge), ""},
	} {
		if got := interpreterInPrefix([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParseApkInstalled(t *testing.T) {
	db := "C:Q1abc=\nP:busybox\nV:1.36.1-r5\nF:bin\nR:busybox\nF:etc\nR:securetty\n\nP:musl\nF:lib\nR:ld-musl-x86_64.so.1\n"
	got := map[string]string{}
	parseApkInstalled([]byte(db), got)
	want := map[string]string{"/bin/busybox": "apk:busybox", "/etc/securetty": "apk:busybox", "/lib/ld-musl-x86_64.so.1": "apk:musl"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzInterpreterInPrefix(f *testing.F) {
	f.Add([]byte(fakeELF("/lib64/ld-linux-x86-64.so.2", "x")))
	f.Add([]byte("#!/bin/sh\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got := interpreterInPrefix(b); got != "" && !strings.HasPrefix(got, "/") {
			t.Fatalf("relative interpreter %q", got)
		}
	})
}

func TestSeedViewHide(t *testing.T) {
	v := seedView{
		"/usr":               {layer: 0, kind: tar.TypeDir},
		"/usr/local/bin/a":   {layer: 0},
		"/usr/local/bin/new": {layer: 1}, // written by the hiding layer itself
		"/usr/bin/ls":        {layer: 0},
		"/opt/x/y":           {layer: 0},
		"/opt":               {layer: 0, kind: tar.TypeDir},
		"/srv/file":          {layer: 1}, // a directory replaced by a file
		"/srv/file/old":      {layer: 0},
		"/srv/filer":         {layer: 0}, // a sibling whose name shares the prefix
	}
	v.hide(map[string]bool{"/usr/local": true, "/srv/file": true}, map[string]bool{"/opt": true}, 1)
	var got []string
	for k := range v {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{"/opt", "/srv/file", "/srv/filer", "/usr", "/usr/bin/ls", "/usr/local/bin/new"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after hide (-want +got):\n%s", diff)
	}
}
