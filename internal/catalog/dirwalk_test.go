package catalog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWalkerDir(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	mk := func(rel, body string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, rel string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(root, rel)); err != nil {
			t.Fatal(err)
		}
	}
	mk("usr/lib/os-release", "ID=debian\nVERSION_ID=12\n")
	mk("srv/app/app.lock", "lodash 4.17.15\n")
	if err := os.WriteFile(filepath.Join(outside, "secret.lock"), []byte("leak 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	link("../usr/lib/os-release", "etc/os-release")
	link("loop-b", "srv/loop-a")
	link("loop-a", "srv/loop-b")
	link(filepath.Join(outside, "secret.lock"), "srv/escape.lock")
	link("..", "srv/up") // a directory link: never descended

	done := make(chan struct{})
	var res *LayerResult
	var err error
	go func() {
		defer close(done)
		res, err = testWalker(t).Dir(context.Background(), root)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("walking a tree with symlink loops did not finish")
	}
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, f := range res.Found {
		for _, p := range f.Packages {
			found = append(found, f.Path+" "+p.Name)
		}
	}
	if diff := cmp.Diff([]string{"/srv/app/app.lock lodash"}, found); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	if got := string(res.Release["/etc/os-release"]); !strings.Contains(got, "ID=debian") {
		t.Errorf("release file through the symlink = %q", got)
	}
	var warned []string
	for _, w := range res.Warnings {
		warned = append(warned, strings.SplitN(w.Message, ":", 2)[0])
	}
	for _, p := range []string{"/srv/escape.lock", "/srv/loop-a", "/srv/loop-b"} {
		if !contains(warned, p) {
			t.Errorf("no warning for %s; warnings: %v", p, res.Warnings)
		}
	}
	c := Coalesce(nil, []*LayerResult{res}, testWalker(t).Catalogers, testWalker(t).Detectors)
	if c.Distro == nil || c.Distro.ID != "debian" {
		t.Errorf("distro = %+v", c.Distro)
	}
	if len(c.Packages) != 1 || c.Packages[0].Layer != nil {
		t.Errorf("packages = %+v, want one without a layer", c.Packages)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
