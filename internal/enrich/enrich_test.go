package enrich

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
)

const bundle = "testdata/feed-bundle"

func parse(t *testing.T, f feed.Feed, data *feed.Data) map[string]model.Vulnerability {
	t.Helper()
	got := map[string]model.Vulnerability{}
	err := f.Parse(context.Background(), data, func(r feed.Record) error {
		if len(r.Affected) != 0 {
			t.Errorf("%s: enrichment record with affected entries", r.Vulnerability.ID)
		}
		got[r.Vulnerability.ID] = r.Vulnerability
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func fetchBundle(t *testing.T, f feed.Feed) *feed.Data {
	t.Helper()
	abs, err := filepath.Abs(bundle)
	if err != nil {
		t.Fatal(err)
	}
	src := feed.Source{Mirror: "file://" + abs}
	data, err := f.Fetch(context.Background(), src, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(context.Background(), src, data.Fingerprint); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
	return data
}

var nvdWant = map[string][]model.Severity{
	"CVE-2011-3374": {
		{Source: "nvd", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N", Score: 3.7, Rating: model.RatingLow},
		{Source: "nvd", Type: "CVSS_V2", Vector: "AV:N/AC:M/Au:N/C:N/I:P/A:N", Score: 4.3, Rating: model.RatingMedium},
	},
	"CVE-2023-45853": {
		{Source: "nvd", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Rating: model.RatingCritical},
	},
	"CVE-2024-6197": {
		{Source: "nvd", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5, Rating: model.RatingHigh},
	},
}

func checkNVD(t *testing.T, got map[string]model.Vulnerability) {
	t.Helper()
	if len(got) != 3 {
		t.Errorf("%d records, want 3", len(got))
	}
	for id, want := range nvdWant {
		if diff := cmp.Diff(want, got[id].Severities); diff != "" {
			t.Errorf("%s severities (-want +got):\n%s", id, diff)
		}
	}
	v := got["CVE-2023-45853"]
	if !cmp.Equal(v.CWEs, []string{"CWE-190"}) || !strings.HasPrefix(v.Details, "MiniZip in zlib through 1.3") {
		t.Errorf("CVE-2023-45853: cwes %v, details %.40q", v.CWEs, v.Details)
	}
	if want := time.Date(2023, 10, 14, 2, 15, 9, 323e6, time.UTC); !v.Published.Equal(want) {
		t.Errorf("published %v, want %v", v.Published, want)
	}
	if len(got["CVE-2024-6197"].CWEs) != 0 {
		t.Errorf("NVD-CWE-Other kept: %v", got["CVE-2024-6197"].CWEs)
	}
}

func TestNVDBundle(t *testing.T) {
	checkNVD(t, parse(t, &NVD{}, fetchBundle(t, &NVD{})))
}

type redirect struct{ srv *httptest.Server }

func (r redirect) Do(req *http.Request) (*http.Response, error) {
	u, _ := url.Parse(r.srv.URL)
	req.URL.Scheme, req.URL.Host = u.Scheme, u.Host
	return r.srv.Client().Do(req)
}

// nvdYearly packs the bundle's records into the yearly feed layout.
func nvdYearly(t *testing.T, year string) []byte {
	t.Helper()
	var items []json.RawMessage
	filepath.WalkDir(filepath.Join(bundle, "nvd-fkie-samples", "CVE-"+year), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, json.RawMessage(fmt.Sprintf(`{"cve":%s}`, raw)))
		return nil
	})
	doc, err := json.Marshal(map[string]any{
		"resultsPerPage": len(items), "startIndex": 0, "totalResults": len(items), "format": "NVD_CVE",
		"version": "2.0", "timestamp": "2025-08-25T00:00:00.000", "vulnerabilities": items,
	})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(doc)
	zw.Close()
	return b.Bytes()
}

func TestNVDUpstream(t *testing.T) {
	files := map[string][]byte{}
	for y := 2002; y <= 2024; y++ {
		files[fmt.Sprintf("/feeds/json/cve/2.0/nvdcve-2.0-%d.json.gz", y)] = nvdYearly(t, fmt.Sprint(y))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r) // 2025: not published yet
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	n := &NVD{Now: func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }}
	data, err := n.Fetch(context.Background(), feed.Source{HTTP: redirect{srv}}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	if len(data.Files) != 23 {
		t.Errorf("%d files, want 23", len(data.Files))
	}
	checkNVD(t, parse(t, n, data))
}

func TestNVDRejected(t *testing.T) {
	_, ok, err := ParseNVDCVE([]byte(`{"id":"CVE-2020-1","vulnStatus":"Rejected"}`))
	if err != nil || ok {
		t.Errorf("rejected CVE: ok=%v err=%v", ok, err)
	}
	if _, _, err := ParseNVDCVE([]byte(`{"id":""}`)); err == nil {
		t.Error("record without id accepted")
	}
}

func TestKEV(t *testing.T) {
	got := parse(t, &KEV{}, fetchBundle(t, &KEV{}))
	want := model.Vulnerability{
		ID:   "CVE-2025-48384",
		CWEs: []string{"CWE-59", "CWE-436"},
		KEV: &model.KEV{DateAdded: "2025-08-25", DueDate: "2025-09-15", RansomwareUse: "Unknown",
			RequiredAction: "Apply mitigations per vendor instructions, follow applicable BOD 22-01 guidance for cloud services, or discontinue use of the product if mitigations are unavailable."},
	}
	if diff := cmp.Diff(want, got["CVE-2025-48384"]); diff != "" {
		t.Errorf("CVE-2025-48384 (-want +got):\n%s", diff)
	}
	if len(got) != 3 || got["CVE-2021-44228"].KEV == nil {
		t.Errorf("%d records", len(got))
	}
	bad := feed.BytesData(map[string][]byte{"known_exploited_vulnerabilities.json": []byte(`{"title":"x"}`)})
	if err := (&KEV{}).Parse(context.Background(), bad, func(feed.Record) error { return nil }); err == nil {
		t.Error("a JSON document that is not a catalog was accepted")
	}
}

const epssCSV = "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\ncve,epss,percentile\nCVE-2021-44228,0.94358,0.99950\nCVE-2023-4911,0.78123,0.98900\n"

func TestEPSS(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(epssCSV))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/epss_scores-current.csv.gz" {
			http.NotFound(w, r)
			return
		}
		w.Write(gz.Bytes())
	}))
	defer srv.Close()
	e := &EPSS{}
	if feed.DefaultEnabled(e) {
		t.Error("EPSS is enabled by default")
	}
	data, err := e.Fetch(context.Background(), feed.Source{HTTP: redirect{srv}}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	got := parse(t, e, data)
	want := map[string]model.Vulnerability{
		"CVE-2021-44228": {ID: "CVE-2021-44228", EPSS: &model.EPSS{Score: 0.94358, Percentile: 0.9995, Date: "2025-08-25"}},
		"CVE-2023-4911":  {ID: "CVE-2023-4911", EPSS: &model.EPSS{Score: 0.78123, Percentile: 0.989, Date: "2025-08-25"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"cve,score\nCVE-1,0.1\n", "cve,epss,percentile\nCVE-1,2,0.5\n", "cve,epss,percentile\nnot-a-cve,0.1,0.1\n"} {
		err := e.Parse(context.Background(), feed.BytesData(map[string][]byte{"epss_scores.csv": []byte(bad)}), func(feed.Record) error { return nil })
		if err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzNVD(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join(bundle, "nvd-fkie-samples", "CVE-2011", "CVE-2011-33xx", "CVE-2011-3374.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Fuzz(func(t *testing.T, raw []byte) {
		rec, ok, err := ParseNVDCVE(raw)
		if err == nil && ok && !strings.HasPrefix(rec.Vulnerability.ID, "CVE-") {
			t.Fatalf("bad id %q", rec.Vulnerability.ID)
		}
		(&NVD{}).Parse(context.Background(), feed.BytesData(map[string][]byte{"nvdcve-2.0-2011.json": raw}), func(feed.Record) error { return nil })
	})
}

func FuzzKEVAndEPSS(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join(bundle, "kev", "known_exploited_vulnerabilities.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw, false)
	f.Add([]byte(epssCSV), true)
	f.Fuzz(func(t *testing.T, raw []byte, csv bool) {
		check := func(r feed.Record) error {
			if r.Vulnerability.EPSS != nil && (r.Vulnerability.EPSS.Score < 0 || r.Vulnerability.EPSS.Score > 1) {
				t.Fatalf("score out of range: %+v", r.Vulnerability.EPSS)
			}
			return nil
		}
		if csv {
			(&EPSS{}).Parse(context.Background(), feed.BytesData(map[string][]byte{"epss_scores.csv": raw}), check)
			return
		}
		(&KEV{}).Parse(context.Background(), feed.BytesData(map[string][]byte{"known_exploited_vulnerabilities.json": raw}), check)
	})
}
