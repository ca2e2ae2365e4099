//go:build integration

package debian

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// testImagesDir is where make-test-images leaves its images.
func testImagesDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BULWARK_TEST_IMAGES")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(home, ".cache", "bulwark-test-images")
	}
	return dir
}

// lastStatus returns the dpkg status file of the image's final filesystem:
// the copy in the topmost layer that has one.
func lastStatus(t *testing.T, archive string) []byte {
	t.Helper()
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i := len(layers) - 1; i >= 0; i-- {
		rc, err := layers[i].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rc.Close()
				t.Fatalf("layer %d: %v", i, err)
			}
			if strings.TrimPrefix(h.Name, "./") == "var/lib/dpkg/status" {
				b, err := io.ReadAll(tr)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
		rc.Close()
	}
	t.Fatalf("%s: no var/lib/dpkg/status in any layer", archive)
	return nil
}

// The inventory of the real Debian 12 test images equals what dpkg-query
// printed inside their final filesystem when they were built.
func TestDpkgEqualsDpkgQueryInImages(t *testing.T) {
	dir := testImagesDir(t)
	for _, name := range []string{"debian12-base", "debian12-app"} {
		t.Run(name, func(t *testing.T) {
			archive := filepath.Join(dir, name+".docker.tar")
			if _, err := os.Stat(archive); err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("test image missing (run ../shared/tools/make-test-images): %v", err)
				}
				t.Skipf("test image missing (run ../shared/tools/make-test-images): %v", err)
			}
			status := lastStatus(t, archive)
			res, err := NewDpkgCataloger().Catalog(context.Background(), dpkgInput(dpkgStatusPath, status))
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			want := readLines(t, filepath.Join(dir, name+".packages.tsv"))
			got := dpkgQueryLines(res.Packages)
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("inventory differs from the image's dpkg-query (%d vs %d lines):\n%s", len(want), len(got), lineDiff(want, got))
			}
		})
	}
}
