package image

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// layerTar builds an uncompressed layer holding the given files.
func layerTar(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sortStrings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[n]))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// testImage builds an image of the given layers (gzip, or zstd for the
// layers listed in zstdLayers), with an empty-layer history entry in the
// middle to check history pairing, for the given platform.
func testImage(t testing.TB, platform string, layers [][]byte, zstdLayers ...int) v1.Image {
	t.Helper()
	img := empty.Image
	for i, l := range layers {
		data := l
		var opts []tarball.LayerOption
		for _, z := range zstdLayers {
			if z == i {
				opts = append(opts, tarball.WithCompression(compression.ZStd))
			}
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, opts...)
		if err != nil {
			t.Fatal(err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: fmt.Sprintf("RUN step %d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			img, err = mutate.Append(img, mutate.Addendum{History: v1.History{CreatedBy: "ENV A=1", EmptyLayer: true}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	p, err := v1.ParsePlatform(platform)
	if err != nil {
		t.Fatal(err)
	}
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	cfg.Config.Labels = map[string]string{"org.opencontainers.image.source": "https://example.com/app"}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// writeLayout writes images into a new OCI layout, each with its
// descriptor annotations/platform.
func writeLayout(t testing.TB, dir string, adds ...mutate.IndexAddendum) {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range adds {
		var opts []layout.Option
		if a.Annotations != nil {
			opts = append(opts, layout.WithAnnotations(a.Annotations))
		}
		if a.Platform != nil {
			opts = append(opts, layout.WithPlatform(*a.Platform))
		}
		switch x := a.Add.(type) {
		case v1.Image:
			err = p.AppendImage(x, opts...)
		case v1.ImageIndex:
			err = p.AppendIndex(x, opts...)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// tarDir writes dir as a tar file.
func tarDir(t testing.TB, dir, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	defer tw.Close()
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
}

// startRegistry runs an in-memory registry on 127.0.0.1 and returns its
// host:port.
func startRegistry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func readLayers(t testing.TB, img Image) [][]byte {
	t.Helper()
	var out [][]byte
	for i := range img.Identity().Layers {
		rc, err := img.OpenLayer(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		out = append(out, b)
	}
	return out
}

func noFilesUnder(t testing.TB, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}
