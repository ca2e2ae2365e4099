package alpine

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

const apkPath = "/lib/apk/db/installed"

func apkInput(path string, data []byte) catalog.Input {
	return catalog.Input{
		FileInfo: catalog.FileInfo{Path: path, Size: int64(len(data))},
		Content:  bytes.NewReader(data),
	}
}

func catalogApkFile(t *testing.T, name string) catalog.Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "apk", name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := NewApkCataloger().Catalog(context.Background(), apkInput(apkPath, data))
	if err != nil {
		t.Fatalf("Catalog: %v", err)
	}
	return res
}

// The expected list is osv-scalibr's, for the same alpine:3.18.0 database.
func TestApkAlpine318MatchesExpected(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "apk", "alpine3.18.0.expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var expected struct {
		Packages []struct{ Name, Origin, Version, Arch, License string }
	}
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	type row struct{ Name, Version, Source, SourceVersion, Arch, License string }
	var want, got []row
	for _, p := range expected.Packages {
		want = append(want, row{p.Name, p.Version, p.Origin, p.Version, p.Arch, p.License})
	}
	res := catalogApkFile(t, "alpine3.18.0.installed")
	for _, p := range res.Packages {
		got = append(got, row{p.Name, p.Version, p.SourceName, p.SourceVersion, p.Arch, strings.Join(p.Licenses, "|")})
	}
	less := func(a, b row) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(want, less)
	slices.SortFunc(got, less)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if !slices.Contains(res.OwnedFiles, "/bin/busybox") || !slices.Contains(res.OwnedFiles, "/etc/motd") {
		t.Errorf("owned files miss /bin/busybox or /etc/motd: %d files", len(res.OwnedFiles))
	}
}

func TestApkAlpine316MatchesGrep(t *testing.T) {
	var want []string
	b, err := os.ReadFile(filepath.Join("testdata", "apk", "alpine3.16.expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	want = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var got []string
	for _, p := range catalogApkFile(t, "alpine3.16.installed").Packages {
		got = append(got, strings.Join([]string{p.Name, p.Version, p.Arch, strings.Join(p.Licenses, "|"), p.SourceName}, "\t"))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

func TestApkPackage(t *testing.T) {
	in := "P:libssl1.1\r\nV:1.1.1q-r0\r\nA:x86_64\r\nL:OpenSSL\r\no:openssl\r\nR:orphan\r\nF:lib\r\nR:libssl.so.1.1\r\nR:../../etc/evil\r\nF:usr/lib\r\nR:libssl.so"
	res, err := NewApkCataloger().Catalog(context.Background(), apkInput(apkPath, []byte(in)))
	if err != nil {
		t.Fatal(err)
	}
	want := catalog.Result{
		Packages: []model.Package{{
			Ecosystem: model.EcosystemAPK, Name: "libssl1.1", Version: "1.1.1q-r0",
			SourceName: "openssl", SourceVersion: "1.1.1q-r0", Arch: "x86_64",
			PURL:     "pkg:apk/alpine/libssl1.1@1.1.1q-r0?arch=x86_64&upstream=openssl",
			Licenses: []string{"OpenSSL"}, Origin: model.OriginInstalled, FoundBy: "apk",
			Locations: []string{apkPath},
		}},
		OwnedFiles: []string{"/orphan", "/lib/libssl.so.1.1", "/usr/lib/libssl.so"},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestApkProblems(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []string
		problems []string
	}{
		{name: "empty", in: ""},
		{name: "blank runs", in: "\n\nP:a\nV:1-r0\n \n\n\nP:b\nV:2-r0\n\n", want: []string{"a", "b"}},
		{name: "no version", in: "P:a\n\nP:b\nV:1-r0\n", want: []string{"b"}, problems: []string{"stanza at line 1: package a: no V: (version) field"}},
		{name: "no name", in: "V:1\n\nP:b\nV:1-r0\n", want: []string{"b"}, problems: []string{"stanza at line 1: no P: (name) field"}},
		{name: "garbage line", in: "P:a\nnonsense\nV:1-r0\n", want: []string{"a"}, problems: []string{"line 2: not a \"K:value\" line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := NewApkCataloger().Catalog(context.Background(), apkInput(apkPath, []byte(tt.in)))
			var got []string
			for _, p := range res.Packages {
				got = append(got, p.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if len(tt.problems) == 0 {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), apkPath+": ") {
				t.Fatalf("error %v does not name the file", err)
			}
			for _, p := range tt.problems {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q lacks %q", err, p)
				}
			}
		})
	}
}

func TestApkWants(t *testing.T) {
	for path, want := range map[string]bool{
		"/lib/apk/db/installed":     true,
		"/usr/lib/apk/db/installed": true,
		"/lib/apk/db/installed.old": false,
		"/lib/apk/db/triggers":      false,
		"/x/lib/apk/db/installed":   false,
		"/etc/apk/world":            false,
	} {
		if got := NewApkCataloger().Wants(catalog.FileInfo{Path: path}); got != want {
			t.Errorf("Wants(%q) = %v, want %v", path, got, want)
		}
	}
}
