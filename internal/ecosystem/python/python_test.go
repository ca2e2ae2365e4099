package python

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

func pkg(foundBy, file, name, version string, dev bool, licenses ...string) model.Package {
	origin := model.OriginLockfile
	if foundBy == "python-installed" {
		origin = model.OriginInstalled
	}
	p := newPackage(name, version, origin, foundBy, file)
	p.Dev = dev
	if len(licenses) > 0 {
		p.Licenses = licenses
	}
	return p
}

func TestCatalogers(t *testing.T) {
	const sp = "/usr/lib/python3/site-packages/"
	for _, tc := range []struct {
		name    string
		c       catalog.Cataloger
		path    string
		fixture string
		want    []model.Package
	}{
		{"wheel metadata with License", NewInstalledCataloger(), sp + "Flask-2.0.0.dist-info/METADATA", "testdata/site-packages/Flask-2.0.0.dist-info/METADATA",
			[]model.Package{pkg("python-installed", sp+"Flask-2.0.0.dist-info/METADATA", "Flask", "2.0.0", false, "BSD-3-Clause")}},
		{"wheel metadata with classifier only", NewInstalledCataloger(), sp + "annotated_types-0.7.0.dist-info/METADATA", "testdata/site-packages/annotated_types-0.7.0.dist-info/METADATA",
			[]model.Package{pkg("python-installed", sp+"annotated_types-0.7.0.dist-info/METADATA", "annotated-types", "0.7.0", false, "MIT License")}},
		{"egg-info with licence text", NewInstalledCataloger(), sp + "python_dateutil-2.8.1.egg-info/PKG-INFO", "testdata/PKG-INFO",
			[]model.Package{pkg("python-installed", sp+"python_dateutil-2.8.1.egg-info/PKG-INFO", "python-dateutil", "2.8.1", false, "BSD License", "Apache Software License")}},
		{"single-file egg-info", NewInstalledCataloger(), "/usr/lib/python3/dist-packages/python_dateutil-2.8.1.egg-info", "testdata/PKG-INFO",
			[]model.Package{pkg("python-installed", "/usr/lib/python3/dist-packages/python_dateutil-2.8.1.egg-info", "python-dateutil", "2.8.1", false, "BSD License", "Apache Software License")}},
		{"poetry.lock", NewPoetryLockCataloger(), "/app/poetry.lock", "testdata/poetry.lock", []model.Package{
			pkg("poetry-lock", "/app/poetry.lock", "certifi", "2023.7.22", false),
			pkg("poetry-lock", "/app/poetry.lock", "pytest", "7.4.0", true),
			pkg("poetry-lock", "/app/poetry.lock", "typing_extensions", "4.7.1", false),
			pkg("poetry-lock", "/app/poetry.lock", "black", "23.7.0", true),
		}},
		{"Pipfile.lock", NewPipfileLockCataloger(), "/app/Pipfile.lock", "testdata/Pipfile.lock", []model.Package{
			pkg("pipfile-lock", "/app/Pipfile.lock", "Django", "4.2.3", false),
			pkg("pipfile-lock", "/app/Pipfile.lock", "requests", "2.31.0", false),
			pkg("pipfile-lock", "/app/Pipfile.lock", "pytest", "7.4.0", true),
		}},
		{"uv.lock", NewUVLockCataloger(), "/app/uv.lock", "testdata/uv.lock", []model.Package{
			pkg("uv-lock", "/app/uv.lock", "anyio", "4.4.0", false),
			pkg("uv-lock", "/app/uv.lock", "idna", "3.7", false),
			pkg("uv-lock", "/app/uv.lock", "Sniffio", "1.3.1", false),
		}},
		{"requirements.txt", NewRequirementsCataloger(), "/app/requirements.txt", "testdata/requirements.txt", []model.Package{
			pkg("requirements", "/app/requirements.txt", "Django", "4.2.3", false),
			pkg("requirements", "/app/requirements.txt", "requests", "2.31.0", false),
			pkg("requirements", "/app/requirements.txt", "urllib3", "1.26.18", false),
			pkg("requirements", "/app/requirements.txt", "PyYAML", "6.0.1", false),
			pkg("requirements", "/app/requirements.txt", "zope.interface", "6.0", false),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.c.Wants(catalog.FileInfo{Path: tc.path, Mode: 0o644, Size: int64(len(data))}) {
				t.Fatalf("%s does not want %s", tc.c.Name(), tc.path)
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
}

func TestPURLNormalised(t *testing.T) {
	for name, want := range map[string]string{
		"Flask":             "pkg:pypi/flask@1.0",
		"typing_extensions": "pkg:pypi/typing-extensions@1.0",
		"zope.interface":    "pkg:pypi/zope-interface@1.0",
	} {
		if got := newPackage(name, "1.0", model.OriginLockfile, "x", "/x").PURL; got != want {
			t.Errorf("purl(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		c    catalog.Cataloger
		path string
		data string
		want string
	}{
		{NewInstalledCataloger(), "/s/x-1.dist-info/METADATA", "Metadata-Version: 2.1\nSummary: no name\n", "/s/x-1.dist-info/METADATA: metadata has no Name or Version"},
		{NewInstalledCataloger(), "/s/x-1.dist-info/METADATA", "Name: bad name!\nVersion: 1\n", "invalid distribution name"},
		{NewPoetryLockCataloger(), "/a/poetry.lock", "[[package]]\nname = \"x\"\nversion = ", "/a/poetry.lock: invalid poetry.lock TOML"},
		{NewPoetryLockCataloger(), "/a/poetry.lock", "[[package]]\nname = \"x\"\n", "1 packages without a valid name and version"},
		{NewUVLockCataloger(), "/a/uv.lock", "version = [", "invalid uv.lock TOML"},
		{NewPipfileLockCataloger(), "/a/Pipfile.lock", "{", "invalid Pipfile.lock JSON"},
		{NewPipfileLockCataloger(), "/a/Pipfile.lock", "{}", "not a Pipfile.lock"},
	} {
		_, err := tc.c.Catalog(context.Background(), input(tc.path, []byte(tc.data)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s on %q: error = %v, want it to contain %q", tc.c.Name(), tc.data, err, tc.want)
		}
	}
}

func TestWants(t *testing.T) {
	for _, tc := range []struct {
		c    catalog.Cataloger
		path string
		want bool
	}{
		{NewInstalledCataloger(), "/usr/lib/python3.11/site-packages/pip-23.0.dist-info/METADATA", true},
		{NewInstalledCataloger(), "/usr/lib/python3.11/site-packages/pip-23.0.dist-info/RECORD", false},
		{NewInstalledCataloger(), "/usr/lib/python3.11/site-packages/foo/METADATA", false},
		{NewInstalledCataloger(), "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO", true},
		{NewInstalledCataloger(), "/src/pkg/PKG-INFO", false},
		{NewRequirementsCataloger(), "/app/requirements-dev.txt", true},
		{NewRequirementsCataloger(), "/app/dev-requirements.txt", true},
		{NewRequirementsCataloger(), "/app/README.txt", false},
		{NewPoetryLockCataloger(), "/app/poetry.lock", true},
		{NewUVLockCataloger(), "/app/uv.lock", true},
		{NewPipfileLockCataloger(), "/app/Pipfile.lock", true},
	} {
		if got := tc.c.Wants(catalog.FileInfo{Path: tc.path, Mode: 0o644}); got != tc.want {
			t.Errorf("%s.Wants(%q) = %v, want %v", tc.c.Name(), tc.path, got, tc.want)
		}
	}
}

func fuzzCataloger(f *testing.F, c catalog.Cataloger, path string, seeds ...string) {
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, _ := c.Catalog(context.Background(), input(path, data))
		for _, p := range res.Packages {
			if p.Name == "" || p.Version == "" || p.PURL == "" {
				t.Fatalf("incomplete package %+v", p)
			}
		}
	})
}

func FuzzInstalled(f *testing.F) {
	fuzzCataloger(f, NewInstalledCataloger(), "/s/x.dist-info/METADATA", "testdata/PKG-INFO", "testdata/site-packages/Flask-2.0.0.dist-info/METADATA")
}

func FuzzPoetryLock(f *testing.F) {
	fuzzCataloger(f, NewPoetryLockCataloger(), "/a/poetry.lock", "testdata/poetry.lock")
}

func FuzzPipfileLock(f *testing.F) {
	fuzzCataloger(f, NewPipfileLockCataloger(), "/a/Pipfile.lock", "testdata/Pipfile.lock")
}

func FuzzUVLock(f *testing.F) {
	fuzzCataloger(f, NewUVLockCataloger(), "/a/uv.lock", "testdata/uv.lock")
}

func FuzzRequirements(f *testing.F) {
	fuzzCataloger(f, NewRequirementsCataloger(), "/a/requirements.txt", "testdata/requirements.txt")
}
