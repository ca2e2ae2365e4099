package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readAll(t *testing.T, d *Data) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range d.Files {
		rc, err := d.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(b)
	}
	return out
}

var bundleFiles = map[string]string{
	"alpine/secdb/3.18/main.json":      `{"distroversion":"v3.18"}`,
	"alpine/secdb/3.18/community.json": `{"distroversion":"v3.18"}`,
	"alpine/README.txt":                "not a feed file",
	"debian/osv-debian12-cve.jsonl":    "{\"id\":\"CVE-1\"}\n",
}

var alpineLayout = Layout{
	Folder:  "alpine",
	Include: func(rel string) bool { return strings.HasSuffix(rel, ".json") },
}

func TestFetchFileBundle(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, bundleFiles)
	ctx := context.Background()
	src := Source{Mirror: "file://" + root}

	d, err := Fetch(ctx, src, "", alpineLayout)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"secdb/3.18/community.json": `{"distroversion":"v3.18"}`,
		"secdb/3.18/main.json":      `{"distroversion":"v3.18"}`,
	}
	if diff := cmp.Diff(want, readAll(t, d)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(d.Fingerprint, "sha256:") {
		t.Errorf("fingerprint %q", d.Fingerprint)
	}
	if _, err := Fetch(ctx, src, d.Fingerprint, alpineLayout); !errors.Is(err, ErrUnchanged) {
		t.Fatalf("second fetch: %v, want ErrUnchanged", err)
	}
	// Same size, different content: a new fingerprint.
	writeFiles(t, root, map[string]string{"alpine/secdb/3.18/main.json": `{"distroversion":"v3.19"}`})
	d2, err := Fetch(ctx, src, d.Fingerprint, alpineLayout)
	if err != nil {
		t.Fatalf("fetch after change: %v", err)
	}
	if d2.Fingerprint == d.Fingerprint {
		t.Error("fingerprint did not change with the content")
	}
	// A plain absolute path is the same bundle.
	if _, err := Fetch(ctx, Source{Mirror: root}, d2.Fingerprint, alpineLayout); !errors.Is(err, ErrUnchanged) {
		t.Errorf("fetch by path: %v, want ErrUnchanged", err)
	}
	if _, err := d.Open("../debian/osv-debian12-cve.jsonl"); err == nil {
		t.Error("Open outside the feed's files succeeded")
	}
}

func TestFetchFileBundleErrors(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"alpine/README.txt": "x"})
	ctx := context.Background()
	for _, tt := range []struct {
		name, mirror, want string
	}{
		{"no folder", "file://" + root + "/nowhere", "no folder"},
		{"no files", "file://" + root, "no feed files"},
		{"bad scheme", "ftp://example.org/", "want a file:// directory"},
	} {
		_, err := Fetch(ctx, Source{Mirror: tt.mirror}, "", alpineLayout)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
}

func TestFetchFollowsSymlinks(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"downloads/main.json": `{"distroversion":"v3.20"}`, "alpine/secdb/3.20/.keep": ""})
	if err := os.Symlink(filepath.Join(root, "downloads", "main.json"), filepath.Join(root, "alpine", "secdb", "3.20", "main.json")); err != nil {
		t.Skipf("symlinks: %v", err)
	}
	d, err := Fetch(context.Background(), Source{Mirror: "file://" + root}, "", alpineLayout)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"secdb/3.20/main.json": `{"distroversion":"v3.20"}`}, readAll(t, d)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestFetchAltFolder(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"nvd-fkie-samples/CVE-2024/CVE-2024-1.json": "{}"})
	l := Layout{Folder: "nvd", AltFolders: []string{"nvd-fkie-samples"}}
	d, err := Fetch(context.Background(), Source{Mirror: "file://" + root}, "", l)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"CVE-2024/CVE-2024-1.json"}, d.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// countingHandler counts requests and 304 answers.
type countingHandler struct {
	h             http.Handler
	requests, nms atomic.Int32
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.requests.Add(1)
	rec := &statusRecorder{ResponseWriter: w}
	c.h.ServeHTTP(rec, r)
	if rec.status == http.StatusNotModified {
		c.nms.Add(1)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func TestFetchHTTPMirror(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, bundleFiles)
	h := &countingHandler{h: http.FileServer(http.Dir(root))}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := context.Background()
	src := Source{Mirror: srv.URL + "/", HTTP: srv.Client()}

	d, err := Fetch(ctx, src, "", alpineLayout)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want := map[string]string{
		"secdb/3.18/community.json": `{"distroversion":"v3.18"}`,
		"secdb/3.18/main.json":      `{"distroversion":"v3.18"}`,
	}
	if diff := cmp.Diff(want, readAll(t, d)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	// The content hash matches the file:// fetch of the same bundle.
	fd, err := Fetch(ctx, Source{Mirror: "file://" + root}, "", alpineLayout)
	if err != nil {
		t.Fatal(err)
	}
	if hash, _ := splitFingerprint(d.Fingerprint); hash != fd.Fingerprint {
		t.Errorf("http fingerprint %q, file fingerprint %q", hash, fd.Fingerprint)
	}
	// http.FileServer sends Last-Modified: the second fetch is
	// conditional and every file answers 304.
	if _, err := Fetch(ctx, src, d.Fingerprint, alpineLayout); !errors.Is(err, ErrUnchanged) {
		t.Fatalf("second fetch: %v, want ErrUnchanged", err)
	}
	if h.nms.Load() != 2 {
		t.Errorf("%d answers were 304, want 2", h.nms.Load())
	}
}

// etagServer serves fixed bodies with ETags and honours If-None-Match.
func etagServer(t *testing.T, bodies map[string]*string) (*httptest.Server, *countingHandler) {
	t.Helper()
	h := &countingHandler{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"%x"`, len(*b)*7919+int((*b)[0]))
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, *b)
	})}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, h
}

func TestFetchUpstreamETag(t *testing.T) {
	a, b := `{"a":1}`, `{"b":22}`
	srv, h := etagServer(t, map[string]*string{"/a.json": &a, "/b.json": &b})
	l := Layout{Upstream: []Remote{
		{URL: srv.URL + "/a.json", Name: "a.json"},
		{URL: srv.URL + "/b.json", Name: "b.json"},
		{URL: srv.URL + "/next-release.json", Name: "c.json", Optional: true},
	}}
	ctx := context.Background()
	src := Source{HTTP: srv.Client()}
	d, err := Fetch(ctx, src, "", l)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"a.json": a, "b.json": b}, readAll(t, d)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	d.Close()

	if _, err := Fetch(ctx, src, d.Fingerprint, l); !errors.Is(err, ErrUnchanged) {
		t.Fatalf("second fetch: %v, want ErrUnchanged", err)
	}
	if h.nms.Load() != 2 {
		t.Errorf("%d answers were 304, want 2", h.nms.Load())
	}

	// One file changes: both are fetched in full again.
	b = `{"b":333}`
	d3, err := Fetch(ctx, src, d.Fingerprint, l)
	if err != nil {
		t.Fatalf("fetch after change: %v", err)
	}
	defer d3.Close()
	if diff := cmp.Diff(map[string]string{"a.json": a, "b.json": b}, readAll(t, d3)); diff != "" {
		t.Errorf("files after change (-want +got):\n%s", diff)
	}
}

func TestFetchHTTPError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer srv.Close()
	l := Layout{Upstream: []Remote{{URL: srv.URL + "/feed.json", Name: "feed.json"}}}
	_, err := Fetch(context.Background(), Source{HTTP: srv.Client()}, "", l)
	want := "GET " + srv.URL + "/feed.json: 500 Internal Server Error"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 500 {
		t.Errorf("err is not an *HTTPError with status 500: %#v", err)
	}
	// A mirror without the feed's folder names the listing URL.
	_, err = Fetch(context.Background(), Source{Mirror: srv.URL, HTTP: srv.Client()}, "", alpineLayout)
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/alpine/") {
		t.Errorf("mirror err = %v, want the folder URL", err)
	}
}

func TestFetchCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := Layout{Upstream: []Remote{{URL: srv.URL + "/slow.json", Name: "slow.json"}}}
	if _, err := Fetch(ctx, Source{HTTP: srv.Client()}, "", l); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestListHTTPNginxStyle(t *testing.T) {
	// An nginx autoindex page: relative hrefs, a parent link, sort links.
	pages := map[string]string{
		"/b/ghsa/":     `<a href="../">../</a><a href="?C=N;O=D">Name</a><a href="npm.jsonl">npm.jsonl</a><a href="sub/">sub/</a>`,
		"/b/ghsa/sub/": `<a href="/b/ghsa/sub/x%20y.json">x y.json</a><a href="https://elsewhere.example/z.json">z</a>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, p)
	}))
	defer srv.Close()
	got, err := listHTTP(context.Background(), srv.Client(), srv.URL+"/b/ghsa/")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"npm.jsonl", "sub/x y.json"}, got); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
}
