package catalog

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
)

func TestCacheRoundTrip(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	key := CacheKey("sha256:abc", []Cataloger{&fakeOS{}}, nil)
	if r, err := c.Get(key); r != nil || err != nil {
		t.Fatalf("empty cache: %v, %v", r, err)
	}
	want := &LayerResult{
		Found:    []Found{{Path: "/a.lock", Plugin: "fake-lang", Packages: []model.Package{{Name: "a", Version: "1", Locations: []string{"/a.lock"}}}}},
		Entries:  []string{"/a.lock"},
		Release:  map[string][]byte{"/etc/os-release": []byte("ID=debian\n")},
		Warnings: []Warning{{Plugin: "fake-lang", Message: "x"}},
		Bytes:    1024,
	}
	if err := c.Put(key, want); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A damaged entry is a miss, not an error.
	if err := os.WriteFile(c.file(key), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Get(key); r != nil || err != nil {
		t.Errorf("damaged entry: %v, %v, want a miss", r, err)
	}
	n, _, err := c.Clean()
	if err != nil || n != 1 {
		t.Errorf("Clean = %d, %v, want 1 entry", n, err)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "layers")); !os.IsNotExist(err) {
		t.Errorf("layers dir still there: %v", err)
	}
}

func TestCacheKey(t *testing.T) {
	base := CacheKey("sha256:abc", []Cataloger{&fakeOS{}, &fakeLang{}}, []Detector{fakeRelease{}})
	tests := map[string]string{
		"order does not matter": CacheKey("sha256:abc", []Cataloger{&fakeLang{}, &fakeOS{}}, []Detector{fakeRelease{}}),
	}
	for name, k := range tests {
		if k != base {
			t.Errorf("%s: key changed", name)
		}
	}
	changed := map[string]string{
		"plugin version bumped": CacheKey("sha256:abc", []Cataloger{&fakeOS{version: 2}, &fakeLang{}}, []Detector{fakeRelease{}}),
		"plugin removed":        CacheKey("sha256:abc", []Cataloger{&fakeOS{}}, []Detector{fakeRelease{}}),
		"detector removed":      CacheKey("sha256:abc", []Cataloger{&fakeOS{}, &fakeLang{}}, nil),
		"other layer":           CacheKey("sha256:abd", []Cataloger{&fakeOS{}, &fakeLang{}}, []Detector{fakeRelease{}}),
	}
	for name, k := range changed {
		if k == base {
			t.Errorf("%s: key did not change", name)
		}
	}
}
