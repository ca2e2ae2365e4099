package rpm

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

func rpmInput(path string, data []byte) catalog.Input {
	return catalog.Input{
		FileInfo: catalog.FileInfo{Path: path, Size: int64(len(data))},
		Content:  bytes.NewReader(data),
	}
}

// fixturePackages is what `rpm -qa` says the fixture databases hold (see
// testdata/README.md).
func fixturePackages(location string) []model.Package {
	base := model.Package{
		Ecosystem: model.EcosystemRPM, Arch: "noarch", Origin: model.OriginInstalled,
		FoundBy: "rpmdb", Locations: []string{location}, SourceName: "hello-bulwark",
	}
	with := func(f func(p *model.Package)) model.Package {
		p := base
		f(&p)
		return p
	}
	return []model.Package{
		with(func(p *model.Package) {
			p.Name, p.Version, p.SourceVersion = "hello-bulwark", "2:1.2.3-4.fx1", "2:1.2.3-4.fx1"
			p.Licenses = []string{"MIT"}
			p.PURL = "pkg:rpm/redhat/hello-bulwark@1.2.3-4.fx1?arch=noarch&epoch=2&upstream=hello-bulwark-1.2.3-4.fx1.src.rpm"
		}),
		with(func(p *model.Package) {
			p.Name, p.Version, p.SourceVersion = "hello-bulwark-doc", "2:1.2.3-4.fx1", "2:1.2.3-4.fx1"
			p.Licenses = []string{"CC-BY-4.0"}
			p.PURL = "pkg:rpm/redhat/hello-bulwark-doc@1.2.3-4.fx1?arch=noarch&epoch=2&upstream=hello-bulwark-1.2.3-4.fx1.src.rpm"
		}),
		with(func(p *model.Package) {
			// Epoch 0 is written explicitly in the spec and still left out.
			p.Name, p.Version, p.SourceVersion = "tiny-tools", "0.9-1.el9", "1.2.3-4.fx1"
			p.Licenses = []string{"GPL-2.0-or-later AND MIT"}
			p.PURL = "pkg:rpm/redhat/tiny-tools@0.9-1.el9?arch=noarch&upstream=hello-bulwark-1.2.3-4.fx1.src.rpm"
		}),
	}
}

var fixtureFiles = []string{
	"/etc/tiny-tools.conf",
	"/usr/bin/hello-bulwark",
	"/usr/share/doc/hello-bulwark/README",
	"/usr/share/hello-bulwark",
	"/usr/share/hello-bulwark/greeting.txt",
}

func TestFormats(t *testing.T) {
	for _, tt := range []struct{ fixture, path string }{
		{"sqlite/rpmdb.sqlite", "/var/lib/rpm/rpmdb.sqlite"},
		{"sqlite/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite"},
		{"bdb/Packages", "/var/lib/rpm/Packages"},
		{"ndb/Packages.db", "/usr/lib/sysimage/rpm/Packages.db"},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			c := NewCataloger()
			in := rpmInput(tt.path, data)
			if !c.Wants(in.FileInfo) {
				t.Fatalf("%s not wanted", tt.path)
			}
			res, err := c.Catalog(context.Background(), in)
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			sortPackages(res.Packages)
			if diff := cmp.Diff(fixturePackages(tt.path), res.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			sortStrings(res.OwnedFiles)
			if diff := cmp.Diff(fixtureFiles, res.OwnedFiles); diff != "" {
				t.Errorf("owned files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCorruptDatabases(t *testing.T) {
	sqlite, err := os.ReadFile(filepath.Join("testdata", "sqlite", "rpmdb.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	bdb, err := os.ReadFile(filepath.Join("testdata", "bdb", "Packages"))
	if err != nil {
		t.Fatal(err)
	}
	ndb, err := os.ReadFile(filepath.Join("testdata", "ndb", "Packages.db"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, at int, v byte) []byte {
		c := bytes.Clone(b)
		c[at] = v
		return c
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short for an rpm database"},
		{"text", []byte("this is not a database at all"), "not a Berkeley DB hash database"},
		{"truncated sqlite", sqlite[:4096], "sqlite"},
		{"truncated bdb", bdb[:len(bdb)/2], "past the end"},
		{"bdb bad page size", flip(bdb, 21, 0x03), "invalid page size"},
		{"truncated ndb", ndb[:5000], "past the end of the file"},
		{"ndb bad slot", flip(ndb, 32, 'X'), "bad magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/var/lib/rpm/Packages"
			_, err := NewCataloger().Catalog(context.Background(), rpmInput(path, tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("err = %v, want one naming %s and saying %q", err, path, tt.want)
			}
		})
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, f := range []string{"sqlite/rpmdb.sqlite", "bdb/Packages", "ndb/Packages.db"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewCataloger().Catalog(ctx, rpmInput("/var/lib/rpm/Packages", data)); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", f, err)
		}
	}
}

func TestWants(t *testing.T) {
	for path, want := range map[string]bool{
		"/var/lib/rpm/rpmdb.sqlite":          true,
		"/var/lib/rpm/Packages":              true,
		"/var/lib/rpm/Packages.db":           true,
		"/usr/lib/sysimage/rpm/rpmdb.sqlite": true,
		"/usr/lib/sysimage/rpm/Packages.db":  true,
		"/var/lib/rpm/Basenames":             false,
		"/var/lib/rpm/rpmdb.sqlite-wal":      false,
		"/srv/var/lib/rpm/Packages":          false,
		"/var/lib/rpm/sub/Packages":          false,
	} {
		if got := NewCataloger().Wants(catalog.FileInfo{Path: path}); got != want {
			t.Errorf("Wants(%q) = %v, want %v", path, got, want)
		}
	}
}

func sortPackages(p []model.Package) {
	slices.SortFunc(p, func(a, b model.Package) int { return strings.Compare(a.Name, b.Name) })
}

func sortStrings(s []string) { slices.Sort(s) }

// Damaged databases must give errors, never a panic or a hang: flip bytes
// all over each fixture, deterministically.
func TestDamagedDatabases(t *testing.T) {
	for _, f := range []string{"sqlite/rpmdb.sqlite", "bdb/Packages", "ndb/Packages.db"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, uint64(len(data))))
		for range 200 {
			c := bytes.Clone(data)
			for range 1 + rng.IntN(8) {
				c[rng.IntN(len(c))] = byte(rng.IntN(256))
			}
			res, _ := NewCataloger().Catalog(context.Background(), rpmInput("/var/lib/rpm/Packages", c))
			for _, p := range res.Packages {
				if p.Name == "" || p.Version == "" {
					t.Fatalf("%s: incomplete package %+v", f, p)
				}
			}
		}
	}
}
