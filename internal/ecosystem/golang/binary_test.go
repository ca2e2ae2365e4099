package golang

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

const testMain = `package main

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

func main() {
	var v map[string]any
	if err := yaml.Unmarshal([]byte("a: 1"), &v); err != nil {
		panic(err)
	}
	fmt.Println(v)
}
`

const testGoMod = `module example.com/hello

go 1.21

require gopkg.in/yaml.v3 v3.0.1
`

var (
	buildOnce sync.Map // ldflags -> *builtBinary
)

type builtBinary struct {
	once sync.Once
	data []byte
	err  error
}

// buildTestBinary compiles a tiny module that links gopkg.in/yaml.v3,
// once per set of linker flags.
func buildTestBinary(t testing.TB, ldflags string) []byte {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not installed")
	}
	v, _ := buildOnce.LoadOrStore(ldflags, &builtBinary{})
	b := v.(*builtBinary)
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "bulwark-gobin")
		if err != nil {
			b.err = err
			return
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(testGoMod), 0o644); err != nil {
			b.err = err
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(testMain), 0o644); err != nil {
			b.err = err
			return
		}
		cmd := exec.Command(goTool, "build", "-mod=mod", "-trimpath", "-ldflags="+ldflags, "-o", "hello", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOOS=linux", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = err
			b.data = out
			return
		}
		b.data, b.err = os.ReadFile(filepath.Join(dir, "hello"))
	})
	if b.err != nil {
		t.Fatalf("building test binary: %v\n%s", b.err, b.data)
	}
	return b.data
}

func input(path string, data []byte, mode os.FileMode) catalog.Input {
	return catalog.Input{
		FileInfo: catalog.FileInfo{Path: path, Mode: mode, Size: int64(len(data))},
		Content:  bytes.NewReader(data),
	}
}

func TestBinaryCataloger(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ldflags string
	}{
		{"with symbol table", ""},
		{"stripped", "-s -w"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := buildTestBinary(t, tc.ldflags)
			c := NewBinaryCataloger()
			res, err := c.Catalog(context.Background(), input("/usr/local/bin/hello", data, 0o755))
			if err != nil {
				t.Fatal(err)
			}
			bi, err := buildinfo.Read(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			want := []model.Package{
				{Ecosystem: model.EcosystemGo, Name: "example.com/hello", PURL: "pkg:golang/example.com/hello",
					Origin: model.OriginBinary, FoundBy: "go-binary", Locations: []string{"/usr/local/bin/hello"},
					Metadata: map[string]string{"go.main": "true"}},
				{Ecosystem: model.EcosystemGo, Name: "gopkg.in/yaml.v3", Version: "v3.0.1", PURL: "pkg:golang/gopkg.in/yaml.v3@v3.0.1",
					Origin: model.OriginBinary, FoundBy: "go-binary", Locations: []string{"/usr/local/bin/hello"}},
				{Ecosystem: model.EcosystemGo, Name: "stdlib", Version: bi.GoVersion, PURL: "pkg:golang/stdlib@" + bi.GoVersion,
					Origin: model.OriginBinary, FoundBy: "go-binary", Locations: []string{"/usr/local/bin/hello"},
					Metadata: map[string]string{"go.toolchain": bi.GoVersion}},
			}
			if diff := cmp.Diff(want, res.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if len(res.GoBinaries) != 1 {
				t.Fatalf("got %d Go binaries, want 1", len(res.GoBinaries))
			}
			gb := res.GoBinaries[0]
			if gb.MainModule != "example.com/hello" || gb.GoVersion != bi.GoVersion || gb.Path != "/usr/local/bin/hello" {
				t.Errorf("GoBinary = %+v", gb)
			}
			for _, s := range []string{"main.main", "fmt.Println", "fmt.Fprintln", "gopkg.in/yaml.v3.Unmarshal", "gopkg.in/yaml.v3.unmarshal", "gopkg.in/yaml.v3.decoder.unmarshal", "gopkg.in/yaml.v3.parser.parse"} {
				if _, ok := slices.BinarySearch(gb.Symbols, s); !ok {
					t.Errorf("symbol %q missing from %d symbols", s, len(gb.Symbols))
				}
			}
			for _, s := range gb.Symbols {
				if strings.Contains(s, "(*") || strings.Contains(s, "[") || strings.HasPrefix(s, "type:") {
					t.Errorf("symbol %q is not normalised", s)
				}
			}
		})
	}
}

func TestBinaryCatalogerIgnoresNonGo(t *testing.T) {
	c := NewBinaryCataloger()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"script", []byte("#!/bin/sh\necho hello\n" + strings.Repeat("#", 600))},
		{"empty", nil},
		{"truncated ELF", []byte("\x7fELF\x02\x01\x01")},
		{"ELF header only", append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 600)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.Catalog(context.Background(), input("/bin/x", tc.data, 0o755))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(catalog.Result{}, res, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBinaryWants(t *testing.T) {
	c := NewBinaryCataloger()
	for _, tc := range []struct {
		fi   catalog.FileInfo
		want bool
	}{
		{catalog.FileInfo{Path: "/app/server", Mode: 0o755, Size: 1 << 20}, true},
		{catalog.FileInfo{Path: "/usr/bin/tool", Mode: 0o644, Size: 1 << 20}, true},
		{catalog.FileInfo{Path: "/app/server.exe", Mode: 0o644, Size: 1 << 20}, true},
		{catalog.FileInfo{Path: "/app/config.yaml", Mode: 0o644, Size: 1 << 20}, false},
		{catalog.FileInfo{Path: "/usr/bin/tiny", Mode: 0o755, Size: 10}, false},
		{catalog.FileInfo{Path: "/usr/bin", Mode: os.ModeDir | 0o755, Size: 4096}, false},
		{catalog.FileInfo{Path: "/usr/bin/link", Mode: os.ModeSymlink | 0o777, Size: 4096}, false},
		{catalog.FileInfo{Path: "/usr/lib/x86_64-linux-gnu/libc.so.6", Mode: 0o755, Size: 2 << 20}, false},
		{catalog.FileInfo{Path: "/usr/lib/libfoo.so", Mode: 0o755, Size: 2 << 20}, false},
		{catalog.FileInfo{Path: "/usr/local/bin/entrypoint.sh", Mode: 0o755, Size: 4096}, false},
		{catalog.FileInfo{Path: "/usr/bin/sh", Mode: 0o755, Size: 125 << 10}, true},
		{catalog.FileInfo{Path: "/app/server.v2", Mode: 0o755, Size: 1 << 20}, true},
	} {
		if got := c.Wants(tc.fi); got != tc.want {
			t.Errorf("Wants(%+v) = %v, want %v", tc.fi, got, tc.want)
		}
	}
}

func TestBuildInfoPackages(t *testing.T) {
	bi := &buildinfo.BuildInfo{
		GoVersion: "go1.22.1 X:boringcrypto",
		Main:      debug.Module{Path: "example.com/app", Version: "v1.2.3"},
		Deps: []*debug.Module{
			{Path: "golang.org/x/net", Version: "v0.10.0", Replace: &debug.Module{Path: "example.com/fork/net", Version: "v0.10.1"}},
			{Path: "golang.org/x/text", Version: "v0.3.0", Replace: &debug.Module{Path: "../text"}},
			{Path: "github.com/a/b/v2", Version: "v2.0.0"},
		},
	}
	loc := []string{"/app"}
	want := []model.Package{
		{Ecosystem: "golang", Name: "example.com/app", Version: "v1.2.3", PURL: "pkg:golang/example.com/app@v1.2.3", Origin: "binary", FoundBy: "go-binary", Locations: loc, Metadata: map[string]string{"go.main": "true"}},
		{Ecosystem: "golang", Name: "example.com/fork/net", Version: "v0.10.1", PURL: "pkg:golang/example.com/fork/net@v0.10.1", Origin: "binary", FoundBy: "go-binary", Locations: loc, Metadata: map[string]string{"go.replaces": "golang.org/x/net@v0.10.0"}},
		{Ecosystem: "golang", Name: "golang.org/x/text", PURL: "pkg:golang/golang.org/x/text", Origin: "binary", FoundBy: "go-binary", Locations: loc, Metadata: map[string]string{"go.replace": "../text"}},
		{Ecosystem: "golang", Name: "github.com/a/b/v2", Version: "v2.0.0", PURL: "pkg:golang/github.com/a/b/v2@v2.0.0", Origin: "binary", FoundBy: "go-binary", Locations: loc},
		{Ecosystem: "golang", Name: "stdlib", Version: "go1.22.1", PURL: "pkg:golang/stdlib@go1.22.1", Origin: "binary", FoundBy: "go-binary", Locations: loc, Metadata: map[string]string{"go.toolchain": "go1.22.1 X:boringcrypto"}},
	}
	if diff := cmp.Diff(want, buildInfoPackages(bi, "go-binary", "/app")); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

func BenchmarkBinaryCataloger(b *testing.B) {
	data := buildTestBinary(b, "-s -w")
	c := NewBinaryCataloger()
	in := input("/app", data, 0o755)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Catalog(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzBinaryCataloger(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Add([]byte("MZ\x90\x00"))
	f.Add([]byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1})
	c := NewBinaryCataloger()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = c.Catalog(context.Background(), input("/bin/fuzz", data, 0o755))
	})
}

func FuzzSymbolsFromPclntab(f *testing.F) {
	f.Add([]byte{0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8}, uint64(0x401000))
	f.Fuzz(func(t *testing.T, tab []byte, text uint64) {
		_, _ = symbolsFromPclntab(tab, text)
	})
}
