package npm

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

func input(path string, data []byte) catalog.Input {
	return catalog.Input{
		FileInfo: catalog.FileInfo{Path: path, Mode: 0o644, Size: int64(len(data))},
		Content:  bytes.NewReader(data),
	}
}

type opt func(*model.Package)

var (
	dev      opt = func(p *model.Package) { p.Dev = true }
	optional opt = func(p *model.Package) { p.Metadata = map[string]string{"npm.optional": "true"} }
)

func license(l string) opt { return func(p *model.Package) { p.Licenses = []string{l} } }

func pkg(foundBy, file, name, version string, opts ...opt) model.Package {
	origin := model.OriginLockfile
	if foundBy == "node-modules" {
		origin = model.OriginInstalled
	}
	p := newPackage(name, version, origin, foundBy, file)
	for _, o := range opts {
		o(&p)
	}
	return p
}

func runCataloger(t *testing.T, c catalog.Cataloger, path, fixture string) ([]model.Package, error) {
	t.Helper()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Wants(catalog.FileInfo{Path: path, Mode: 0o644, Size: int64(len(data))}) {
		t.Fatalf("%s does not want %s", c.Name(), path)
	}
	res, err := c.Catalog(context.Background(), input(path, data))
	return res.Packages, err
}

func TestLockfiles(t *testing.T) {
	const f = "/app/package-lock.json"
	for _, tc := range []struct {
		name    string
		c       catalog.Cataloger
		path    string
		fixture string
		want    []model.Package
	}{
		{
			name: "package-lock v1", c: NewLockCataloger(), path: f, fixture: "testdata/lock-v1.json",
			want: []model.Package{
				pkg("npm-lock", f, "@types/node", "14.14.31", dev),
				pkg("npm-lock", f, "debug", "2.6.9"),
				pkg("npm-lock", f, "ms", "2.0.0"),
				pkg("npm-lock", f, "ms", "2.1.2"),
				pkg("npm-lock", f, "string-width", "4.2.3"),
			},
		},
		{
			name: "package-lock v2", c: NewLockCataloger(), path: f, fixture: "testdata/lock-v2.json",
			want: []model.Package{
				pkg("npm-lock", f, "express", "4.18.2", license("MIT")),
				pkg("npm-lock", f, "debug", "2.6.9", license("MIT")),
				pkg("npm-lock", f, "fsevents", "2.3.3", dev, optional),
				pkg("npm-lock", f, "string-width", "4.2.3", license("MIT")),
			},
		},
		{
			name: "yarn v1", c: NewYarnCataloger(), path: "/app/yarn.lock", fixture: "testdata/yarn-v1.lock",
			want: []model.Package{
				pkg("yarn-lock", "/app/yarn.lock", "@babel/code-frame", "7.12.13"),
				pkg("yarn-lock", "/app/yarn.lock", "lodash", "4.17.21"),
				pkg("yarn-lock", "/app/yarn.lock", "wrap-ansi", "7.0.0"),
			},
		},
		{
			name: "yarn berry", c: NewYarnCataloger(), path: "/app/yarn.lock", fixture: "testdata/yarn-berry.lock",
			want: []model.Package{
				pkg("yarn-lock", "/app/yarn.lock", "@babel/code-frame", "7.12.13"),
				pkg("yarn-lock", "/app/yarn.lock", "lodash", "4.17.21"),
				pkg("yarn-lock", "/app/yarn.lock", "resolve", "1.22.8"),
			},
		},
		{
			name: "pnpm v5", c: NewPnpmCataloger(), path: "/app/pnpm-lock.yaml", fixture: "testdata/pnpm-v5.yaml",
			want: []model.Package{
				pkg("pnpm-lock", "/app/pnpm-lock.yaml", "@babel/runtime", "7.21.0", dev),
				pkg("pnpm-lock", "/app/pnpm-lock.yaml", "js-tokens", "4.0.0"),
				pkg("pnpm-lock", "/app/pnpm-lock.yaml", "react-dom", "18.2.0"),
				pkg("pnpm-lock", "/app/pnpm-lock.yaml", "typescript", "4.9.5", dev),
			},
		},
		{
			name: "pnpm v6", c: NewPnpmCataloger(), path: "/app/pnpm-lock.yaml", fixture: "testdata/pnpm-v6.yaml",
			want: []model.Package{
				pkg("pnpm-lock", "/app/pnpm-lock.yaml", "@types/node", "20.4.0", dev),
				pkg("pnpm-lock", "/app/pnpm-lock.yaml", "react-dom", "18.2.0"),
				pkg("pnpm-lock", "/app/pnpm-lock.yaml", "react", "18.2.0"),
				pkg("pnpm-lock", "/app/pnpm-lock.yaml", "debug", "4.3.4"),
			},
		},
		{
			name: "pnpm v9", c: NewPnpmCataloger(), path: "/app/pnpm-lock.yaml", fixture: "testdata/pnpm-v9.yaml",
			want: []model.Package{
				pkg("pnpm-lock", "/app/pnpm-lock.yaml", "@types/node", "20.14.2"),
				pkg("pnpm-lock", "/app/pnpm-lock.yaml", "react-dom", "18.3.1"),
				pkg("pnpm-lock", "/app/pnpm-lock.yaml", "react", "18.3.1"),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runCataloger(t, tc.c, tc.path, tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPackageLockRealV3(t *testing.T) {
	const f = "/srv/package-lock.json"
	got, err := runCataloger(t, NewLockCataloger(), f, "testdata/lock-v3-real.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 163 {
		t.Errorf("got %d packages, want 163 distinct name@version pairs", len(got))
	}
	byName := map[string]model.Package{}
	for _, p := range got {
		byName[p.Name+"@"+p.Version] = p
	}
	for _, want := range []model.Package{
		pkg("npm-lock", f, "lodash", "4.17.15", license("MIT")),
		pkg("npm-lock", f, "axios", "0.21.1", license("MIT")),
		pkg("npm-lock", f, "mocha", "8.2.1", dev, license("MIT")),
		pkg("npm-lock", f, "@ungap/promise-all-settled", "1.1.2", dev, license("ISC")),
		pkg("npm-lock", f, "fsevents", "2.1.3", dev, optional, license("MIT")),
	} {
		if diff := cmp.Diff(want, byName[want.Name+"@"+want.Version]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", want.Name, diff)
		}
	}
	if p := byName["@ungap/promise-all-settled@1.1.2"]; p.PURL != "pkg:npm/%40ungap/promise-all-settled@1.1.2" {
		t.Errorf("scoped purl = %q", p.PURL)
	}
}

func TestMalformedLockfiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    catalog.Cataloger
		path string
		data string
		want string
	}{
		{"truncated json", NewLockCataloger(), "/a/package-lock.json", `{"lockfileVersion": 3, "packages": {`, "/a/package-lock.json: invalid package-lock JSON"},
		{"not a lock", NewLockCataloger(), "/a/package-lock.json", `{"name": "x"}`, "not a package-lock file"},
		{"yarn garbage header", NewYarnCataloger(), "/a/yarn.lock", "lodash@^4:\n  version \"4.17.21\"\nthis is not yarn\n", "/a/yarn.lock: 1 malformed entries, first at line 3"},
		{"berry bad yaml", NewYarnCataloger(), "/a/yarn.lock", "__metadata:\n  version: 8\n\"a@npm:1\":\n  version: [\n", "invalid yarn berry lock file"},
		{"pnpm no version", NewPnpmCataloger(), "/a/pnpm-lock.yaml", "packages:\n  /a/1.0.0: {}\n", "/a/pnpm-lock.yaml: missing or unsupported lockfileVersion"},
		{"pnpm bad key", NewPnpmCataloger(), "/a/pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  justaname: {}\n  ok@1.0.0: {}\n", `1 package keys not understood, first "justaname"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.Catalog(context.Background(), input(tc.path, []byte(tc.data)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// Partial results survive a bad entry.
	res, _ := NewPnpmCataloger().Catalog(context.Background(), input("/a/pnpm-lock.yaml", []byte("lockfileVersion: '9.0'\npackages:\n  justaname: {}\n  ok@1.0.0: {}\n")))
	if len(res.Packages) != 1 || res.Packages[0].Name != "ok" {
		t.Errorf("partial result = %+v", res.Packages)
	}
}

func TestInstalled(t *testing.T) {
	c := NewInstalledCataloger()
	const f = "/app/node_modules/@scope/lib/package.json"
	for _, tc := range []struct {
		name string
		data string
		want []model.Package
	}{
		{"string license", `{"name":"@scope/lib","version":"1.2.3","license":"Apache-2.0"}`,
			[]model.Package{pkg("node-modules", f, "@scope/lib", "1.2.3", license("Apache-2.0"))}},
		{"legacy licenses array", `{"name":"@scope/lib","version":"1.2.3","licenses":[{"type":"MIT","url":"x"},{"type":"GPL-2.0"}]}`,
			[]model.Package{func() model.Package {
				p := pkg("node-modules", f, "@scope/lib", "1.2.3")
				p.Licenses = []string{"MIT", "GPL-2.0"}
				return p
			}()}},
		{"stub without version", `{"name":"@scope/lib","private":true}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.Catalog(context.Background(), input(f, []byte(tc.data)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := c.Catalog(context.Background(), input(f, []byte(`{"name":`))); err == nil || !strings.Contains(err.Error(), f) {
		t.Errorf("error = %v, want one naming the file", err)
	}
}

func TestWants(t *testing.T) {
	for _, tc := range []struct {
		c    catalog.Cataloger
		path string
		want bool
	}{
		{NewInstalledCataloger(), "/app/node_modules/lodash/package.json", true},
		{NewInstalledCataloger(), "/app/node_modules/@types/node/package.json", true},
		{NewInstalledCataloger(), "/app/node_modules/a/node_modules/b/package.json", true},
		{NewInstalledCataloger(), "/app/package.json", false},
		{NewInstalledCataloger(), "/app/node_modules/lodash/fp/package.json", false},
		{NewInstalledCataloger(), "/app/node_modules/@types/package.json", false},
		{NewInstalledCataloger(), "/app/node_modules/.bin/package.json", false},
		{NewLockCataloger(), "/app/package-lock.json", true},
		{NewLockCataloger(), "/app/npm-shrinkwrap.json", true},
		{NewLockCataloger(), "/app/node_modules/.package-lock.json", false},
		{NewLockCataloger(), "/app/node_modules/x/package-lock.json", false},
		{NewYarnCataloger(), "/app/yarn.lock", true},
		{NewPnpmCataloger(), "/app/pnpm-lock.yaml", true},
	} {
		if got := tc.c.Wants(catalog.FileInfo{Path: tc.path, Mode: 0o644}); got != tc.want {
			t.Errorf("%s.Wants(%q) = %v, want %v", tc.c.Name(), tc.path, got, tc.want)
		}
	}
}

func BenchmarkPackageLock(b *testing.B) {
	data, err := os.ReadFile("testdata/lock-v3-real.json")
	if err != nil {
		b.Fatal(err)
	}
	c := NewLockCataloger()
	in := input("/app/package-lock.json", data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Catalog(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
