package image

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestSources(t *testing.T) {
	layers := [][]byte{
		layerTar(t, map[string]string{"etc/os-release": "ID=debian\n", "var/lib/dpkg/status": "Package: a\n"}),
		layerTar(t, map[string]string{"srv/app/package-lock.json": "{}"}),
		layerTar(t, map[string]string{"srv/app/.wh.old": ""}),
	}
	img := testImage(t, "linux/amd64", layers, 1)
	digest, _ := img.Digest()
	tmp := t.TempDir()

	archive := filepath.Join(tmp, "app.tar")
	tag, _ := name.NewTag("example.com/team/app:1.4")
	if err := tarball.WriteToFile(archive, tag, img); err != nil {
		t.Fatal(err)
	}
	lay := filepath.Join(tmp, "layout")
	writeLayout(t, lay, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Annotations: map[string]string{annotationRefName: "1.4"}}})
	ociTar := filepath.Join(tmp, "layout.tar")
	tarDir(t, lay, ociTar)
	reg := startRegistry(t)
	if err := remote.Write(mustRef(t, reg+"/team/app:1.4"), img); err != nil {
		t.Fatal(err)
	}

	wantLayers := []string{"RUN step 0", "RUN step 1", "RUN step 2"}
	tests := []struct {
		ref, source string
		digest      bool // the manifest digest is known
		tags        []string
	}{
		{ref: "docker-archive:" + archive, source: SourceDockerArchive, tags: []string{"example.com/team/app:1.4"}},
		{ref: "oci:" + lay, source: SourceOCILayout, digest: true, tags: []string{"1.4"}},
		{ref: "oci:" + lay + ":1.4", source: SourceOCILayout, digest: true, tags: []string{"1.4"}},
		{ref: "oci-archive:" + ociTar, source: SourceOCIArchive, digest: true, tags: []string{"1.4"}},
		{ref: "registry:" + reg + "/team/app:1.4", source: SourceRegistry, digest: true, tags: []string{reg + "/team/app:1.4"}},
		{ref: reg + "/team/app:1.4", source: SourceRegistry, digest: true, tags: []string{reg + "/team/app:1.4"}},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			tempDir := t.TempDir()
			got, err := Open(context.Background(), tc.ref, Options{TempDir: tempDir})
			if err != nil {
				t.Fatal(err)
			}
			id := got.Identity()
			if id.Source != tc.source || id.Ref != tc.ref || id.Platform != "linux/amd64" {
				t.Errorf("identity %s %s %s", id.Source, id.Ref, id.Platform)
			}
			if tc.digest && id.Digest != digest.String() {
				t.Errorf("digest %s, want %s", id.Digest, digest)
			}
			if diff := cmp.Diff(tc.tags, id.Tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
			if id.Labels["org.opencontainers.image.source"] != "https://example.com/app" {
				t.Errorf("labels %v", id.Labels)
			}
			var created []string
			for i, l := range id.Layers {
				created = append(created, l.CreatedBy)
				if l.Index != i || !strings.HasPrefix(l.DiffID, "sha256:") || !strings.HasPrefix(l.Digest, "sha256:") || l.Size == 0 || l.MediaType == "" {
					t.Errorf("layer %d incomplete: %+v", i, l)
				}
			}
			if diff := cmp.Diff(wantLayers, created); diff != "" {
				t.Errorf("history (-want +got):\n%s", diff)
			}
			for i, b := range readLayers(t, got) {
				if !bytes.Equal(b, layers[i]) {
					t.Errorf("layer %d: %d bytes differ from the %d written", i, len(b), len(layers[i]))
				}
			}
			if err := got.Close(); err != nil {
				t.Fatal(err)
			}
			noFilesUnder(t, tempDir)
		})
	}
}

func TestPlatformSelection(t *testing.T) {
	layer := [][]byte{layerTar(t, map[string]string{"a": "1"})}
	amd := testImage(t, "linux/amd64", layer)
	arm := testImage(t, "linux/arm64/v8", layer)
	idx := mutate.AppendManifests(emptyIndex(),
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	tmp := t.TempDir()
	flat := filepath.Join(tmp, "flat")
	writeLayout(t, flat,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	nested := filepath.Join(tmp, "nested")
	writeLayout(t, nested, mutate.IndexAddendum{Add: idx, Descriptor: v1.Descriptor{Annotations: map[string]string{annotationRefName: "multi"}}})
	reg := startRegistry(t)
	if err := remote.WriteIndex(mustRef(t, reg+"/multi:1"), idx); err != nil {
		t.Fatal(err)
	}
	armDigest, _ := arm.Digest()
	amdDigest, _ := amd.Digest()
	for _, ref := range []string{"oci:" + flat, "oci:" + nested + ":multi", "registry:" + reg + "/multi:1"} {
		t.Run(ref, func(t *testing.T) {
			got, err := Open(context.Background(), ref, Options{Platform: "linux/arm64"})
			if err != nil {
				t.Fatal(err)
			}
			if id := got.Identity(); id.Digest != armDigest.String() || id.Platform != "linux/arm64/v8" {
				t.Errorf("picked %s %s, want the arm64 image %s", id.Digest, id.Platform, armDigest)
			}
			got, err = Open(context.Background(), ref, Options{Platform: "linux/amd64"})
			if err != nil {
				t.Fatal(err)
			}
			if id := got.Identity(); id.Digest != amdDigest.String() {
				t.Errorf("picked %s, want the amd64 image", id.Digest)
			}
			if _, err := Open(context.Background(), ref, Options{Platform: "linux/s390x"}); err == nil || !strings.Contains(err.Error(), ref) {
				t.Errorf("unknown platform: err = %v, want an error naming %s", err, ref)
			}
		})
	}
}

func emptyIndex() v1.ImageIndex {
	return mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
}

func TestOpenErrors(t *testing.T) {
	tmp := t.TempDir()
	notTar := filepath.Join(tmp, "x.txt")
	os.WriteFile(notTar, []byte("hello"), 0o644)
	tests := []struct {
		ref     string
		want    error
		message string
	}{
		{ref: "docker-archive:" + filepath.Join(tmp, "missing.tar"), want: ErrNotFound, message: "no such file"},
		{ref: "docker-archive:", want: ErrBadReference},
		{ref: "oci:" + filepath.Join(tmp, "missing"), want: ErrNotFound, message: "no such directory"},
		{ref: "oci-archive:" + filepath.Join(tmp, "missing.tar"), want: ErrNotFound},
		{ref: "dir:" + filepath.Join(tmp, "missing"), want: ErrNotFound},
		{ref: "dir:" + notTar, want: ErrBadReference, message: "not a directory"},
		{ref: "registry:UPPER/Case:tag", want: ErrBadReference},
		{ref: "", want: ErrBadReference},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			_, err := Open(context.Background(), tc.ref, Options{TempDir: tmp})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.ref) || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("err %q should name %q and say %q", err, tc.ref, tc.message)
			}
		})
	}
	if _, err := Open(context.Background(), "docker-archive:"+notTar, Options{}); err == nil || !strings.Contains(err.Error(), notTar) {
		t.Errorf("not a tar: err = %v", err)
	}
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	img, err := Open(context.Background(), "dir:"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := img.(Rooted)
	if !ok || r.Root() != dir || img.Identity().Source != SourceDir || len(img.Identity().Layers) != 0 {
		t.Errorf("dir image: %+v", img.Identity())
	}
}

func TestDaemonUnreachable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no.sock"))
	_, err := Open(context.Background(), "docker:app:1", Options{})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "docker:app:1") {
		t.Fatalf("err = %v, want ErrUnreachable naming the ref", err)
	}
}

func TestHasRegistryHost(t *testing.T) {
	tests := map[string]bool{
		"myapp:1.4":                  false,
		"library/nginx":              false,
		"registry.example.com/app:1": true,
		"localhost/app":              true,
		"localhost:5000/app":         true,
		"127.0.0.1:5000/app:1":       true,
		"team/app:1":                 false,
	}
	for ref, want := range tests {
		if got := hasRegistryHost(ref); got != want {
			t.Errorf("hasRegistryHost(%q) = %v", ref, got)
		}
	}
}

func mustRef(t testing.TB, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
