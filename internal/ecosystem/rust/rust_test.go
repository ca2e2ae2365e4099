package rust

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

func input(path string, data []byte) catalog.Input {
	return catalog.Input{
		FileInfo: catalog.FileInfo{Path: path, Mode: 0o755, Size: int64(len(data))},
		Content:  bytes.NewReader(data),
	}
}

func withMeta(p model.Package, kv ...string) model.Package {
	p.Metadata = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		p.Metadata[kv[i]] = kv[i+1]
	}
	return p
}

func TestLockCataloger(t *testing.T) {
	lock := func(f, n, v string) model.Package { return newPackage(n, v, model.OriginLockfile, "cargo-lock", f) }
	const f = "/src/Cargo.lock"
	for _, tc := range []struct {
		fixture string
		want    []model.Package
	}{
		{"testdata/Cargo-v1.lock", []model.Package{lock(f, "libc", "0.2.43"), lock(f, "smallvec", "0.6.5")}},
		{"testdata/Cargo-v3.lock", []model.Package{
			lock(f, "adler", "1.0.2"), lock(f, "miniz_oxide", "0.7.1"), lock(f, "serde", "1.0.188"),
			withMeta(lock(f, "tokio-util", "0.7.9"), "cargo.source", "git+https://github.com/tokio-rs/tokio?rev=1f6fc55#1f6fc55917f971791d76dc91cce795e656c0e0d3"),
		}},
		{"testdata/Cargo-v4.lock", []model.Package{lock(f, "itoa", "1.0.11"), lock(f, "ryu", "1.0.18")}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			data, err := os.ReadFile(tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			c := NewLockCataloger()
			if !c.Wants(catalog.FileInfo{Path: f, Mode: 0o644}) {
				t.Fatal("Cargo.lock not wanted")
			}
			res, err := c.Catalog(context.Background(), input(f, data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
	for data, want := range map[string]string{
		"[[package]]\nname = ":                           "/src/Cargo.lock: invalid Cargo.lock TOML",
		"[[package]]\nname = \"a b\"\nversion = \"1\"\n": "1 packages without a valid name and version",
	} {
		if _, err := NewLockCataloger().Catalog(context.Background(), input(f, []byte(data))); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to contain %q", err, want)
		}
	}
}

// minimalELF builds an ELF64 file with the given sections and nothing
// else, enough for debug/elf and for the cataloger.
func minimalELF(sections map[string][]byte) []byte {
	var names []string
	for n := range sections {
		names = append(names, n)
	}
	shstr := []byte{0}
	nameOff := map[string]uint32{}
	for _, n := range append(names, ".shstrtab") {
		nameOff[n] = uint32(len(shstr))
		shstr = append(append(shstr, n...), 0)
	}
	var body bytes.Buffer
	body.Write(make([]byte, 64))
	type sh struct {
		name      uint32
		typ       uint32
		off, size uint64
	}
	hdrs := []sh{{}}
	for _, n := range names {
		hdrs = append(hdrs, sh{nameOff[n], 1, uint64(body.Len()), uint64(len(sections[n]))})
		body.Write(sections[n])
	}
	hdrs = append(hdrs, sh{nameOff[".shstrtab"], 3, uint64(body.Len()), uint64(len(shstr))})
	body.Write(shstr)
	shoff := uint64(body.Len())
	le := binary.LittleEndian
	for _, h := range hdrs {
		var b [64]byte
		le.PutUint32(b[0:], h.name)
		le.PutUint32(b[4:], h.typ)
		le.PutUint64(b[24:], h.off)
		le.PutUint64(b[32:], h.size)
		le.PutUint64(b[48:], 1)
		body.Write(b[:])
	}
	out := body.Bytes()
	copy(out, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1})
	le.PutUint16(out[16:], 2)  // ET_EXEC
	le.PutUint16(out[18:], 62) // x86-64
	le.PutUint32(out[20:], 1)
	le.PutUint64(out[40:], shoff)
	le.PutUint16(out[52:], 64)
	le.PutUint16(out[54:], 56)
	le.PutUint16(out[58:], 64)
	le.PutUint16(out[60:], uint16(len(hdrs)))
	le.PutUint16(out[62:], uint16(len(hdrs)-1))
	return out
}

func zlibBytes(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAuditableCataloger(t *testing.T) {
	js, err := os.ReadFile("testdata/auditable.json")
	if err != nil {
		t.Fatal(err)
	}
	const f = "/usr/local/bin/demo"
	bin := func(n, v string) model.Package { return newPackage(n, v, model.OriginBinary, "cargo-auditable", f) }
	c := NewAuditableCataloger()
	for _, tc := range []struct {
		name    string
		data    []byte
		want    []model.Package
		wantErr string
	}{
		{"auditable binary", minimalELF(map[string][]byte{".text": make([]byte, 600), ".dep-v0": zlibBytes(t, js)}), []model.Package{
			bin("adler", "1.0.2"),
			withMeta(bin("cc", "1.0.83"), "cargo.kind", "build"),
			withMeta(bin("demo", "0.1.0"), "cargo.root", "true", "cargo.source", "local"),
			bin("miniz_oxide", "0.7.1"),
			withMeta(bin("tokio-util", "0.7.9"), "cargo.source", "git"),
		}, ""},
		{"plain ELF", minimalELF(map[string][]byte{".text": make([]byte, 600)}), nil, ""},
		{"script", []byte("#!/bin/sh\nexit 0\n"), nil, ""},
		{"corrupt zlib", minimalELF(map[string][]byte{".dep-v0": []byte("not zlib")}), nil, "/usr/local/bin/demo: cargo-auditable data"},
		{"bad JSON", minimalELF(map[string][]byte{".dep-v0": zlibBytes(t, []byte(`{"packages":[`))}), nil, "cargo-auditable JSON"},
		{"zlib bomb", minimalELF(map[string][]byte{".dep-v0": zlibBytes(t, make([]byte, maxDecompressed+10))}), nil, "inflates beyond"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.Catalog(context.Background(), input(f, tc.data))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuditableWants(t *testing.T) {
	c := NewAuditableCataloger()
	for _, tc := range []struct {
		fi   catalog.FileInfo
		want bool
	}{
		{catalog.FileInfo{Path: "/app/server", Mode: 0o755, Size: 1 << 20}, true},
		{catalog.FileInfo{Path: "/usr/bin/rg", Mode: 0o644, Size: 1 << 20}, true},
		{catalog.FileInfo{Path: "/etc/passwd", Mode: 0o644, Size: 1 << 10}, false},
		{catalog.FileInfo{Path: "/usr/bin/x", Mode: 0o755, Size: 12}, false},
		{catalog.FileInfo{Path: "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", Mode: 0o755, Size: 1 << 20}, false},
		{catalog.FileInfo{Path: "/opt/tool/run.py", Mode: 0o755, Size: 1 << 20}, false},
	} {
		if got := c.Wants(tc.fi); got != tc.want {
			t.Errorf("Wants(%+v) = %v, want %v", tc.fi, got, tc.want)
		}
	}
}

func FuzzCargoLock(f *testing.F) {
	for _, s := range []string{"testdata/Cargo-v1.lock", "testdata/Cargo-v3.lock", "testdata/Cargo-v4.lock"} {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	c := NewLockCataloger()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = c.Catalog(context.Background(), input("/a/Cargo.lock", data))
	})
}

func FuzzAuditable(f *testing.F) {
	js, err := os.ReadFile("testdata/auditable.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(minimalELF(map[string][]byte{".dep-v0": zlibBytes(f, js)}))
	f.Add(zlibBytes(f, js))
	c := NewAuditableCataloger()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = c.Catalog(context.Background(), input("/bin/x", data))
		_, _ = parseAuditData(data, "cargo-auditable", "/bin/x")
	})
}
