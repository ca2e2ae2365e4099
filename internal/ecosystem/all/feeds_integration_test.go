//go:build integration

package all

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/feed"
)

// sharedTestdata finds the shared feed bundle: $BULWARK_SHARED/testdata,
// by default ../shared/testdata next to the repository.
func sharedTestdata(t *testing.T) string {
	t.Helper()
	root := os.Getenv("BULWARK_SHARED")
	if root == "" {
		root = filepath.Join("..", "..", "..", "..", "shared")
	}
	dir, err := filepath.Abs(filepath.Join(root, "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.md")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data missing: %v", err)
		}
		t.Skipf("shared test data missing: %v", err)
	}
	return dir
}

// TestFeedsParseSharedBundle fetches every feed from the shared feed
// bundle through the file:// path and parses all of it.
func TestFeedsParseSharedBundle(t *testing.T) {
	dir := sharedTestdata(t)
	ctx := context.Background()
	src := feed.Source{Mirror: "file://" + dir}
	want := map[string]int{ // lower bounds from the bundle's MANIFEST
		"debian": 30000, "ubuntu": 1800, "alpine": 5000, "redhat": 1600, "amazon": 700,
		"ghsa": 20000, "go": 4000, "nvd": 3, "kev": 1404,
	}
	// The same bundle served over HTTP, as a static file server with
	// directory listings serves a mirror.
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	httpSrc := feed.Source{Mirror: srv.URL, HTTP: srv.Client()}
	for _, f := range Feeds() {
		if _, ok := want[f.Name()]; !ok {
			continue // no data in the bundle (epss)
		}
		t.Run(f.Name(), func(t *testing.T) {
			start := time.Now()
			data, err := f.Fetch(ctx, src, "")
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			defer data.Close()
			records, affected := 0, 0
			statuses := map[string]int{}
			err = f.Parse(ctx, data, func(r feed.Record) error {
				records++
				affected += len(r.Affected)
				for _, a := range r.Affected {
					statuses[string(a.Status)]++
				}
				return nil
			})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			t.Logf("%-7s records=%d affected=%d files=%d statuses=%v took=%s", f.Name(), records, affected, len(data.Files), statuses, time.Since(start).Round(time.Millisecond))
			if records < want[f.Name()] {
				t.Errorf("%s: %d records, want at least %d", f.Name(), records, want[f.Name()])
			}
			if _, err := f.Fetch(ctx, src, data.Fingerprint); !errors.Is(err, feed.ErrUnchanged) {
				t.Errorf("second fetch with the same fingerprint: %v, want ErrUnchanged", err)
			}

			hdata, err := f.Fetch(ctx, httpSrc, "")
			if err != nil {
				t.Fatalf("http mirror fetch: %v", err)
			}
			defer hdata.Close()
			hrecords := 0
			if err := f.Parse(ctx, hdata, func(feed.Record) error { hrecords++; return nil }); err != nil {
				t.Fatalf("http mirror parse: %v", err)
			}
			if hrecords != records {
				t.Errorf("http mirror: %d records, file bundle: %d", hrecords, records)
			}
			if _, err := f.Fetch(ctx, httpSrc, hdata.Fingerprint); !errors.Is(err, feed.ErrUnchanged) {
				t.Errorf("second http mirror fetch: %v, want ErrUnchanged", err)
			}
		})
	}
}
