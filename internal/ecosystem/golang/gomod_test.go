package golang

import (
	"context"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

type mapLayer map[string]string

func (m mapLayer) Open(p string) (io.ReadCloser, error) {
	s, ok := m[p]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return io.NopCloser(strings.NewReader(s)), nil
}

func lockPkg(name, version string, meta map[string]string, locs ...string) model.Package {
	if len(locs) == 0 {
		locs = []string{"/src/go.mod"}
	}
	return model.Package{Ecosystem: model.EcosystemGo, Name: name, Version: version, PURL: purl(name, version),
		Origin: model.OriginLockfile, FoundBy: "go-mod", Locations: locs, Metadata: meta}
}

func TestModCatalogerRealSample(t *testing.T) {
	mod, err := os.ReadFile("testdata/go-module/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile("testdata/go-module/go.sum")
	if err != nil {
		t.Fatal(err)
	}
	in := input("/src/go.mod", mod, 0o644)
	in.Layer = mapLayer{"/src/go.sum": string(sum)}
	res, err := NewModCataloger().Catalog(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	ind := map[string]string{"go.indirect": "true"}
	want := []model.Package{
		lockPkg("github.com/gin-contrib/sse", "v0.1.0", ind),
		lockPkg("github.com/gin-gonic/gin", "v1.7.0", ind),
		lockPkg("github.com/go-playground/locales", "v0.13.0", ind),
		lockPkg("github.com/go-playground/universal-translator", "v0.17.0", ind),
		lockPkg("github.com/go-playground/validator/v10", "v10.4.1", ind),
		lockPkg("github.com/golang-jwt/jwt/v4", "v4.4.1", ind),
		lockPkg("github.com/golang/protobuf", "v1.3.3", ind),
		lockPkg("github.com/json-iterator/go", "v1.1.9", ind),
		lockPkg("github.com/leodido/go-urn", "v1.2.0", ind),
		lockPkg("github.com/mattn/go-isatty", "v0.0.12", ind),
		lockPkg("github.com/modern-go/concurrent", "v0.0.0-20180228061459-e0a39a4cb421", ind),
		lockPkg("github.com/modern-go/reflect2", "v0.0.0-20180701023420-4b7aa43c6742", ind),
		lockPkg("github.com/ugorji/go/codec", "v1.1.7", ind),
		lockPkg("golang.org/x/crypto", "v0.14.0", ind),
		lockPkg("golang.org/x/net", "v0.10.0", ind),
		lockPkg("golang.org/x/sys", "v0.13.0", ind),
		lockPkg("gopkg.in/yaml.v2", "v2.2.8", ind),
		lockPkg("gopkg.in/yaml.v3", "v3.0.0-20210107192922-496545a6307b", ind),
	}
	if diff := cmp.Diff(want, res.Packages); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if got := res.Packages[1].PURL; got != "pkg:golang/github.com/gin-gonic/gin@v1.7.0" {
		t.Errorf("purl = %q", got)
	}
}

func TestModCataloger(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mod     string
		sum     string
		want    []model.Package
		wantErr string
	}{
		{
			name: "replace directives",
			mod: `module example.com/app
go 1.22
require (
	golang.org/x/net v0.10.0
	golang.org/x/text v0.3.0
	example.com/direct v1.0.0
)
replace golang.org/x/net => example.com/fork/net v0.10.1
replace golang.org/x/text v0.3.0 => ./text
`,
			want: []model.Package{
				lockPkg("example.com/fork/net", "v0.10.1", map[string]string{"go.replaces": "golang.org/x/net@v0.10.0"}),
				lockPkg("golang.org/x/text", "", map[string]string{"go.replace": "./text"}),
				lockPkg("example.com/direct", "v1.0.0", nil),
			},
		},
		{
			name: "old module completed from go.sum",
			mod:  "module example.com/old\n\ngo 1.16\n\nrequire github.com/a/b v1.0.0\n",
			sum: `github.com/a/b v1.0.0 h1:aaa=
github.com/a/b v1.0.0/go.mod h1:bbb=
github.com/c/d v1.1.0 h1:ccc=
github.com/c/d v1.2.0 h1:ddd=
github.com/c/d v1.2.0/go.mod h1:eee=
github.com/e/f v0.1.0/go.mod h1:fff=
`,
			want: []model.Package{
				lockPkg("github.com/a/b", "v1.0.0", nil),
				lockPkg("github.com/c/d", "v1.2.0", map[string]string{"go.indirect": "true"}, "/src/go.mod", "/src/go.sum"),
			},
		},
		{
			name:    "malformed",
			mod:     "module example.com/bad\nrequire (\n\tgithub.com/a/b\n",
			wantErr: "/src/go.mod",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := input("/src/go.mod", []byte(tc.mod), 0o644)
			if tc.sum != "" {
				in.Layer = mapLayer{"/src/go.sum": tc.sum}
			}
			res, err := NewModCataloger().Catalog(context.Background(), in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestModWants(t *testing.T) {
	c := NewModCataloger()
	for p, want := range map[string]bool{
		"/src/go.mod": true,
		"/src/go.sum": false,
		"/root/go/pkg/mod/github.com/a/b@v1.0.0/go.mod": false,
	} {
		if got := c.Wants(catalog.FileInfo{Path: p, Mode: 0o644}); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzModCataloger(f *testing.F) {
	if b, err := os.ReadFile("testdata/go-module/go.mod"); err == nil {
		f.Add(b, []byte(nil))
	}
	f.Add([]byte("module m\ngo 1.16\nrequire a.b/c v1.0.0\n"), []byte("a.b/d v1.0.0 h1:x=\n"))
	c := NewModCataloger()
	f.Fuzz(func(t *testing.T, mod, sum []byte) {
		in := input("/m/go.mod", mod, 0o644)
		in.Layer = mapLayer{"/m/go.sum": string(sum)}
		_, _ = c.Catalog(context.Background(), in)
	})
}
