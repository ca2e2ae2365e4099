package debian

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDpkgStatus catalogs the 144-package status file of a Debian 12
// image with nginx, python3 and git.
func BenchmarkDpkgStatus(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "dpkg", "debian12-nginx-python.status"))
	if err != nil {
		b.Fatal(err)
	}
	c := NewDpkgCataloger()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Catalog(context.Background(), dpkgInput(dpkgStatusPath, data))
		if err != nil || len(res.Packages) != 144 {
			b.Fatalf("got %d packages, err %v", len(res.Packages), err)
		}
	}
}
