package cli

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/bulwark-security/bulwark/internal/runtime"
)

// seedLayout writes an OCI layout whose one layer holds two executables,
// one owned by a dpkg package, and returns it with the owned file's hash.
func seedLayout(t *testing.T) (dir, digest, lsSum string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name, body string, mode int64) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	add("usr/bin/ls", "ls binary", 0o755)
	add("usr/local/bin/app", "not packaged", 0o755)
	add("var/lib/dpkg/info/coreutils.list", "/.\n/usr\n/usr/bin\n/usr/bin/ls\n", 0o644)
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
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256([]byte("ls binary"))
	return dir, cfg.String(), hex.EncodeToString(s[:])
}

func TestAgentProfilesSeed(t *testing.T) {
	dir, digest, lsSum := seedLayout(t)
	profiles := filepath.Join(t.TempDir(), "profiles")
	cache := t.TempDir()
	seed := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"--cache-dir", cache, "agent", "profiles", "--profiles", profiles, "seed"}, args...)...)
	}
	code, stdout, stderr := seed("oci:"+dir, "-o", "-")
	if code != ExitOK {
		t.Fatalf("seed -o -: exit %d: %s", code, stderr)
	}
	p, err := runtime.ParseProfile("stdout", []byte(stdout))
	if err != nil {
		t.Fatal(err)
	}
	want := []runtime.Executable{{Path: "/usr/bin/ls", SHA256: lsSum, Role: runtime.RoleExec, Package: "deb:coreutils"}}
	if p.ImageDigest != digest || len(p.Executables) != 1 || p.Executables[0] != want[0] {
		t.Fatalf("seeded profile %+v, want %s with %+v", p, digest, want)
	}

	// Merging into a learned profile keeps its entries and mode.
	learned := &runtime.Profile{ImageDigest: digest, Mode: runtime.ModeEnforce, Revision: 2,
		Executables: []runtime.Executable{{Path: "/usr/local/bin/app", SHA256: strings.Repeat("a", 64), Role: runtime.RoleExec}}}
	if err := runtime.Dir(profiles).Save(learned); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := seed("oci:" + dir); code != ExitOK || !strings.Contains(stderr, "revision 3: 1 entries added") {
		t.Fatalf("seed into --profiles: exit %d: %s", code, stderr)
	}
	all, err := runtime.Dir(profiles).Load()
	if err != nil || len(all) != 1 {
		t.Fatalf("profiles after seed: %v, %v", all, err)
	}
	if got := all[0]; got.Mode != runtime.ModeEnforce || got.Revision != 3 || len(got.Executables) != 2 {
		t.Errorf("merged profile %+v", got)
	}
	// Seeding again changes nothing.
	if code, _, stderr := seed("oci:" + dir); code != ExitOK || !strings.Contains(stderr, "revision 3: 0 entries added") {
		t.Errorf("second seed: exit %d: %s", code, stderr)
	}

	if code, _, stderr := seed("oci:"+dir, "--paths", "/usr/sbin/*"); code != ExitUsage || !strings.Contains(stderr, "no owned executable matches") {
		t.Errorf("--paths matching nothing: exit %d: %s", code, stderr)
	}
	if code, _, stderr := seed("oci:" + filepath.Join(t.TempDir(), "missing")); code != ExitUsage {
		t.Errorf("missing image: exit %d: %s", code, stderr)
	}
}
