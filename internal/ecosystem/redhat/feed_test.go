package redhat

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

func parseAll(t *testing.T, data *feed.Data) map[string]model.Affected {
	t.Helper()
	got := map[string]model.Affected{}
	err := (&Feed{}).Parse(context.Background(), data, func(r feed.Record) error {
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
	return got
}

var feedWant = map[string]model.Affected{
	"CVE-2005-2541 redhat:9 tar":                  {Status: model.StatusWillNotFix, Urgency: "Moderate"},
	"CVE-2007-4559 redhat:7 python":               {Status: model.StatusEndOfLife, Urgency: "Moderate"},
	"CVE-2007-4559 redhat:8 python27:2.7/python2": {Status: model.StatusWillNotFix, Urgency: "Moderate"},
	"CVE-2007-4559 redhat:8 python3": {Status: model.StatusFixed, Urgency: "Moderate",
		Ranges: []model.Range{{Fixed: "3.6.8-56.el8_9"}}, AdvisoryIDs: []string{"RHSA-2023:7151"}},
	"CVE-2016-1247 redhat:9 nginx":             {Status: model.StatusAffected, Urgency: "Low"},
	"CVE-2018-1000654 redhat:8 mingw-libtasn1": {Status: model.StatusFixDeferred, Urgency: "Low"},
	"CVE-2018-1000654 redhat:8 libtasn1":       {Status: model.StatusWillNotFix, Urgency: "Low"},
	"CVE-2021-23239 redhat:8 sudo": {Status: model.StatusFixed, Urgency: "Low",
		Ranges: []model.Range{{Fixed: "1.8.29-7.el8"}}, AdvisoryIDs: []string{"RHSA-2021:1723"}},
	"CVE-2021-23239 redhat:9 sudo":  {Status: model.StatusNotAffected, Urgency: "Low"},
	"CVE-2023-45853 redhat:7 zlib":  {Status: model.StatusEndOfLife, Urgency: "Moderate"},
	"CVE-2024-2961 redhat:6 nss_db": {Status: model.StatusUnderInvestigation, Urgency: "Important"},
	"CVE-2024-2961 redhat:8 glibc": {Status: model.StatusFixed, Urgency: "Important",
		Ranges: []model.Range{{Fixed: "2.28-251.el8_10.1"}}, AdvisoryIDs: []string{"RHSA-2024:2722", "RHSA-2024:3269"}},
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
		want.Ecosystem, want.Source = model.EcosystemRPM, "redhat"
		if diff := cmp.Diff(want, g); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	for k := range got {
		if strings.Contains(k, "python39") || strings.Contains(k, "python38") {
			t.Errorf("%s: a module build was read as a package", k)
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
	checkFeedWant(t, parseAll(t, data))
	if _, err := (&Feed{}).Fetch(context.Background(), src, data.Fingerprint); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
}

func TestSplitNEVRA(t *testing.T) {
	tests := []struct {
		in, name, evr string
		ok            bool
	}{
		{"sudo-0:1.8.29-7.el8", "sudo", "1.8.29-7.el8", true},
		{"openssl-1:1.0.2k-8.el7", "openssl", "1:1.0.2k-8.el7", true},
		{"python3.11-pip-0:22.3.1-4.el8", "python3.11-pip", "22.3.1-4.el8", true},
		{"util-linux-0:2.11y-31.11", "util-linux", "2.11y-31.11", true},
		{"python39:3.9-8090020230922213827.7484f1d1", "", "", false},
		{"nodash", "", "", false},
		{"a-b", "", "", false},
		{"x-y:1-2", "", "", false},
	}
	for _, tt := range tests {
		name, evr, ok := SplitNEVRA(tt.in)
		if name != tt.name || evr != tt.evr || ok != tt.ok {
			t.Errorf("SplitNEVRA(%q) = %q %q %v, want %q %q %v", tt.in, name, evr, ok, tt.name, tt.evr, tt.ok)
		}
	}
}

func TestNamespace(t *testing.T) {
	for in, want := range map[string]string{
		"cpe:/o:redhat:enterprise_linux:9":             "redhat:9",
		"cpe:/a:redhat:enterprise_linux:8::crb":        "redhat:8",
		"cpe:/o:redhat:enterprise_linux:7::hypervisor": "redhat:7",
		"cpe:/a:redhat:openshift:4":                    "",
		"cpe:/a:redhat:enterprise_linux_eus:8.6":       "",
		"cpe:/a:redhat:jboss_enterprise_web_server:3":  "",
	} {
		if got := Namespace(in); got != want {
			t.Errorf("Namespace(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFeedUpstream serves the bundle's documents as the Security Data API
// does: a paged CVE list with resource URLs, then one document per CVE.
func TestFeedUpstream(t *testing.T) {
	f, err := os.Open(filepath.Join(feedBundle, "redhat", "securitydata-cve-core.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	var names []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var d struct{ Name string }
		json.Unmarshal(sc.Bytes(), &d)
		docs[d.Name] = sc.Text()
		names = append(names, d.Name)
	}
	f.Close()
	var listed int
	var failedOnce bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/hydra/rest/securitydata/cve.json":
			if r.URL.Query().Get("product") != "Red Hat Enterprise Linux" {
				http.Error(w, "no product filter", http.StatusBadRequest)
				return
			}
			listed++
			var page []map[string]string
			if r.URL.Query().Get("page") == "1" {
				for _, n := range names {
					page = append(page, map[string]string{"CVE": n, "resource_url": "https://access.redhat.com/hydra/rest/securitydata/cve/" + n + ".json"})
				}
			}
			json.NewEncoder(w).Encode(page)
		case strings.HasPrefix(r.URL.Path, "/hydra/rest/securitydata/cve/"):
			name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/hydra/rest/securitydata/cve/"), ".json")
			d, ok := docs[name]
			if !ok {
				http.NotFound(w, r)
				return
			}
			if name == "CVE-2016-1247" && !failedOnce {
				// A transient failure is retried.
				failedOnce = true
				http.Error(w, "try again", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, d)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	data, err := (&Feed{}).Fetch(context.Background(), feed.Source{HTTP: feedtest.Redirect{Server: srv}}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	if !failedOnce {
		t.Error("the failing document was never asked for")
	}
	if listed != 2 {
		t.Errorf("%d list pages fetched, want 2 (the second is empty)", listed)
	}
	checkFeedWant(t, parseAll(t, data))
	if _, err := (&Feed{}).Fetch(context.Background(), feed.Source{HTTP: feedtest.Redirect{Server: srv}}, data.Fingerprint); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
}

func FuzzParseCVE(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join(feedBundle, "redhat", "securitydata-cve-core.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n")[:3] {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rec, err := ParseCVE(raw)
		if err != nil {
			return
		}
		for _, a := range rec.Affected {
			if a.Package == "" || !strings.HasPrefix(a.Namespace, "redhat:") {
				t.Fatalf("bad entry %+v", a)
			}
		}
	})
}
