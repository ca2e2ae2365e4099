package alpine

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/feed/feedtest"
	"github.com/bulwark-security/bulwark/internal/model"
)

const feedBundle = "testdata/feed-bundle"

func feedParse(t *testing.T, data *feed.Data) (map[string]model.Affected, map[string][]string) {
	t.Helper()
	got := map[string]model.Affected{}
	aliases := map[string][]string{}
	err := (&Feed{}).Parse(context.Background(), data, func(r feed.Record) error {
		if len(r.Vulnerability.Aliases) > 0 {
			aliases[r.Vulnerability.ID] = r.Vulnerability.Aliases
		}
		for _, a := range r.Affected {
			k := a.VulnID + " " + a.Namespace + " " + a.Package
			if _, dup := got[k]; dup {
				t.Errorf("%s emitted twice", k)
			}
			got[k] = a
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, aliases
}

var feedWant = map[string]model.Affected{
	"CVE-2023-45853 alpine:3.18 zlib":        {Status: model.StatusNotAffected},
	"CVE-2022-37434 alpine:3.18 zlib":        {Status: model.StatusFixed, Ranges: []model.Range{{Fixed: "1.2.12-r2"}}},
	"CVE-2020-35864 alpine:3.17 flatbuffers": {Status: model.StatusNotAffected},
	"CVE-2020-29568 alpine:3.18 xen":         {Status: model.StatusNotAffected},
	"XSA-248 alpine:3.18 xen":                {Status: model.StatusFixed, Ranges: []model.Range{{Fixed: "4.10.0-r1"}}},
	"CVE-2018-16452 alpine:3.11 tcpdump":     {Status: model.StatusFixed, Ranges: []model.Range{{Fixed: "4.9.3-r0"}}},
	"CVE-2021-22897 alpine:edge curl":        {Status: model.StatusNotAffected},
}

func checkFeedWant(t *testing.T, got map[string]model.Affected) {
	t.Helper()
	for k, want := range feedWant {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: missing", k)
			continue
		}
		parts := strings.Fields(k)
		want.VulnID, want.Namespace, want.Package = parts[0], parts[1], parts[2]
		want.Ecosystem, want.Source = model.EcosystemAPK, "alpine"
		if diff := cmp.Diff(want, g); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
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
	got, aliases := feedParse(t, data)
	checkFeedWant(t, got)
	if diff := cmp.Diff([]string{"XSA-349"}, aliases["CVE-2020-29568"]); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	if _, err := (&Feed{}).Fetch(context.Background(), src, data.Fingerprint); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
}

// TestFeedUpstream serves the bundle at secdb.alpinelinux.org's paths
// ("/v3.18/main.json"); unpublished branches answer 404 and are skipped.
func TestFeedUpstream(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/v")
		b, err := os.ReadFile(filepath.Join(feedBundle, "alpine", "secdb", filepath.FromSlash(strings.TrimPrefix(p, "/"))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	data, err := (&Feed{}).Fetch(context.Background(), feed.Source{HTTP: feedtest.Redirect{Server: srv}}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	got, _ := feedParse(t, data)
	delete(feedWant, "CVE-2018-16452 alpine:3.11 tcpdump") // 3.11 is not fetched upstream
	checkFeedWant(t, got)
}

func TestSplitIDs(t *testing.T) {
	tests := []struct {
		in      string
		id      string
		aliases []string
	}{
		{"CVE-2020-29483 XSA-325", "CVE-2020-29483", []string{"XSA-325"}},
		{"CVE-2018-16452 (SMB)", "CVE-2018-16452", []string{}},
		{"XSA-291", "XSA-291", []string{}},
		{"CVE-2018-10103 (SMB - partially fixed, but SMB printing disabled)", "CVE-2018-10103", []string{}},
		{"CVE-2020-1 garbage", "CVE-2020-1", []string{}},
		{"GNUTLS-SA-2020-06-03 CVE-2020-13777", "CVE-2020-13777", []string{"GNUTLS-SA-2020-06-03"}},
		{"  ", "", nil},
	}
	for _, tt := range tests {
		id, aliases := SplitIDs(tt.in)
		if id != tt.id || !cmp.Equal(aliases, tt.aliases) {
			t.Errorf("SplitIDs(%q) = %q %v, want %q %v", tt.in, id, aliases, tt.id, tt.aliases)
		}
	}
}

func TestFeedBadBranch(t *testing.T) {
	data := feed.BytesData(map[string][]byte{"secdb/x/main.json": []byte(`{"distroversion":"vX","packages":[]}`)})
	err := (&Feed{}).Parse(context.Background(), data, func(feed.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "secdb/x/main.json") {
		t.Errorf("err = %v, want it to name the file", err)
	}
}

func FuzzFeed(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join(feedBundle, "alpine", "secdb", "3.17", "community.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Fuzz(func(t *testing.T, raw []byte) {
		data := feed.BytesData(map[string][]byte{"secdb/3.17/main.json": raw})
		(&Feed{}).Parse(context.Background(), data, func(r feed.Record) error {
			for _, a := range r.Affected {
				if a.Status == model.StatusFixed && len(a.Ranges) == 0 {
					t.Fatalf("fixed without a version: %+v", a)
				}
			}
			return nil
		})
	})
}
