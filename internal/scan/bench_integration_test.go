//go:build integration

package scan

import (
	"context"
	"path/filepath"
	"testing"
)

// Cold: an empty cache each iteration (every layer streamed and
// decompressed). Warm: the layer cache filled once, then only resolution,
// cache reads and coalescing.
func BenchmarkInventory(b *testing.B) {
	images := testImages(b)
	refs := map[string]string{
		"oci":            "oci:" + filepath.Join(images, "debian12-app.oci"),
		"docker-archive": "docker-archive:" + filepath.Join(images, "debian12-app.docker.tar"),
	}
	for kind, ref := range refs {
		b.Run(kind+"/cold", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Inventory(context.Background(), ref, Options{CacheDir: b.TempDir()}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(kind+"/warm", func(b *testing.B) {
			cache := b.TempDir()
			if _, err := Inventory(context.Background(), ref, Options{CacheDir: cache}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Inventory(context.Background(), ref, Options{CacheDir: cache}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
