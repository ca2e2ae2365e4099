package scan

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/image"
	"github.com/bulwark-security/bulwark/internal/model"
)

// statusCataloger reads "/var/lib/fake/status": lines "name version".
type statusCataloger struct{ version int }

func (c *statusCataloger) Name() string                   { return "fake-status" }
func (c *statusCataloger) Version() int                   { return c.version }
func (c *statusCataloger) Wants(fi catalog.FileInfo) bool { return fi.Path == "/var/lib/fake/status" }
func (c *statusCataloger) MaxSize() int64                 { return 1 << 20 }
func (c *statusCataloger) Catalog(_ context.Context, in catalog.Input) (catalog.Result, error) {
	b, _ := io.ReadAll(io.NewSectionReader(in.Content, 0, in.Size))
	var res catalog.Result
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		n, v, _ := strings.Cut(l, " ")
		res.Packages = append(res.Packages, model.Package{Ecosystem: model.EcosystemDeb, Name: n, Version: v, PURL: "pkg:deb/" + n + "@" + v, Origin: model.OriginInstalled})
	}
	return res, nil
}

type releaseDetector struct{}

func (releaseDetector) Name() string        { return "fake-os-release" }
func (releaseDetector) Version() int        { return 1 }
func (releaseDetector) Wants(p string) bool { return p == "/etc/os-release" }
func (releaseDetector) Detect(files map[string][]byte) (*model.Distro, error) {
	if strings.Contains(string(files["/etc/os-release"]), "ID=debian") {
		return &model.Distro{ID: "debian", VersionID: "12"}, nil
	}
	return nil, nil
}

func layer(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, body := range files {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	return buf.Bytes()
}

func writeImage(t *testing.T, dir string, layers ...[]byte) v1.Image {
	t.Helper()
	img := empty.Image
	for i, l := range layers {
		data := l
		lay, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		if err != nil {
			t.Fatal(err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: lay, History: v1.History{CreatedBy: "RUN step " + string(rune('0'+i))}})
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return img
}

// countingImage counts layer opens.
type countingImage struct {
	image.Image
	opens atomic.Int32
}

func (c *countingImage) OpenLayer(ctx context.Context, i int) (io.ReadCloser, error) {
	c.opens.Add(1)
	return c.Image.OpenLayer(ctx, i)
}

func scanCounting(t *testing.T, ref string, opts Options) (*model.Inventory, int) {
	t.Helper()
	img, err := image.Open(context.Background(), ref, opts.Image)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	ci := &countingImage{Image: img}
	inv, err := Image(context.Background(), ci, opts)
	if err != nil {
		t.Fatal(err)
	}
	return inv, int(ci.opens.Load())
}

type pkgLayer struct {
	Name, Version, PURL, CreatedBy string
	Layer                          int
}

func summary(inv *model.Inventory) []pkgLayer {
	var out []pkgLayer
	for _, p := range inv.Packages {
		out = append(out, pkgLayer{Name: p.Name, Version: p.Version, PURL: p.PURL, Layer: p.Layer.Index, CreatedBy: p.Layer.CreatedBy})
	}
	return out
}

func TestInventoryCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	writeImage(t, dir,
		layer(t, map[string]string{"etc/os-release": "ID=debian\n", "var/lib/fake/status": "libc 2.36\n"}),
		layer(t, map[string]string{"var/lib/fake/status": "libc 2.36\ncurl 7.88\n"}),
		layer(t, map[string]string{"srv/readme": "x"}),
	)
	cache := t.TempDir()
	opts := Options{
		CacheDir:   cache,
		Catalogers: []catalog.Cataloger{&statusCataloger{version: 1}},
		Detectors:  []catalog.Detector{releaseDetector{}},
		Now:        func() time.Time { return time.Unix(0, 0) },
	}
	ref := "oci:" + dir
	cold, opens := scanCounting(t, ref, opts)
	if opens != 3 {
		t.Errorf("cold scan opened %d layers, want 3", opens)
	}
	want := []pkgLayer{
		{Name: "curl", Version: "7.88", PURL: "pkg:deb/debian/curl@7.88?distro=debian-12", Layer: 1, CreatedBy: "RUN step 1"},
		{Name: "libc", Version: "2.36", PURL: "pkg:deb/debian/libc@2.36?distro=debian-12", Layer: 0, CreatedBy: "RUN step 0"},
	}
	if diff := cmp.Diff(want, summary(cold)); diff != "" {
		t.Errorf("cold packages (-want +got):\n%s", diff)
	}
	if cold.Distro == nil || cold.Distro.ID != "debian" || cold.Schema != model.InventorySchema {
		t.Errorf("inventory header: %+v %d", cold.Distro, cold.Schema)
	}

	warm, opens := scanCounting(t, ref, opts)
	if opens != 0 {
		t.Errorf("warm scan opened %d layers, want 0", opens)
	}
	if diff := cmp.Diff(cold, warm); diff != "" {
		t.Errorf("warm inventory differs (-cold +warm):\n%s", diff)
	}

	// Bumping one plugin's version invalidates every layer it ran on.
	opts.Catalogers = []catalog.Cataloger{&statusCataloger{version: 2}}
	if _, opens := scanCounting(t, ref, opts); opens != 3 {
		t.Errorf("after a version bump %d layers were opened, want 3", opens)
	}
	// Nothing outside the cache dir's layers/ and tmp/.
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		if e.Name() != "layers" && e.Name() != "tmp" {
			t.Errorf("unexpected %s in the cache dir", e.Name())
		}
	}
}

func TestInventoryDir(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "var/lib/fake"), 0o755)
	os.WriteFile(filepath.Join(root, "var/lib/fake/status"), []byte("zlib 1.2\n"), 0o644)
	inv, err := Inventory(context.Background(), "dir:"+root, Options{Catalogers: []catalog.Cataloger{&statusCataloger{version: 1}}, Detectors: []catalog.Detector{releaseDetector{}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 1 || inv.Packages[0].Layer != nil || inv.Image.Source != image.SourceDir {
		t.Errorf("dir inventory: %+v", inv.Packages)
	}
	if !inv.Distro.Unknown() || inv.Distro.ID != model.DistroUnknown {
		t.Errorf("distro = %+v, want unknown stated plainly", inv.Distro)
	}
}

func TestInventoryCorruptLayer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	good := layer(t, map[string]string{"var/lib/fake/status": strings.Repeat("a 1\n", 2000)})
	writeImage(t, dir, good[:1000])
	_, err := Inventory(context.Background(), "oci:"+dir, Options{CacheDir: t.TempDir(), Catalogers: []catalog.Cataloger{&statusCataloger{version: 1}}, Detectors: []catalog.Detector{}})
	if err == nil || !strings.Contains(err.Error(), "layer 0") {
		t.Fatalf("err = %v, want an error naming the layer", err)
	}
}

func TestInventoryTruncatedGzip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	img := writeImage(t, dir, layer(t, map[string]string{"var/lib/fake/status": strings.Repeat("pkg 1.0\n", 20000)}))
	ls, _ := img.Layers()
	d, _ := ls[0].Digest()
	blob := filepath.Join(dir, "blobs", d.Algorithm, d.Hex)
	st, err := os.Stat(blob)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(blob, st.Size()/2); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	_, err = Inventory(context.Background(), "oci:"+dir, Options{CacheDir: cache, Catalogers: []catalog.Cataloger{&statusCataloger{version: 1}}, Detectors: []catalog.Detector{}})
	if !errors.Is(err, catalog.ErrCorrupt) || !strings.Contains(err.Error(), "oci:"+dir) {
		t.Fatalf("err = %v, want ErrCorrupt naming the image", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(cache, "layers")); len(entries) != 0 {
		t.Errorf("a corrupt layer was cached: %v", entries)
	}
}
