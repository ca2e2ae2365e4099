package rpm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fuzzSeeds(f *testing.F, files ...string) {
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzHeader feeds arbitrary blobs to the header parser: the blobs come
// straight from the image.
func FuzzHeader(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 3, 232, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 'b', 'c', 0})
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 4, 92, 0, 0, 0, 8, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 'a', 0, 'b', 0})
	f.Fuzz(func(t *testing.T, blob []byte) {
		p, files, err := NewCataloger().pkg(blob, "/var/lib/rpm/Packages")
		if err == nil && p != nil && (p.Name == "" || p.Version == "" || !strings.HasPrefix(p.PURL, "pkg:rpm/redhat/")) {
			t.Fatalf("incomplete package %+v", p)
		}
		_ = files
	})
}

// FuzzDatabase feeds arbitrary files to the three database readers.
func FuzzDatabase(f *testing.F) {
	fuzzSeeds(f, "bdb/Packages", "ndb/Packages.db")
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "/var/lib/rpm/Packages"
		res, err := NewCataloger().Catalog(context.Background(), rpmInput(path, data))
		if err != nil && !strings.HasPrefix(err.Error(), path) {
			t.Fatalf("error does not name the input: %v", err)
		}
		for _, p := range res.Packages {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("incomplete package %+v", p)
			}
		}
	})
}
