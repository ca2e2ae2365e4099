package debian

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
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

func feedParse(t *testing.T, f feed.Feed, data *feed.Data) map[string]model.Affected {
	t.Helper()
	got := map[string]model.Affected{}
	err := f.Parse(context.Background(), data, func(r feed.Record) error {
		for _, a := range r.Affected {
			k := a.VulnID + " " + a.Namespace + " " + a.Package
			if _, dup := got[k]; dup {
				t.Errorf("%s emitted twice", k)
			}
			if a.VulnID != r.Vulnerability.ID {
				t.Errorf("%s: entry for %s in record %s", k, a.VulnID, r.Vulnerability.ID)
			}
			got[k] = a
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// feedWant is what the bundle's awkward cases must become.
var feedWant = map[string]model.Affected{
	"CVE-2023-4911 debian:12 glibc": {Status: model.StatusFixed, Ranges: []model.Range{{Fixed: "2.36-9+deb12u3"}},
		Urgency: "not yet assigned", AdvisoryIDs: []string{"DSA-5514-1"}},
	"CVE-2024-6197 debian:12 curl":       {Status: model.StatusNotAffected, Urgency: "unimportant"},
	"CVE-2024-3094 debian:12 xz-utils":   {Status: model.StatusNotAffected, Urgency: "unimportant"},
	"CVE-2011-3374 debian:12 apt":        {Status: model.StatusAffected, Urgency: "unimportant"},
	"CVE-2022-0563 debian:12 util-linux": {Status: model.StatusAffected, Urgency: "unimportant"},
	"CVE-2023-29383 debian:12 shadow":    {Status: model.StatusAffected, Urgency: "not yet assigned", Note: "Minor issue"},
	"CVE-2023-52425 debian:12 expat": {Status: model.StatusAffected, Urgency: "not yet assigned",
		Note: "Minor issue; can be fixed via point release"},
	"CVE-2023-45853 debian:12 minizip": {Status: model.StatusFixed, Ranges: []model.Range{{Fixed: "1.1-8+deb12u1"}}, Urgency: "not yet assigned"},
	"CVE-2023-45853 debian:12 zlib": {Status: model.StatusWillNotFix, Urgency: "not yet assigned",
		Note: "contrib/minizip not built and src:zlib not producing binary packages"},
	// Only in OSV: kept as OSV says.
	"CVE-2002-0391 debian:12 glibc": {Status: model.StatusFixed, Ranges: []model.Range{{Introduced: "0", Fixed: "2.2.5-13"}}, Urgency: "not yet assigned"},
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
		want.Ecosystem, want.Source = model.EcosystemDeb, "debian"
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
	f := &Feed{}
	data, err := f.Fetch(context.Background(), feed.Source{Mirror: "file://" + abs}, "")
	if err != nil {
		t.Fatal(err)
	}
	got := feedParse(t, f, data)
	checkFeedWant(t, got)
	if len(got) < 12 {
		t.Errorf("only %d affected entries", len(got))
	}
	if _, err := f.Fetch(context.Background(), feed.Source{Mirror: "file://" + abs}, data.Fingerprint); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
}

func TestFeedTrackerAffected(t *testing.T) {
	tests := []struct {
		in     trackerRelease
		want   model.VendorStatus
		wantOK bool
	}{
		{trackerRelease{Status: "resolved", FixedVersion: "0"}, model.StatusNotAffected, true},
		{trackerRelease{Status: "resolved", FixedVersion: "1.2-1"}, model.StatusFixed, true},
		{trackerRelease{Status: "resolved"}, "", false},
		{trackerRelease{Status: "open", Urgency: "end-of-life"}, model.StatusEndOfLife, true},
		{trackerRelease{Status: "open", NoDSA: "x", NoDSAReason: "ignored"}, model.StatusWillNotFix, true},
		{trackerRelease{Status: "open", NoDSA: "x", NoDSAReason: "postponed"}, model.StatusFixDeferred, true},
		{trackerRelease{Status: "open", NoDSA: "Minor issue"}, model.StatusAffected, true},
		{trackerRelease{Status: "undetermined"}, model.StatusUnderInvestigation, true},
		{trackerRelease{Status: "weird"}, "", false},
	}
	for _, tt := range tests {
		a, ok := TrackerAffected("CVE-1", "debian:12", "p", tt.in)
		if ok != tt.wantOK || a.Status != tt.want {
			t.Errorf("%+v: got %s %v, want %s %v", tt.in, a.Status, ok, tt.want, tt.wantOK)
		}
	}
}

func TestFeedNamespace(t *testing.T) {
	for in, want := range map[string]string{
		"bookworm": "debian:12", "bookworm-security": "debian:12", "bullseye": "debian:11", "buster": "debian:10",
		"trixie": "debian:13", "sid": "debian:unstable", "hamm": "",
	} {
		if got := Namespace(in); got != want {
			t.Errorf("Namespace(%q) = %q, want %q", in, got, want)
		}
	}
}

// feedUpstream builds the upstream forms from the bundle: the tracker's
// whole-database JSON (grouped by package, releases by codename) and an
// OSV all.zip.
func feedUpstream(t *testing.T) (tracker, osvZip []byte) {
	t.Helper()
	type rel struct {
		Status       string            `json:"status"`
		Repositories map[string]string `json:"repositories"`
		FixedVersion string            `json:"fixed_version,omitempty"`
		Urgency      string            `json:"urgency"`
		NoDSA        string            `json:"nodsa,omitempty"`
		NoDSAReason  string            `json:"nodsa_reason,omitempty"`
	}
	type cveEntry struct {
		Description string         `json:"description"`
		Scope       string         `json:"scope"`
		Releases    map[string]rel `json:"releases"`
	}
	db := map[string]map[string]cveEntry{}
	err := filepath.WalkDir(filepath.Join(feedBundle, "debian", "tracker-api-bookworm-samples"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var c trackerCVE
		if err := json.Unmarshal(raw, &c); err != nil {
			return err
		}
		for _, pk := range c.Packages {
			if db[pk.Name] == nil {
				db[pk.Name] = map[string]cveEntry{}
			}
			repos := map[string]string{}
			for _, r := range pk.Repository {
				repos[r.Name] = "x"
			}
			db[pk.Name][c.ID] = cveEntry{Description: c.Description, Scope: "local", Releases: map[string]rel{"bookworm": {
				Status: pk.Status, Repositories: repos, FixedVersion: pk.FixedVersion, Urgency: pk.Urgency,
				NoDSA: pk.NoDSA, NoDSAReason: pk.NoDSAReason,
			}}}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tracker, err = json.Marshal(db)
	if err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, file := range []string{"osv-debian12-cve.jsonl", "osv-debian12-dsa.jsonl"} {
		raw, err := os.ReadFile(filepath.Join(feedBundle, "debian", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
			// osv.dev's newer Debian records are named DEBIAN-CVE-….
			line = bytes.Replace(line, []byte(`"id":"CVE-2023-4911"`), []byte(`"id":"DEBIAN-CVE-2023-4911","upstream":["CVE-2023-4911"]`), 1)
			var id struct{ ID string }
			json.Unmarshal(line, &id)
			w, _ := zw.Create(id.ID + ".json")
			w.Write(line)
		}
	}
	zw.Close()
	return tracker, zbuf.Bytes()
}

// redirect sends every request to a test server, keeping the path.
func TestFeedUpstream(t *testing.T) {
	tracker, osvZip := feedUpstream(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/tracker/data/json":
			w.Write(tracker)
		case "/Debian/all.zip":
			w.Write(osvZip)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := &Feed{}
	data, err := f.Fetch(context.Background(), feed.Source{HTTP: feedtest.Redirect{Server: srv}}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	got := feedParse(t, f, data)
	checkFeedWant(t, got)
	var aliases []string
	f.Parse(context.Background(), data, func(r feed.Record) error {
		if r.Vulnerability.ID == "CVE-2023-4911" {
			aliases = r.Vulnerability.Aliases
		}
		return nil
	})
	if diff := cmp.Diff([]string{"DEBIAN-CVE-2023-4911"}, aliases); diff != "" {
		t.Errorf("CVE-2023-4911 aliases (-want +got):\n%s", diff)
	}
}

func FuzzFeedTracker(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join(feedBundle, "debian", "tracker-api-bookworm-samples", "2023", "CVE-2023-45853.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw, false)
	f.Add([]byte(`{"zlib":{"CVE-1":{"releases":{"bookworm":{"status":"open","urgency":"low"}}}}}`), true)
	f.Fuzz(func(t *testing.T, raw []byte, upstream bool) {
		name := "tracker-api-bookworm-samples/2023/CVE-1.json"
		if upstream {
			name = "tracker.json"
		}
		data := feed.BytesData(map[string][]byte{name: raw})
		(&Feed{}).Parse(context.Background(), data, func(r feed.Record) error {
			for _, a := range r.Affected {
				if a.Status == "" || a.Namespace == "" {
					t.Fatalf("bad entry %+v", a)
				}
			}
			return nil
		})
	})
}
