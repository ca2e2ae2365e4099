package dotnet

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

func TestCatalogers(t *testing.T) {
	const deps = "/app/webapp.deps.json"
	const lock = "/src/webapp/packages.lock.json"
	for _, tc := range []struct {
		c       catalog.Cataloger
		path    string
		fixture string
		want    []model.Package
	}{
		{NewDepsCataloger(), deps, "testdata/webapp.deps.json", []model.Package{
			newPackage("Newtonsoft.Json", "13.0.1", model.OriginInstalled, "dotnet-deps", deps),
			newPackage("System.Text.Encodings.Web", "4.7.1", model.OriginInstalled, "dotnet-deps", deps),
		}},
		{NewLockCataloger(), lock, "testdata/packages.lock.json", []model.Package{
			newPackage("Newtonsoft.Json", "13.0.1", model.OriginLockfile, "nuget-lock", lock),
			newPackage("System.Text.Encodings.Web", "4.7.1", model.OriginLockfile, "nuget-lock", lock),
			newPackage("runtime.linux-x64.Microsoft.NETCore.DotNetAppHost", "6.0.0", model.OriginLockfile, "nuget-lock", lock),
		}},
	} {
		t.Run(tc.c.Name(), func(t *testing.T) {
			data, err := os.ReadFile(tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.c.Wants(catalog.FileInfo{Path: tc.path}) {
				t.Fatalf("%s not wanted", tc.path)
			}
			res, err := tc.c.Catalog(context.Background(), input(tc.path, data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
	if got := newPackage("Newtonsoft.Json", "13.0.1", model.OriginLockfile, "x", "/x").PURL; got != "pkg:nuget/Newtonsoft.Json@13.0.1" {
		t.Errorf("purl = %q", got)
	}
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		c    catalog.Cataloger
		data string
		want string
	}{
		{NewDepsCataloger(), `{"libraries": {`, "/x: invalid JSON"},
		{NewDepsCataloger(), `{"runtimeTarget": {}}`, "not a .deps.json file"},
		{NewDepsCataloger(), `{"libraries": {"NoVersion": {"type": "package"}}}`, "1 libraries not of the form NAME/VERSION"},
		{NewLockCataloger(), `[]`, "/x: invalid JSON"},
		{NewLockCataloger(), `{"dependencies": {}}`, "not a NuGet lock file"},
		{NewLockCataloger(), `{"version": 1, "dependencies": {"net6.0": {"A": {"type": "Direct"}}}}`, "1 dependencies without a valid name and resolved version"},
	} {
		if _, err := tc.c.Catalog(context.Background(), input("/x", []byte(tc.data))); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: error = %v, want it to contain %q", tc.c.Name(), tc.data, err, tc.want)
		}
	}
}

func FuzzDeps(f *testing.F) {
	b, err := os.ReadFile("testdata/webapp.deps.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	c := NewDepsCataloger()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = c.Catalog(context.Background(), input("/a/x.deps.json", data))
	})
}

func FuzzNuGetLock(f *testing.F) {
	b, err := os.ReadFile("testdata/packages.lock.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	c := NewLockCataloger()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = c.Catalog(context.Background(), input("/a/packages.lock.json", data))
	})
}
