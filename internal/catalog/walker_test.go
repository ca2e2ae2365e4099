package catalog

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestWalkerLayer(t *testing.T) {
	tests := []struct {
		name      string
		lang      *fakeLang
		entries   []entry
		wantFound map[string][]string // path -> plugin:name@version
		wantWarn  []Warning
		wantWh    []string
		wantOpq   []string
		wantLinks map[string]string
	}{
		{
			name: "claimed files only",
			entries: []entry{
				{name: "var/", typ: tar.TypeDir},
				file("var/lib/fake/status", "libc 2.36 /usr/lib/libc.so\ncurl 7.88\n"),
				file("srv/app/app.lock", "lodash 4.17.15\n"),
				file("srv/app/README", "not claimed"),
			},
			wantFound: map[string][]string{
				"/var/lib/fake/status": {"fake-os:libc@2.36", "fake-os:curl@7.88"},
				"/srv/app/app.lock":    {"fake-lang:lodash@4.17.15"},
			},
		},
		{
			name: "paths that escape the root are skipped",
			entries: []entry{
				file("../../etc/evil.lock", "a 1\n"),
				file("/../x.lock", "b 1\n"),
				file("a/../../c.lock", "c 1\n"),
				file("/abs/ok.lock", "d 1\n"),
				file("./rel/ok.lock", "e 1\n"),
			},
			wantFound: map[string][]string{
				"/abs/ok.lock": {"fake-lang:d@1"},
				"/rel/ok.lock": {"fake-lang:e@1"},
			},
			wantWarn: []Warning{
				{Plugin: WalkerName, Message: `"../../etc/evil.lock": path escapes the image root, entry skipped`},
				{Plugin: WalkerName, Message: `"/../x.lock": path escapes the image root, entry skipped`},
				{Plugin: WalkerName, Message: `"a/../../c.lock": path escapes the image root, entry skipped`},
			},
		},
		{
			name: "whiteouts, opaque dirs and symlinks are recorded",
			entries: []entry{
				file("srv/.wh.old.lock", ""),
				file("opt/app/.wh..wh..opq", ""),
				{name: "etc/os-release", link: "../usr/lib/os-release", typ: tar.TypeSymlink},
			},
			wantWh:    []string{"/srv/old.lock"},
			wantOpq:   []string{"/opt/app"},
			wantLinks: map[string]string{"/etc/os-release": "../usr/lib/os-release"},
		},
		{
			name: "too big for the cataloger",
			lang: &fakeLang{max: 4},
			entries: []entry{
				file("big.lock", "lodash 4.17.15\n"),
			},
			wantWarn: []Warning{{Plugin: "fake-lang", Message: "/big.lock: 15 bytes exceeds the 4-byte limit, skipped"}},
		},
		{
			name: "errors keep partial results; panics fail the plugin",
			entries: []entry{
				file("a.lock", "x 1\nBAD\ny 2\n"),
				file("b.lock", "PANIC\n"),
				file("c.lock", "z 3\n"),
			},
			wantFound: map[string][]string{
				"/a.lock": {"fake-lang:x@1"},
				"/c.lock": {"fake-lang:z@3"},
			},
			wantWarn: []Warning{
				{Plugin: "fake-lang", Message: "/a.lock: bad line"},
				{Plugin: "fake-lang", Message: "/b.lock: cataloger panicked: boom", Failed: true},
			},
		},
		{
			name: "hardlinks to claimed files",
			entries: []entry{
				file("app/x.lock", "x 1\n"),
				{name: "app/y.lock", link: "app/x.lock", typ: tar.TypeLink},
				{name: "app/z.lock", link: "app/missing.lock", typ: tar.TypeLink},
				{name: "app/e.lock", link: "../../x.lock", typ: tar.TypeLink},
			},
			wantFound: map[string][]string{
				"/app/x.lock": {"fake-lang:x@1"},
				"/app/y.lock": {"fake-lang:x@1"},
			},
			wantWarn: []Warning{
				{Plugin: "fake-lang", Message: "/app/z.lock: hardlink to /app/missing.lock, whose content was not kept"},
				{Plugin: WalkerName, Message: `/app/e.lock: hardlink target "../../x.lock" escapes the image root, skipped`},
			},
		},
		{
			// Files over the in-memory retention size go to the layer's
			// overflow file; a hard link to one still gets its content.
			name: "hardlinks to claimed files kept on disk",
			lang: &fakeLang{max: 4 << 20},
			entries: []entry{
				file("app/big.lock", "big 1\n"+strings.Repeat("\n", 2<<20)),
				{name: "app/big-link.lock", link: "app/big.lock", typ: tar.TypeLink},
			},
			wantFound: map[string][]string{
				"/app/big.lock":      {"fake-lang:big@1"},
				"/app/big-link.lock": {"fake-lang:big@1"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := testWalker(t)
			if tc.lang != nil {
				w.Catalogers[1] = tc.lang
			}
			res := walk(t, w, tc.entries...)
			got := map[string][]string{}
			for _, f := range res.Found {
				for _, p := range f.Packages {
					got[f.Path] = append(got[f.Path], f.Plugin+":"+p.Name+"@"+p.Version)
					if p.FoundBy != f.Plugin || len(p.Locations) != 1 || p.Locations[0] != f.Path {
						t.Errorf("%s: FoundBy %q Locations %v, want %q [%s]", f.Path, p.FoundBy, p.Locations, f.Plugin, f.Path)
					}
				}
			}
			empty := cmpopts.EquateEmpty()
			if diff := cmp.Diff(tc.wantFound, got, empty); diff != "" {
				t.Errorf("found (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantWarn, res.Warnings, empty); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantWh, res.Whiteouts, empty); diff != "" {
				t.Errorf("whiteouts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantOpq, res.Opaque, empty); diff != "" {
				t.Errorf("opaque (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantLinks, res.Symlinks, empty); diff != "" {
				t.Errorf("symlinks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWalkerCorrupt(t *testing.T) {
	good := layerTar(t, file("a.lock", strings.Repeat("x 1\n", 1000)), file("b.lock", "y 2\n"))
	tests := map[string][]byte{
		"truncated in a body": good[:1024],
		"garbage header":      append(append([]byte(nil), good[:512+4096]...), bytes.Repeat([]byte{0x7f}, 512)...),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := testWalker(t).Layer(context.Background(), bytes.NewReader(data))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestWalkerCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := testWalker(t).Layer(ctx, bytes.NewReader(layerTar(t, file("a.lock", "x 1\n"))))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestWalkerSparse feeds a PAX sparse entry whose logical size is 20 GiB
// but which holds one byte: it must be skipped by size without reading.
func TestWalkerSparse(t *testing.T) {
	const real = 20 << 30
	var buf bytes.Buffer
	records := paxRecords(map[string]string{
		"GNU.sparse.major":    "1",
		"GNU.sparse.minor":    "0",
		"GNU.sparse.name":     "srv/big.lock",
		"GNU.sparse.realsize": fmt.Sprint(real),
	})
	buf.Write(rawHeader("PaxHeaders/big", 'x', int64(len(records))))
	buf.Write(pad(records))
	sparseMap := pad([]byte(fmt.Sprintf("1\n%d\n1\n", real-1)))
	buf.Write(rawHeader("GNUSparseFile.0/big", '0', int64(len(sparseMap))+1))
	buf.Write(pad(append(sparseMap, 'x')))
	buf.Write(layerTar(t, file("after.lock", "z 1\n")))

	start := time.Now()
	res, err := testWalker(t).Layer(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: the sparse file was read", d)
	}
	want := []Warning{{Plugin: "fake-lang", Message: fmt.Sprintf("/srv/big.lock: %d bytes exceeds the %d-byte limit, skipped", int64(real), 1<<20)}}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if len(res.Found) != 1 || res.Found[0].Path != "/after.lock" {
		t.Errorf("found %+v, want the entry after the sparse file", res.Found)
	}
}

func paxRecords(kv map[string]string) []byte {
	var b bytes.Buffer
	for _, k := range []string{"GNU.sparse.major", "GNU.sparse.minor", "GNU.sparse.name", "GNU.sparse.realsize"} {
		rec := " " + k + "=" + kv[k] + "\n"
		n := len(rec) + 1
		for len(fmt.Sprint(n))+len(rec) != n {
			n++
		}
		fmt.Fprintf(&b, "%d%s", n, rec)
	}
	return b.Bytes()
}

func pad(b []byte) []byte {
	if r := len(b) % 512; r != 0 {
		b = append(b, make([]byte, 512-r)...)
	}
	return b
}

// rawHeader builds a ustar header block by hand (archive/tar refuses to
// write sparse records).
func rawHeader(name string, typ byte, size int64) []byte {
	h := make([]byte, 512)
	copy(h[0:100], name)
	copy(h[100:108], "0000644\x00")
	copy(h[108:116], "0000000\x00")
	copy(h[116:124], "0000000\x00")
	copy(h[124:136], fmt.Sprintf("%011o\x00", size))
	copy(h[136:148], "00000000000\x00")
	h[156] = typ
	copy(h[257:263], "ustar\x00")
	copy(h[263:265], "00")
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return h
}
