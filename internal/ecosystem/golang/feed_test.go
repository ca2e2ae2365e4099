package golang

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/feed/feedtest"
	"github.com/bulwark-security/bulwark/internal/model"
)

const feedBundle = "testdata/feed-bundle"

func feedParseAll(t *testing.T, data *feed.Data) map[string]feed.Record {
	t.Helper()
	got := map[string]feed.Record{}
	err := (&Feed{}).Parse(context.Background(), data, func(r feed.Record) error {
		// Dates in the repository copy are placeholders; not checked.
		r.Vulnerability.Details, r.Vulnerability.References = "", nil
		r.Vulnerability.Published, r.Vulnerability.Modified = time.Time{}, time.Time{}
		got[r.Vulnerability.ID] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var feedWant = map[string]feed.Record{
	"CVE-2022-23806": {
		Vulnerability: model.Vulnerability{ID: "CVE-2022-23806", Aliases: []string{"GO-2021-0319"},
			Summary: "Incorrect computation for some invalid field elements in crypto/elliptic"},
		Affected: []model.Affected{{VulnID: "CVE-2022-23806", Namespace: "golang", Ecosystem: model.EcosystemGo, Package: "stdlib",
			Ranges: []model.Range{{Introduced: "0", Fixed: "1.16.14"}, {Introduced: "1.17.0-0", Fixed: "1.17.7"}},
			Status: model.StatusFixed, Source: "go",
			GoSymbols: []model.GoSymbols{{Package: "crypto/elliptic", Symbols: []string{"CurveParams.IsOnCurve", "p384PointFromAffine", "p521PointFromAffine"}}}}},
	},
	"CVE-2022-41721": {
		Vulnerability: model.Vulnerability{ID: "CVE-2022-41721", Aliases: []string{"GO-2023-1495", "GHSA-fxg5-wq6x-vr4w"},
			Summary: "Request smuggling due to improper request handling in golang.org/x/net/http2/h2c"},
		Affected: []model.Affected{{VulnID: "CVE-2022-41721", Namespace: "golang", Ecosystem: model.EcosystemGo, Package: "golang.org/x/net",
			Ranges: []model.Range{{Introduced: "0.0.0-20220524220425-1d687d428aca", Fixed: "0.1.1-0.20221104162952-702349b0e862"}},
			Status: model.StatusFixed, Source: "go",
			GoSymbols: []model.GoSymbols{{Package: "golang.org/x/net/http2/h2c", Symbols: []string{"h2cHandler.ServeHTTP", "h2cUpgrade"}}}}},
	},
	"CVE-2024-24787": {
		Vulnerability: model.Vulnerability{ID: "CVE-2024-24787", Aliases: []string{"GO-2024-2825"},
			Summary: "Arbitrary code execution during build on Darwin in cmd/go"},
		Affected: []model.Affected{{VulnID: "CVE-2024-24787", Namespace: "golang", Ecosystem: model.EcosystemGo, Package: "toolchain",
			Ranges: []model.Range{{Introduced: "0", Fixed: "1.21.10"}, {Introduced: "1.22.0-0", Fixed: "1.22.3"}},
			Status: model.StatusFixed, Source: "go",
			GoSymbols: []model.GoSymbols{{Package: "cmd/go", GOOS: []string{"darwin"}}}}},
	},
}

func checkFeed(t *testing.T, got map[string]feed.Record) {
	t.Helper()
	for id, want := range feedWant {
		g := got[id]
		// The summary is the record's own; only check it is there.
		if g.Vulnerability.Summary == "" {
			t.Errorf("%s: no summary", id)
		}
		g.Vulnerability.Summary = want.Vulnerability.Summary
		if diff := cmp.Diff(want, g); diff != "" {
			t.Errorf("%s (-want +got):\n%s", id, diff)
		}
	}
	if _, ok := got["GO-2024-2730"]; ok {
		t.Error("withdrawn GO-2024-2730 emitted")
	}
	if len(got) != 4 {
		t.Errorf("%d records, want 4", len(got))
	}
}

func TestFeedBundle(t *testing.T) {
	abs, err := filepath.Abs(feedBundle)
	if err != nil {
		t.Fatal(err)
	}
	src := feed.Source{Mirror: "file://" + abs}
	data, err := (&Feed{}).Fetch(context.Background(), src, "")
	if err != nil {
		t.Fatal(err)
	}
	checkFeed(t, feedParseAll(t, data))
	if _, err := (&Feed{}).Fetch(context.Background(), src, data.Fingerprint); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
}

func TestFeedUpstreamZip(t *testing.T) {
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("index/db.json")
	w.Write([]byte(`{"modified":"2026-08-21T00:00:00Z"}`))
	w, _ = zw.Create("index/vulns.json")
	w.Write([]byte(`[{"id":"GO-2021-0319","modified":"2026-08-21T00:00:00Z"}]`))
	dir := filepath.Join(feedBundle, "go-vulndb", "osv")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create("ID/" + e.Name())
		w.Write(raw)
	}
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/vulndb.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(zbuf.Bytes())
	}))
	defer srv.Close()
	data, err := (&Feed{}).Fetch(context.Background(), feed.Source{HTTP: feedtest.Redirect{Server: srv}}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	checkFeed(t, feedParseAll(t, data))
}

func FuzzFeedParse(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join(feedBundle, "go-vulndb", "osv", "GO-2021-0319.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Fuzz(func(t *testing.T, raw []byte) {
		(&Feed{}).Parse(context.Background(), feed.BytesData(map[string][]byte{"osv/GO-1.json": raw}), func(r feed.Record) error {
			for _, a := range r.Affected {
				if a.Namespace != "golang" || a.Ecosystem != model.EcosystemGo {
					t.Fatalf("bad entry %+v", a)
				}
			}
			return nil
		})
	})
}
