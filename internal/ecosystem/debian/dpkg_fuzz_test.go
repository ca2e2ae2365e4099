package debian

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzDpkgStatus(f *testing.F) {
	for _, name := range []string{"debian12-minbase.status", "distroless-status.d/libsqlite3-0"} {
		b, err := os.ReadFile(filepath.Join("testdata", "dpkg", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Package: a\r\n Status: x\r\n\r\n\tcont\nSource: (\n"))
	f.Add([]byte("Source: b ()\nPackage: aa\nVersion: 1:\nStatus: install ok installed"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _ := parseDpkgStatus(data)
		for _, e := range entries {
			if e.Line <= 0 {
				t.Fatalf("entry without a line number: %+v", e)
			}
		}
		in := dpkgInput(dpkgStatusPath, data)
		res, err := NewDpkgCataloger().Catalog(context.Background(), in)
		for _, p := range res.Packages {
			if p.Name == "" || p.Version == "" || !strings.HasPrefix(p.PURL, "pkg:deb/debian/") {
				t.Fatalf("incomplete package %+v", p)
			}
		}
		if err != nil && !strings.HasPrefix(err.Error(), dpkgStatusPath) {
			t.Fatalf("error does not name the input: %v", err)
		}
		if _, err := NewDistrolessCataloger().Catalog(context.Background(), dpkgInput(dpkgStatusDDir+"x.md5sums", data)); err != nil {
			t.Fatalf("md5sums: %v", err)
		}
	})
}
