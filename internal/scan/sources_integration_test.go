//go:build integration

package scan

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/bulwark-security/bulwark/internal/model"
)

// testImages returns the directory of the real Debian test images; it
// skips (fails on CI) when they are missing.
func testImages(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("BULWARK_TEST_IMAGES")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "bulwark-test-images")
	}
	if _, err := os.Stat(filepath.Join(dir, "debian12-app.docker.tar")); err != nil {
		missing(t, "test images missing (run ../shared/tools/make-test-images): %v", err)
	}
	return dir
}

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

func repoRoot(t testing.TB) string {
	t.Helper()
	d, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fingerprint is what must agree across sources: layers and packages.
type fingerprint struct {
	DiffIDs  []string
	History  []string
	Packages []string
	Distro   string
}

func fingerprintOf(inv *model.Inventory) fingerprint {
	var f fingerprint
	for _, l := range inv.Image.Layers {
		f.DiffIDs = append(f.DiffIDs, l.DiffID)
		f.History = append(f.History, l.CreatedBy)
	}
	for _, p := range inv.Packages {
		layer := -1
		if p.Layer != nil {
			layer = p.Layer.Index
		}
		f.Packages = append(f.Packages, fmt.Sprintf("%s %d", p.PURL, layer))
	}
	if inv.Distro != nil {
		f.Distro = inv.Distro.ID + " " + inv.Distro.VersionID
	}
	return f
}

func inventoryOf(t *testing.T, ref string, opts Options) *model.Inventory {
	t.Helper()
	if opts.CacheDir == "" {
		opts.CacheDir = t.TempDir()
	}
	inv, err := Inventory(context.Background(), ref, opts)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	if inv.Image.Ref != ref || len(inv.Image.Layers) != 5 {
		t.Fatalf("%s: identity %+v", ref, inv.Image)
	}
	return inv
}

func TestRealSources(t *testing.T) {
	images := testImages(t)
	want := fingerprintOf(inventoryOf(t, "oci:"+filepath.Join(images, "debian12-app.oci"), Options{}))

	t.Run("docker-archive", func(t *testing.T) {
		got := fingerprintOf(inventoryOf(t, "docker-archive:"+filepath.Join(images, "debian12-app.docker.tar"), Options{}))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("docker-archive vs OCI layout (-oci +archive):\n%s", diff)
		}
	})
	t.Run("oci-archive", func(t *testing.T) {
		tarFile := filepath.Join(t.TempDir(), "app.oci.tar")
		if out, err := exec.Command("tar", "-C", filepath.Join(images, "debian12-app.oci"), "-cf", tarFile, ".").CombinedOutput(); err != nil {
			t.Fatalf("tar: %v: %s", err, out)
		}
		cache := t.TempDir()
		got := fingerprintOf(inventoryOf(t, "oci-archive:"+tarFile, Options{CacheDir: cache}))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("oci-archive vs OCI layout (-layout +archive):\n%s", diff)
		}
		if left, _ := os.ReadDir(filepath.Join(cache, "tmp")); len(left) != 0 {
			t.Errorf("temporary files left: %v", left)
		}
	})
	t.Run("docker-daemon", func(t *testing.T) {
		if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
			missing(t, "no Docker Engine: %v: %s", err, firstLine(out))
		}
		const tag = "bulwark-test/debian12-app:1"
		if exec.Command("docker", "image", "inspect", tag).Run() != nil {
			if out, err := exec.Command("docker", "load", "-i", filepath.Join(images, "debian12-app.docker.tar")).CombinedOutput(); err != nil {
				t.Fatalf("docker load: %v: %s", err, out)
			}
		}
		for _, ref := range []string{"docker:" + tag, tag} {
			inv := inventoryOf(t, ref, Options{})
			if inv.Image.Source != "docker-daemon" {
				t.Errorf("%s: source %s, want docker-daemon", ref, inv.Image.Source)
			}
			if diff := cmp.Diff(want, fingerprintOf(inv)); diff != "" {
				t.Errorf("%s vs OCI layout (-layout +daemon):\n%s", ref, diff)
			}
		}
	})
	t.Run("registry-basic-auth", func(t *testing.T) {
		port := freePort(t)
		user, pass := "bulwark", "s3cret-"+port
		out, err := exec.Command(filepath.Join(repoRoot(t), "scripts", "start-registry.sh"), port, user, pass).Output()
		if err != nil {
			missing(t, "start-registry.sh: %v", err)
		}
		state := lastValue(string(out), "STATE_DIR=")
		if state != "" {
			t.Cleanup(func() {
				if pid, err := os.ReadFile(filepath.Join(state, "pid")); err == nil {
					exec.Command("kill", strings.TrimSpace(string(pid))).Run()
				}
				os.RemoveAll(state)
			})
		}
		host := "127.0.0.1:" + port
		src, err := layout.ImageIndexFromPath(filepath.Join(images, "debian12-app.oci"))
		if err != nil {
			t.Fatal(err)
		}
		im, _ := src.IndexManifest()
		img, err := src.Image(im.Manifests[0].Digest)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := name.ParseReference(host + "/bulwark-test/debian12-app:1")
		if err := remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: user, Password: pass})); err != nil {
			t.Fatalf("push: %v", err)
		}
		// Without credentials the registry refuses.
		t.Setenv("DOCKER_CONFIG", t.TempDir())
		if _, err := Inventory(context.Background(), host+"/bulwark-test/debian12-app:1", Options{CacheDir: t.TempDir()}); err == nil {
			t.Fatal("scan without credentials succeeded")
		}
		cfg := t.TempDir()
		auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("DOCKER_CONFIG", cfg)
		for _, r := range []string{"registry:" + host + "/bulwark-test/debian12-app:1", host + "/bulwark-test/debian12-app:1"} {
			inv := inventoryOf(t, r, Options{})
			if inv.Image.Source != "registry" || inv.Image.Digest == "" || len(inv.Image.RepoDigests) != 1 {
				t.Errorf("%s: identity %+v", r, inv.Image)
			}
			if diff := cmp.Diff(want, fingerprintOf(inv)); diff != "" {
				t.Errorf("%s vs OCI layout (-layout +registry):\n%s", r, diff)
			}
		}
	})
}

// TestDebianPackagesMatchDpkg: the deb packages of the multi-layer image
// equal what dpkg-query printed inside its final root filesystem.
func TestDebianPackagesMatchDpkg(t *testing.T) {
	images := testImages(t)
	inv := inventoryOf(t, "docker-archive:"+filepath.Join(images, "debian12-app.docker.tar"), Options{})
	var got []string
	for _, p := range inv.Packages {
		if p.Ecosystem == model.EcosystemDeb {
			got = append(got, strings.Join([]string{p.Name, p.Version, p.SourceOrName(), p.SourceVersionOrVersion()}, "\t"))
		}
	}
	sort.Strings(got)
	f, err := os.Open(filepath.Join(images, "debian12-app.packages.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			want = append(want, l)
		}
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deb packages (-dpkg-query +bulwark):\n%s", diff)
	}
	if inv.Distro == nil || inv.Distro.ID != "debian" || inv.Distro.VersionID != "12" {
		t.Errorf("distro = %+v, want debian 12", inv.Distro)
	}
	for _, p := range inv.Packages {
		if p.Ecosystem == model.EcosystemDeb && !strings.Contains(p.PURL, "distro=debian-12") {
			t.Errorf("%s: purl without the distro qualifier", p.PURL)
			break
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func lastValue(out, prefix string) string {
	v := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			v = strings.TrimPrefix(l, prefix)
		}
	}
	return v
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}
