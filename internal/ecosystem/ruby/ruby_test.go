package ruby

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

func readFixture(t testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGemfileLock(t *testing.T) {
	const f = "/app/Gemfile.lock"
	lock := func(n, v string, meta ...string) model.Package {
		p := newPackage(n, v, model.OriginLockfile, "gemfile-lock", f)
		for i := 0; i+1 < len(meta); i += 2 {
			p.Metadata = withMeta(p.Metadata, meta[i], meta[i+1])
		}
		return p
	}
	c := NewLockCataloger()
	if !c.Wants(catalog.FileInfo{Path: f}) {
		t.Fatal("Gemfile.lock not wanted")
	}
	res, err := c.Catalog(context.Background(), input(f, readFixture(t, "Gemfile.lock")))
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Package{
		lock("activesupport", "7.0.8", "gem.source", "git"),
		lock("concurrent-ruby", "1.2.2"),
		lock("i18n", "1.14.1"),
		lock("mini_portile2", "2.8.4"),
		lock("nokogiri", "1.15.4", "gem.platform", "aarch64-linux,x86_64-linux"),
		lock("racc", "1.7.1"),
		lock("rack", "2.2.8"),
	}
	if diff := cmp.Diff(want, res.Packages); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	for data, wantErr := range map[string]string{
		"":                                 "/app/Gemfile.lock: no sections: not a Gemfile.lock",
		"GEM\n  specs:\n    rack 2.2.8\n":  "1 malformed spec lines, first at line 3",
		"GEM\n  specs:\n    rack (2.2.8\n": "malformed spec lines",
	} {
		if _, err := c.Catalog(context.Background(), input(f, []byte(data))); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: error = %v, want it to contain %q", data, err, wantErr)
		}
	}
}

func TestGemspec(t *testing.T) {
	const dir = "/usr/lib/ruby/gems/3.1.0/specifications/"
	inst := func(file, n, v string, lic ...string) model.Package {
		p := newPackage(n, v, model.OriginInstalled, "gemspec", dir+file)
		p.Licenses = lic
		return p
	}
	c := NewGemspecCataloger()
	for _, tc := range []struct {
		file string
		data []byte
		want model.Package
	}{
		{"rake-13.0.6.gemspec", readFixture(t, "rake-13.0.6.gemspec"), inst("rake-13.0.6.gemspec", "rake", "13.0.6", "MIT")},
		{"net-imap-0.2.3.gemspec", readFixture(t, "net-imap-0.2.3.gemspec"), inst("net-imap-0.2.3.gemspec", "net-imap", "0.2.3", "Ruby", "BSD-2-Clause")},
		{"stub-1.0.gemspec", []byte("# stub: stub 1.0 ruby lib\nGem::Specification.new do |spec|\n  spec.name = NAME\n  spec.version = Stub::VERSION\n  spec.license = 'Apache-2.0'\nend\n"),
			inst("stub-1.0.gemspec", "stub", "1.0", "Apache-2.0")},
	} {
		t.Run(tc.file, func(t *testing.T) {
			if !c.Wants(catalog.FileInfo{Path: dir + tc.file}) {
				t.Fatal("not wanted")
			}
			res, err := c.Catalog(context.Background(), input(dir+tc.file, tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]model.Package{tc.want}, res.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := c.Catalog(context.Background(), input(dir+"x.gemspec", []byte("Gem::Specification.new do |s|\nend\n"))); err == nil || !strings.Contains(err.Error(), "x.gemspec: no literal name and version") {
		t.Errorf("error = %v", err)
	}
	if c.Wants(catalog.FileInfo{Path: "/src/app/app.gemspec"}) {
		t.Error("a project gemspec outside specifications/ is wanted")
	}
}

func FuzzGemfileLock(f *testing.F) {
	f.Add(readFixture(f, "Gemfile.lock"))
	c := NewLockCataloger()
	f.Fuzz(func(t *testing.T, data []byte) {
		res, _ := c.Catalog(context.Background(), input("/a/Gemfile.lock", data))
		for _, p := range res.Packages {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("incomplete package %+v", p)
			}
		}
	})
}

func FuzzGemspec(f *testing.F) {
	f.Add(readFixture(f, "rake-13.0.6.gemspec"))
	c := NewGemspecCataloger()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = c.Catalog(context.Background(), input("/g/specifications/x.gemspec", data))
	})
}
