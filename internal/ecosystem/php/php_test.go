package php

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

func pkg(foundBy, file, name, version, purl string, dev bool, lic ...string) model.Package {
	origin := model.OriginLockfile
	if foundBy == "composer-installed" {
		origin = model.OriginInstalled
	}
	return model.Package{Ecosystem: model.EcosystemComposer, Name: name, Version: version, PURL: purl,
		Licenses: lic, Origin: origin, FoundBy: foundBy, Locations: []string{file}, Dev: dev}
}

func TestCatalogers(t *testing.T) {
	const lock = "/var/www/composer.lock"
	const inst = "/var/www/vendor/composer/installed.json"
	for _, tc := range []struct {
		name    string
		c       catalog.Cataloger
		path    string
		fixture string
		want    []model.Package
	}{
		{"composer.lock", NewLockCataloger(), lock, "testdata/composer.lock", []model.Package{
			pkg("composer-lock", lock, "guzzlehttp/guzzle", "7.4.4", "pkg:composer/guzzlehttp/guzzle@7.4.4", false, "MIT"),
			pkg("composer-lock", lock, "symfony/http-foundation", "5.4.0", "pkg:composer/symfony/http-foundation@5.4.0", false, "MIT"),
			pkg("composer-lock", lock, "Laminas/Laminas-Diactoros", "2.11.0", "pkg:composer/laminas/laminas-diactoros@2.11.0", false, "BSD-3-Clause"),
			pkg("composer-lock", lock, "phpunit/phpunit", "9.5.20", "pkg:composer/phpunit/phpunit@9.5.20", true, "BSD-3-Clause"),
		}},
		{"installed.json v1", NewInstalledCataloger(), inst, "testdata/installed-v1.json", []model.Package{
			pkg("composer-installed", inst, "monolog/monolog", "1.25.1", "pkg:composer/monolog/monolog@1.25.1", false, "MIT"),
			pkg("composer-installed", inst, "psr/log", "1.1.0", "pkg:composer/psr/log@1.1.0", false, "MIT"),
		}},
		{"installed.json v2", NewInstalledCataloger(), inst, "testdata/installed-v2.json", []model.Package{
			pkg("composer-installed", inst, "symfony/polyfill-mbstring", "1.26.0", "pkg:composer/symfony/polyfill-mbstring@1.26.0", false, "MIT"),
			pkg("composer-installed", inst, "phpunit/phpunit", "9.5.20", "pkg:composer/phpunit/phpunit@9.5.20", true, "BSD-3-Clause"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		c    catalog.Cataloger
		data string
		want string
	}{
		{NewLockCataloger(), `{"packages": [`, "/x: invalid composer.lock JSON"},
		{NewLockCataloger(), `{"name": "a/b"}`, "not a composer.lock"},
		{NewLockCataloger(), `{"packages": [{"name": "noslash", "version": "1"}, {"name": "a/b", "version": "1"}]}`, "1 packages without a vendor/name and version"},
		{NewInstalledCataloger(), `{"packages": 3}`, "/x: invalid installed.json"},
		{NewInstalledCataloger(), `{}`, "not a Composer installed.json"},
	} {
		res, err := tc.c.Catalog(context.Background(), input("/x", []byte(tc.data)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: error = %v, want it to contain %q", tc.c.Name(), tc.data, err, tc.want)
		}
		if strings.Contains(tc.data, "noslash") && len(res.Packages) != 1 {
			t.Errorf("partial result lost: %+v", res.Packages)
		}
	}
	if NewLockCataloger().Wants(catalog.FileInfo{Path: "/app/vendor/x/y/composer.lock"}) {
		t.Error("a dependency's composer.lock is wanted")
	}
}

func FuzzComposer(f *testing.F) {
	for _, s := range []string{"testdata/composer.lock", "testdata/installed-v1.json", "testdata/installed-v2.json"} {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	lock, inst := NewLockCataloger(), NewInstalledCataloger()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = lock.Catalog(context.Background(), input("/a/composer.lock", data))
		_, _ = inst.Catalog(context.Background(), input("/a/vendor/composer/installed.json", data))
	})
}
