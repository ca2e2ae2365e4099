package image

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestExtractLayoutHostile: an oci-archive can only create layout files
// inside the temp dir; everything else in the tar is ignored.
func TestExtractLayoutHostile(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body string) {
		h.Size = int64(len(body))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	add(&tar.Header{Name: "../escape", Typeflag: tar.TypeReg}, "x")
	add(&tar.Header{Name: "/abs-escape", Typeflag: tar.TypeReg}, "x")
	add(&tar.Header{Name: "blobs", Typeflag: tar.TypeSymlink, Linkname: "/tmp"}, "")
	add(&tar.Header{Name: "blobs/sha256/../../../escape2", Typeflag: tar.TypeReg}, "x")
	add(&tar.Header{Name: "index.json", Typeflag: tar.TypeReg}, `{"schemaVersion":2,"manifests":[]}`)
	add(&tar.Header{Name: "oci-layout", Typeflag: tar.TypeReg}, `{"imageLayoutVersion":"1.0.0"}`)
	tw.Close()

	parent := t.TempDir()
	dir := filepath.Join(parent, "x")
	os.Mkdir(dir, 0o700)
	if err := extractLayout(context.Background(), &buf, dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("files written outside the layout dir: %v", entries)
	}
	got, _ := os.ReadDir(dir)
	var names []string
	for _, e := range got {
		names = append(names, e.Name())
	}
	if len(names) != 2 || names[0] != "index.json" || names[1] != "oci-layout" {
		t.Errorf("extracted %v, want only index.json and oci-layout", names)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "blobs")); err == nil {
		t.Errorf("blobs created: %v", fi.Mode())
	}
}
