package cli

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// sbomLayout writes a one-layer OCI layout holding an installed npm
// package.
func sbomLayout(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := `{"name":"lodash","version":"4.17.15","license":"MIT"}`
	tw.WriteHeader(&tar.Header{Name: "srv/app/node_modules/lodash/package.json", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	tw.Write([]byte(body))
	tw.Close()
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestSBOMCommand(t *testing.T) {
	dir := sbomLayout(t)
	cache := t.TempDir()
	outFile := filepath.Join(t.TempDir(), "sbom.json")
	code, stdout, stderr := runCLI(t, "--cache-dir", cache, "sbom", "oci:"+dir, "-f", "json", "-o", outFile)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout with -o: %q", stdout)
	}
	raw, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(raw) || !strings.Contains(string(raw), "lodash") {
		t.Errorf("output lacks lodash: %.300s", raw)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(outFile), ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary output files left: %v", left)
	}
	if _, err := os.Stat(filepath.Join(cache, "layers")); err != nil {
		t.Errorf("no layer cache written: %v", err)
	}

	// Piped stdout gets the document and nothing else.
	code, stdout, _ = runCLI(t, "--cache-dir", cache, "-q", "sbom", "oci:"+dir, "-f", "json")
	if code != ExitOK || !json.Valid([]byte(stdout)) {
		t.Errorf("stdout is not the JSON document (exit %d): %.200s", code, stdout)
	}

	code, stdout, _ = runCLI(t, "--cache-dir", cache, "cache", "clean")
	if code != ExitOK || !strings.Contains(stdout, "removed 1 cached layer result") {
		t.Errorf("cache clean: exit %d, %q", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(cache, "layers")); !os.IsNotExist(err) {
		t.Errorf("layer cache still there: %v", err)
	}
}

func TestSBOMExitCodes(t *testing.T) {
	dir := sbomLayout(t)
	garbage := filepath.Join(t.TempDir(), "garbage.tar")
	if err := os.WriteFile(garbage, []byte("this is not a tar file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "none.sock"))
	tests := []struct {
		args []string
		want int
		msg  string
	}{
		{args: []string{"sbom", "docker-archive:/no/such.tar"}, want: ExitUsage, msg: "docker-archive:/no/such.tar: no such file"},
		{args: []string{"sbom", "oci:" + dir, "-f", "sarif"}, want: ExitUsage, msg: "sarif"},
		{args: []string{"sbom", "oci:" + dir, "--platform", "linux"}, want: ExitUsage, msg: "os/arch"},
		{args: []string{"sbom"}, want: ExitUsage},
		{args: []string{"sbom", "docker-archive:" + garbage}, want: ExitUsage, msg: "not a readable docker-archive"},
		{args: []string{"sbom", "oci:" + filepath.Dir(garbage)}, want: ExitUsage, msg: "not an OCI image layout"},
		{args: []string{"sbom", "docker:app:1"}, want: ExitOperational, msg: "Docker Engine not reachable"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"--cache-dir", t.TempDir()}, tc.args...)...)
			if code != tc.want {
				t.Errorf("exit %d, want %d (%s)", code, tc.want, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout on error: %q", stdout)
			}
			if !strings.Contains(stderr, tc.msg) {
				t.Errorf("stderr %q lacks %q", stderr, tc.msg)
			}
		})
	}
}
