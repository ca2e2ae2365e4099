package npm

import (
	"context"
	"os"
	"testing"

	"github.com/bulwark-security/bulwark/internal/catalog"
)

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
			if p.Name == "" || p.PURL == "" {
				t.Fatalf("package without name or purl: %+v", p)
			}
		}
	})
}

func FuzzPackageLock(f *testing.F) {
	fuzzCataloger(f, NewLockCataloger(), "/a/package-lock.json", "testdata/lock-v1.json", "testdata/lock-v2.json")
}

func FuzzYarnLock(f *testing.F) {
	fuzzCataloger(f, NewYarnCataloger(), "/a/yarn.lock", "testdata/yarn-v1.lock", "testdata/yarn-berry.lock")
}

func FuzzPnpmLock(f *testing.F) {
	fuzzCataloger(f, NewPnpmCataloger(), "/a/pnpm-lock.yaml", "testdata/pnpm-v5.yaml", "testdata/pnpm-v6.yaml", "testdata/pnpm-v9.yaml")
}

func FuzzInstalledPackageJSON(f *testing.F) {
	f.Add([]byte(`{"name":"a","version":"1.0.0","license":{"type":"MIT"}}`))
	c := NewInstalledCataloger()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = c.Catalog(context.Background(), input("/n/node_modules/a/package.json", data))
	})
}
