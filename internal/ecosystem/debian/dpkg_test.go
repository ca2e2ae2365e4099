package debian

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

func dpkgInput(path string, data []byte) catalog.Input {
	return catalog.Input{
		FileInfo: catalog.FileInfo{Path: path, Size: int64(len(data))},
		Content:  bytes.NewReader(data),
	}
}

// dpkgQueryLines renders packages the way make-goldens.sh renders
// dpkg-query's output, so the two can be compared line by line.
func dpkgQueryLines(pkgs []model.Package) []string {
	out := make([]string, 0, len(pkgs))
	for i := range pkgs {
		p := &pkgs[i]
		out = append(out, strings.Join([]string{p.Name, p.Version, p.SourceOrName(), p.SourceVersionOrVersion()}, "\t"))
	}
	sort.Strings(out)
	return out
}

func readLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestDpkgMatchesDpkgQueryGolden(t *testing.T) {
	for _, name := range []string{"debian12-minbase", "debian12-nginx-python", "ubuntu18.04"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "dpkg", name+".status"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := NewDpkgCataloger().Catalog(context.Background(), dpkgInput(dpkgStatusPath, data))
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			want := readLines(t, filepath.Join("testdata", "dpkg", name+".dpkg-query.tsv"))
			if diff := cmp.Diff(want, dpkgQueryLines(res.Packages)); diff != "" {
				t.Errorf("packages differ from dpkg-query (-want +got):\n%s", diff)
			}
			for _, p := range res.Packages {
				if p.PURL == "" || p.Arch == "" || p.FoundBy != "dpkg" || p.Origin != model.OriginInstalled ||
					len(p.Locations) != 1 || p.Locations[0] != dpkgStatusPath {
					t.Errorf("incomplete package %+v", p)
				}
			}
		})
	}
}

func TestDpkgPackageFields(t *testing.T) {
	status := "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n" +
		"Source: glibc\nVersion: 2.36-9+deb12u13\nDescription: GNU C Library\n more text\n\n" +
		"Package: libgcc-s1\nStatus: install ok installed\nArchitecture: amd64\n" +
		"Source: gcc-12 (12.2.0-14+deb12u1)\nVersion: 12.2.0-14+deb12u1\n\n" +
		"Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2025b-0+deb12u1\n\n" +
		"Package: libxml2\nStatus: install ok installed\nArchitecture: amd64\n" +
		"Source: libxml2 (2.9.14+dfsg-1.3~deb12u1)\nVersion: 2.9.14+dfsg-1.3~deb12u1+b1\n"
	res, err := NewDpkgCataloger().Catalog(context.Background(), dpkgInput(dpkgStatusPath, []byte(status)))
	if err != nil {
		t.Fatal(err)
	}
	base := model.Package{Ecosystem: model.EcosystemDeb, Origin: model.OriginInstalled, FoundBy: "dpkg", Locations: []string{dpkgStatusPath}}
	with := func(f func(p *model.Package)) model.Package {
		p := base
		f(&p)
		return p
	}
	want := []model.Package{
		with(func(p *model.Package) {
			p.Name, p.Version, p.Arch = "libc6", "2.36-9+deb12u13", "amd64"
			p.SourceName, p.SourceVersion = "glibc", "2.36-9+deb12u13"
			p.PURL = "pkg:deb/debian/libc6@2.36-9%2Bdeb12u13?arch=amd64&upstream=glibc"
		}),
		with(func(p *model.Package) {
			p.Name, p.Version, p.Arch = "libgcc-s1", "12.2.0-14+deb12u1", "amd64"
			p.SourceName, p.SourceVersion = "gcc-12", "12.2.0-14+deb12u1"
			p.PURL = "pkg:deb/debian/libgcc-s1@12.2.0-14%2Bdeb12u1?arch=amd64&upstream=gcc-12"
		}),
		with(func(p *model.Package) {
			p.Name, p.Version, p.Arch = "tzdata", "2025b-0+deb12u1", "all"
			p.PURL = "pkg:deb/debian/tzdata@2025b-0%2Bdeb12u1?arch=all"
		}),
		with(func(p *model.Package) {
			p.Name, p.Version, p.Arch = "libxml2", "2.9.14+dfsg-1.3~deb12u1+b1", "amd64"
			p.SourceName, p.SourceVersion = "libxml2", "2.9.14+dfsg-1.3~deb12u1"
			p.PURL = "pkg:deb/debian/libxml2@2.9.14%2Bdfsg-1.3~deb12u1%2Bb1?arch=amd64&upstream=libxml2%402.9.14%2Bdfsg-1.3~deb12u1"
		}),
	}
	if diff := cmp.Diff(want, res.Packages); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

func TestDpkgRobustness(t *testing.T) {
	stanza := func(name string) string {
		return "Package: " + name + "\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n"
	}
	huge := "Description: big\n" + strings.Repeat(" "+strings.Repeat("x", 1000)+"\n", 4096)
	tests := []struct {
		name     string
		in       string
		want     []string // package names
		problems []string // substrings of the error
	}{
		{name: "empty", in: ""},
		{name: "two stanzas", in: stanza("aa") + "\n" + stanza("bb"), want: []string{"aa", "bb"}},
		{name: "no final newline", in: strings.TrimSuffix(stanza("aa"), "\n"), want: []string{"aa"}},
		{name: "CRLF", in: strings.ReplaceAll(stanza("aa")+"\n"+stanza("bb"), "\n", "\r\n"), want: []string{"aa", "bb"}},
		{name: "many blank and whitespace lines", in: "\n\n" + stanza("aa") + " \n\t\n\n" + stanza("bb") + "\n\n\n", want: []string{"aa", "bb"}},
		{name: "continuation lines", in: "Package: aa\nDescription: x\n y\n .\n z\nStatus: install ok installed\nVersion: 1.0\n", want: []string{"aa"}},
		{name: "huge field", in: stanza("aa") + huge + "\n" + stanza("bb"), want: []string{"aa", "bb"}},
		{name: "field names are case-insensitive", in: "package: aa\nSTATUS: install ok installed\nversion: 2\n", want: []string{"aa"}},
		{name: "config-files skipped", in: "Package: aa\nStatus: deinstall ok config-files\nVersion: 1\n\n" + stanza("bb"), want: []string{"bb"}},
		{name: "held package is installed", in: "Package: aa\nStatus: hold ok installed\nVersion: 1\n", want: []string{"aa"}},
		{name: "half-installed skipped", in: "Package: aa\nStatus: install reinstreq half-installed\nVersion: 1\n", want: nil},
		{
			name: "missing version", in: "Package: aa\nStatus: install ok installed\n\n" + stanza("bb"),
			want: []string{"bb"}, problems: []string{"stanza at line 1: package aa: no Version field"},
		},
		{
			name: "missing package", in: "Status: install ok installed\nVersion: 1\n\n" + stanza("bb"),
			want: []string{"bb"}, problems: []string{"stanza at line 1: no Package field"},
		},
		{
			name: "garbage line", in: "Package: aa\nthis is not a field\nStatus: install ok installed\nVersion: 1\n",
			want: []string{"aa"}, problems: []string{"line 2: not a \"Field: value\" line"},
		},
		{
			name: "stray continuation", in: " orphan\n\n" + stanza("aa"),
			want: []string{"aa"}, problems: []string{"line 1: continuation line outside a stanza"},
		},
		{
			name: "duplicate field keeps the first", in: "Package: aa\nVersion: 1\nVersion: 2\nStatus: install ok installed\n",
			want: []string{"aa"}, problems: []string{"line 3: duplicate field Version"},
		},
		{
			name: "invalid name", in: "Package: Bad Name\nStatus: install ok installed\nVersion: 1\n",
			problems: []string{"invalid package name \"Bad Name\""},
		},
		{
			name: "invalid version kept with warning", in: "Package: aa\nStatus: install ok installed\nVersion: 1 2\n",
			want: []string{"aa"}, problems: []string{"package aa: invalid version \"1 2\""},
		},
		{
			name: "malformed source kept with warning", in: "Package: aa\nStatus: install ok installed\nVersion: 1\nSource: bb (2\n",
			want: []string{"aa"}, problems: []string{"malformed Source \"bb (2\""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := NewDpkgCataloger().Catalog(context.Background(), dpkgInput(dpkgStatusPath, []byte(tt.in)))
			var got []string
			for _, p := range res.Packages {
				got = append(got, p.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if len(tt.problems) == 0 {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.problems)
			}
			if !strings.HasPrefix(err.Error(), dpkgStatusPath+": ") {
				t.Errorf("error %q does not name the file", err)
			}
			for _, p := range tt.problems {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not contain %q", err, p)
				}
			}
		})
	}
}

func TestDpkgManyProblemsAreSummarised(t *testing.T) {
	in := strings.Repeat("garbage\n", 12)
	_, err := NewDpkgCataloger().Catalog(context.Background(), dpkgInput(dpkgStatusPath, []byte(in)))
	if err == nil || !strings.Contains(err.Error(), "and 7 more") {
		t.Fatalf("error = %v, want a summary with 7 more", err)
	}
	var pe *dpkgProblemsError
	if !errors.As(err, &pe) || len(pe.errs) != 12 {
		t.Errorf("want all 12 problems reachable through errors.As, got %v", pe)
	}
}

func TestDpkgCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data, err := os.ReadFile(filepath.Join("testdata", "dpkg", "debian12-minbase.status"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewDpkgCataloger().Catalog(ctx, dpkgInput(dpkgStatusPath, data)); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestDpkgFileList(t *testing.T) {
	list := "/.\n/usr\n/usr/bin\n/usr/bin/curl\r\n\n/usr/share/doc/curl/copyright\n"
	res, err := NewDpkgCataloger().Catalog(context.Background(), dpkgInput("/var/lib/dpkg/info/curl.list", []byte(list)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/usr", "/usr/bin", "/usr/bin/curl", "/usr/share/doc/curl/copyright"}
	if diff := cmp.Diff(want, res.OwnedFiles); diff != "" {
		t.Errorf("owned files (-want +got):\n%s", diff)
	}
	if len(res.Packages) != 0 {
		t.Errorf("a file list yielded packages: %v", res.Packages)
	}
}

func TestDistroless(t *testing.T) {
	dir := filepath.Join("testdata", "dpkg", "distroless-status.d")
	c := NewDistrolessCataloger()
	var got catalog.Result
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		in := dpkgInput(dpkgStatusDDir+d.Name(), data)
		if !c.Wants(in.FileInfo) {
			return fmt.Errorf("%s not wanted", in.Path)
		}
		res, err := c.Catalog(context.Background(), in)
		if err != nil {
			return err
		}
		got.Packages = append(got.Packages, res.Packages...)
		got.OwnedFiles = append(got.OwnedFiles, res.OwnedFiles...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := catalog.Result{
		Packages: []model.Package{{
			Ecosystem: model.EcosystemDeb, Name: "libsqlite3-0", Version: "3.34.1-3",
			SourceName: "sqlite3", SourceVersion: "3.34.1-3", Arch: "arm64",
			PURL:   "pkg:deb/debian/libsqlite3-0@3.34.1-3?arch=arm64&upstream=sqlite3",
			Origin: model.OriginInstalled, FoundBy: "dpkg-distroless",
			Locations: []string{"/var/lib/dpkg/status.d/libsqlite3-0"},
		}},
		OwnedFiles: []string{
			"/usr/lib/aarch64-linux-gnu/libsqlite3.so.0.8.6",
			"/usr/share/doc/libsqlite3-0/README.Debian",
			"/usr/share/doc/libsqlite3-0/changelog.Debian.gz",
			"/usr/share/doc/libsqlite3-0/changelog.gz",
			"/usr/share/doc/libsqlite3-0/changelog.html.gz",
			"/usr/share/doc/libsqlite3-0/copyright",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestDistrolessTakesEveryStanza(t *testing.T) {
	// status.d stanzas usually carry no Status field at all.
	in := "Package: aa\nVersion: 1\n\nPackage: bb\nVersion: 2\nStatus: install ok installed\n"
	res, err := NewDistrolessCataloger().Catalog(context.Background(), dpkgInput(dpkgStatusDDir+"aa", []byte(in)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packages) != 2 {
		t.Errorf("got %d packages, want 2", len(res.Packages))
	}
}

func TestDpkgWants(t *testing.T) {
	tests := []struct {
		path       string
		dpkg, less bool
	}{
		{"/var/lib/dpkg/status", true, false},
		{"/var/lib/dpkg/status-old", false, false},
		{"/var/lib/dpkg/info/curl.list", true, false},
		{"/var/lib/dpkg/info/libc6:amd64.list", true, false},
		{"/var/lib/dpkg/info/curl.md5sums", false, false},
		{"/var/lib/dpkg/info/sub/x.list", false, false},
		{"/var/lib/dpkg/status.d/libc6", false, true},
		{"/var/lib/dpkg/status.d/libc6.md5sums", false, true},
		{"/var/lib/dpkg/status.d/.hidden", false, false},
		{"/var/lib/dpkg/status.d/a/b", false, false},
		{"/srv/var/lib/dpkg/status", false, false},
	}
	for _, tt := range tests {
		fi := catalog.FileInfo{Path: tt.path}
		if got := NewDpkgCataloger().Wants(fi); got != tt.dpkg {
			t.Errorf("dpkg Wants(%q) = %v, want %v", tt.path, got, tt.dpkg)
		}
		if got := NewDistrolessCataloger().Wants(fi); got != tt.less {
			t.Errorf("dpkg-distroless Wants(%q) = %v, want %v", tt.path, got, tt.less)
		}
	}
	if NewDpkgCataloger().Wants(catalog.FileInfo{Path: dpkgStatusPath, Mode: fs.ModeDir}) {
		t.Error("a directory named status was claimed")
	}
}
