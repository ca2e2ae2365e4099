package catalog

import (
	"archive/tar"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
)

type gotPkg struct {
	Name, Version, PURL string
	Layer               int
}

func stack(t *testing.T, layers ...[]entry) *Coalesced {
	t.Helper()
	w := testWalker(t)
	var results []*LayerResult
	var ls []model.Layer
	for i, es := range layers {
		results = append(results, walk(t, w, es...))
		ls = append(ls, model.Layer{Index: i, DiffID: "sha256:" + string(rune('a'+i)), CreatedBy: "RUN step " + string(rune('0'+i))})
	}
	return Coalesce(ls, results, w.Catalogers, w.Detectors)
}

func pkgs(c *Coalesced) []gotPkg {
	var out []gotPkg
	for _, p := range c.Packages {
		g := gotPkg{Name: p.Name, Version: p.Version, PURL: p.PURL, Layer: -1}
		if p.Layer != nil {
			g.Layer = p.Layer.Index
		}
		out = append(out, g)
	}
	return out
}

func TestCoalesce(t *testing.T) {
	osRelease := file("usr/lib/os-release", "ID=debian\nVERSION_ID=12\n")
	link := entry{name: "etc/os-release", link: "../usr/lib/os-release", typ: tar.TypeSymlink}
	tests := []struct {
		name   string
		layers [][]entry
		want   []gotPkg
	}{
		{
			name: "attribution to the lowest continuous layer",
			layers: [][]entry{
				{osRelease, link, file("var/lib/fake/status", "libc 2.36\n")},
				{file("var/lib/fake/status", "libc 2.36\ncurl 7.88\n")},
				{file("var/lib/fake/status", "libc 2.37\ncurl 7.88\n")},
			},
			want: []gotPkg{
				{Name: "curl", Version: "7.88", PURL: "pkg:deb/debian/curl@7.88?arch=amd64&distro=debian-12", Layer: 1},
				{Name: "libc", Version: "2.37", PURL: "pkg:deb/debian/libc@2.37?arch=amd64&distro=debian-12", Layer: 2},
			},
		},
		{
			name: "whiteout removes a file, re-adding starts over",
			layers: [][]entry{
				{file("app/a.lock", "a 1\n"), file("app/b.lock", "b 1\n")},
				{file("app/.wh.a.lock", "")},
				{file("app/.wh.b.lock", "")},
				{file("app/b.lock", "b 1\n")},
			},
			want: []gotPkg{{Name: "b", Version: "1", PURL: "pkg:npm/b@1", Layer: 3}},
		},
		{
			name: "opaque directory hides lower contents only",
			layers: [][]entry{
				{file("app/a.lock", "a 1\n"), file("other/c.lock", "c 1\n")},
				{file("app/.wh..wh..opq", ""), file("app/n.lock", "n 1\n")},
			},
			want: []gotPkg{
				{Name: "c", Version: "1", PURL: "pkg:npm/c@1", Layer: 0},
				{Name: "n", Version: "1", PURL: "pkg:npm/n@1", Layer: 1},
			},
		},
		{
			name: "whole directory whiteout",
			layers: [][]entry{
				{file("app/sub/a.lock", "a 1\n"), file("apps/b.lock", "b 1\n")},
				{file(".wh.app", "")},
			},
			want: []gotPkg{{Name: "b", Version: "1", PURL: "pkg:npm/b@1", Layer: 0}},
		},
		{
			name: "a later file that is not claimed still replaces",
			layers: [][]entry{
				{file("app/a.lock", "a 1\n")},
				{{name: "app/a.lock", link: "/dev/null", typ: tar.TypeSymlink}},
			},
		},
		{
			name: "language packages inside OS-owned files are dropped",
			layers: [][]entry{
				{file("var/lib/fake/status", "py 3.11 /usr/lib/py/x.lock\n"), file("usr/lib/py/x.lock", "six 1.16\n"), file("srv/y.lock", "six 1.16\n")},
			},
			want: []gotPkg{
				{Name: "py", Version: "3.11", PURL: "pkg:deb/py@3.11?arch=amd64", Layer: 0},
				{Name: "six", Version: "1.16", PURL: "pkg:npm/six@1.16", Layer: 0},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := stack(t, tc.layers...)
			if diff := cmp.Diff(tc.want, pkgs(c)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCoalesceDistroAndStatus(t *testing.T) {
	c := stack(t,
		[]entry{file("usr/lib/os-release", "ID=debian\nVERSION_ID=12\n"), {name: "etc/os-release", link: "../usr/lib/os-release", typ: tar.TypeSymlink}},
		[]entry{file("b.lock", "PANIC\n"), file("c.lock", "x 1\nBAD\n")},
	)
	if c.Distro == nil || c.Distro.ID != "debian" || c.Distro.VersionID != "12" {
		t.Fatalf("distro = %+v, want debian 12", c.Distro)
	}
	want := []model.PluginStatus{
		{Name: "fake-os", Version: 1, State: model.PluginOK},
		{Name: "fake-lang", Version: 1, State: model.PluginFailed, Warnings: []string{"/b.lock: cataloger panicked: boom", "/c.lock: bad line"}},
		{Name: "fake-release", Version: 1, State: model.PluginOK},
	}
	if diff := cmp.Diff(want, c.Status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if len(c.Packages) != 1 || c.Packages[0].Name != "x" || c.Packages[0].Layer.CreatedBy != "RUN step 1" {
		t.Errorf("packages = %+v, want x from layer 1 with its history line", c.Packages)
	}
}

func TestCoalesceWhiteoutOfReleaseFile(t *testing.T) {
	c := stack(t,
		[]entry{file("etc/os-release", "ID=debian\nVERSION_ID=12\n")},
		[]entry{file("etc/.wh.os-release", "")},
	)
	if !c.Distro.Unknown() {
		t.Errorf("distro = %+v, want unknown after the release file was deleted", c.Distro)
	}
}
