package alpine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzApkInstalled(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "apk", "alpine3.16.installed"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("P:a\r\nV:1\r\nF:..\r\nR:x\r\n\r\nR:\nF:/\nR:y"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := NewApkCataloger().Catalog(context.Background(), apkInput(apkPath, data))
		for _, p := range res.Packages {
			if p.Name == "" || p.Version == "" || !strings.HasPrefix(p.PURL, "pkg:apk/alpine/") {
				t.Fatalf("incomplete package %+v", p)
			}
		}
		for _, f := range res.OwnedFiles {
			if !strings.HasPrefix(f, "/") || strings.Contains(f, "/../") {
				t.Fatalf("owned file %q is not an absolute clean path", f)
			}
		}
		if err != nil && !strings.HasPrefix(err.Error(), apkPath) {
			t.Fatalf("error does not name the input: %v", err)
		}
	})
}
