//go:build integration

package agent

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/image"
	"github.com/bulwark-security/bulwark/internal/runtime"
)

// seedTestImage opens NAME.docker.tar made by ../shared/tools/make-test-images.
func seedTestImage(t *testing.T, name string) image.Image {
	t.Helper()
	dir := os.Getenv("BULWARK_TEST_IMAGES")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(home, ".cache", "bulwark-test-images")
	}
	archive := filepath.Join(dir, name+".docker.tar")
	if _, err := os.Stat(archive); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("test image missing (run ../shared/tools/make-test-images): %v", err)
		}
		t.Skipf("test image missing (run ../shared/tools/make-test-images): %v", err)
	}
	img, err := image.Open(context.Background(), "docker-archive:"+archive, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	return img
}

// installedPackages reads NAME.packages.tsv (dpkg-query in the image).
func installedPackages(t *testing.T, name string) map[string]bool {
	t.Helper()
	dir := os.Getenv("BULWARK_TEST_IMAGES")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "bulwark-test-images")
	}
	f, err := os.Open(filepath.Join(dir, name+".packages.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pkg, _, _ := strings.Cut(sc.Text(), "\t")
		out["deb:"+pkg] = true
	}
	return out
}

func byPath(p *runtime.Profile) map[string]runtime.Executable {
	out := map[string]runtime.Executable{}
	for _, e := range p.Executables {
		out[e.Path] = e
	}
	return out
}

func TestSeedDebianImage(t *testing.T) {
	img := seedTestImage(t, "debian12-base")
	p, st, err := Seed(context.Background(), img, SeedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The image ID (manifest.json Config) of the built image.
	if p.ImageDigest != "sha256:98e1325ff4bc5c500e1a0338eb51875cd747c348f40a2fcef08fa726acf75583" {
		t.Errorf("ImageDigest = %s", p.ImageDigest)
	}
	t.Logf("%d packages own %d executables; %d entries", st.Packages, st.Owned, st.Seeded)
	got := byPath(p)
	// Hashes of the files in the image layer (tar -xO | sha256sum); the
	// agent's kernel tests learn the same ones from running containers.
	for path, want := range map[string]runtime.Executable{
		"/usr/bin/ls": {Path: "/usr/bin/ls", SHA256: "cb30d69b24245bf2ecdc9e7f53bbad19159999970b6d82c0c00c7d32d9e37aa4", Role: runtime.RoleExec, Package: "deb:coreutils"},
		"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": {Path: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
			SHA256: "02bcda52c1a5dfc236f94d9e5255b4a0e26347d8a372a5223b650e31f291ce3c", Role: runtime.RoleExec, Package: "deb:libc6"},
	} {
		if got[path] != want {
			t.Errorf("%s: got %+v, want %+v", path, got[path], want)
		}
	}
	for _, must := range []string{"/usr/sbin/nginx", "/usr/bin/python3.11", "/usr/bin/dash", "/usr/bin/git", "/usr/bin/curl"} {
		if _, ok := got[must]; !ok {
			t.Errorf("%s not seeded", must)
		}
	}
	installed := installedPackages(t, "debian12-base")
	for _, e := range p.Executables {
		if strings.HasPrefix(e.Path, "/bin/") || strings.HasPrefix(e.Path, "/sbin/") || strings.HasPrefix(e.Path, "/lib64/") {
			t.Errorf("%s: not canonical (the image links /bin to usr/bin)", e.Path)
		}
		if !installed[e.Package] {
			t.Errorf("%s: package %q is not installed in the image", e.Path, e.Package)
		}
	}
	if st.Owned < 300 || st.Packages < 50 {
		t.Errorf("stats %+v: far fewer owned executables than a Debian base image has", st)
	}

	only, _, err := Seed(context.Background(), img, SeedOptions{Paths: []string{"/usr/sbin/nginx"}})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range only.Executables {
		paths = append(paths, e.Path+" "+string(e.Role))
	}
	want := []string{"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 interpreter", "/usr/sbin/nginx exec"}
	if strings.Join(paths, ",") != strings.Join(want, ",") {
		t.Errorf("--paths /usr/sbin/nginx seeded %q, want %q", paths, want)
	}
}

// TestSeedAppImage: the app image adds unpackaged layers (a Go binary, an
// npm app) and purges nginx-light (its .list is whited out) on top of the
// base image; seeding must give exactly the base image's entries, since
// no package in those layers owns an executable.
func TestSeedAppImage(t *testing.T) {
	base, _, err := Seed(context.Background(), seedTestImage(t, "debian12-base"), SeedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := Seed(context.Background(), seedTestImage(t, "debian12-app"), SeedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if app.ImageDigest == base.ImageDigest {
		t.Fatal("app and base have the same image ID")
	}
	if diff := cmp.Diff(base.Executables, app.Executables); diff != "" {
		t.Errorf("app image entries differ from the base image's (-base +app):\n%s", diff)
	}
}
