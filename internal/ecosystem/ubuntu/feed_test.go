package ubuntu

import (
	"archive/zip"
	"bytes"
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

func parseAll(t *testing.T, data *feed.Data) (map[string]model.Affected, map[string]model.Vulnerability) {
	t.Helper()
	got := map[string]model.Affected{}
	vulns := map[string]model.Vulnerability{}
	err := (&Feed{}).Parse(context.Background(), data, func(r feed.Record) error {
		vulns[r.Vulnerability.ID] = r.Vulnerability
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
	return got, vulns
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
	got, vulns := parseAll(t, data)
	want := map[string]model.Affected{
		"CVE-2000-1254 ubuntu:16.04 openssl098": {Status: model.StatusNotAffected, Urgency: "low"},
		"CVE-2007-4559 ubuntu:18.04 python2.7":  {Status: model.StatusEndOfLife, Urgency: "medium", Note: "end of standard support"},
		"CVE-2007-4559 ubuntu:20.04 python2.7":  {Status: model.StatusWillNotFix, Urgency: "medium"},
		"CVE-2009-3560 ubuntu:20.04 libxmltok":  {Status: model.StatusUnderInvestigation, Urgency: "medium"},
		"CVE-2009-3720 ubuntu:18.04 expat":      {Status: model.StatusFixed, Urgency: "medium", Ranges: []model.Range{{Fixed: "2.0.1-7ubuntu1"}}},
		"CVE-2016-20013 ubuntu:20.04 glibc":     {Status: model.StatusFixDeferred, Urgency: "negligible"},
		"CVE-2021-23239 ubuntu:20.04 sudo":      {Status: model.StatusFixed, Urgency: "low", Ranges: []model.Range{{Fixed: "1.8.31-1ubuntu1.2"}}},
		"CVE-2023-29383 ubuntu:22.04 shadow":    {Status: model.StatusAffected, Urgency: "low"},
		"CVE-2024-6197 ubuntu:24.04 curl":       {Status: model.StatusNotAffected, Urgency: "medium", Note: "8.5.0-2ubuntu10.1"},
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: missing", k)
			continue
		}
		parts := strings.Fields(k)
		w.VulnID, w.Namespace, w.Package, w.Ecosystem, w.Source = parts[0], parts[1], parts[2], model.EcosystemDeb, "ubuntu"
		if diff := cmp.Diff(w, g); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	for k := range got {
		if strings.Contains(k, "esm") || strings.Contains(k, "devel") || strings.Contains(k, "upstream") {
			t.Errorf("%s: stream entry not skipped", k)
		}
	}
	sev := vulns["CVE-2021-23239"].Severities
	wantSev := []model.Severity{
		{Source: "ubuntu", Type: "vendor", Rating: model.RatingLow},
		{Source: "ubuntu", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N", Score: 2.5, Rating: model.RatingLow},
	}
	if diff := cmp.Diff(wantSev, sev); diff != "" {
		t.Errorf("severities (-want +got):\n%s", diff)
	}
	if _, err := (&Feed{}).Fetch(context.Background(), src, data.Fingerprint); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
}

func TestUCTStatus(t *testing.T) {
	tests := []struct {
		status, note string
		want         model.VendorStatus
	}{
		{"needs-triage", "", model.StatusUnderInvestigation},
		{"needed", "", model.StatusAffected},
		{"pending", "1.6.4", model.StatusAffected},
		{"released", "1.2-1", model.StatusFixed},
		{"not-affected", "code not present", model.StatusNotAffected},
		{"DNE", "", model.StatusNotAffected},
		{"ignored", "end of life, was needed", model.StatusEndOfLife},
		{"ignored", "", model.StatusWillNotFix},
		{"deferred", "2024-01-01", model.StatusFixDeferred},
	}
	for _, tt := range tests {
		got, ok := UCTStatus(tt.status, tt.note)
		if !ok || got != tt.want {
			t.Errorf("UCTStatus(%q, %q) = %s %v, want %s", tt.status, tt.note, got, ok, tt.want)
		}
	}
	if _, ok := UCTStatus("bogus", ""); ok {
		t.Error("unknown status accepted")
	}
}

func TestNamespace(t *testing.T) {
	for in, want := range map[string]string{
		"focal": "ubuntu:20.04", "jammy": "ubuntu:22.04", "noble": "ubuntu:24.04", "bionic": "ubuntu:18.04",
		"esm-infra/xenial": "", "trusty/esm": "", "fips/focal": "", "devel": "", "upstream": "", "snap": "",
	} {
		if got := Namespace(in); got != want {
			t.Errorf("Namespace(%q) = %q, want %q", in, got, want)
		}
	}
}

const osvRecord = `{"schema_version":"1.7.0","id":"UBUNTU-CVE-2021-23239","details":"The sudoedit personality of Sudo before 1.9.5 may allow a local unprivileged user to perform arbitrary directory-existence tests by winning a sudo_edit.c race condition in replacing a user-controlled directory by a symlink to an arbitrary path.","aliases":[],"upstream":["CVE-2021-23239"],"related":["USN-4705-1"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N"},{"type":"Ubuntu","score":"low"}],"published":"2021-01-12T09:15:00Z","modified":"2021-01-27T12:00:00Z","affected":[{"package":{"ecosystem":"Ubuntu:Pro:16.04:LTS","name":"sudo"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.8.16-0ubuntu1.10+esm1"}]}]},{"package":{"ecosystem":"Ubuntu:20.04:LTS","name":"sudo"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.8.31-1ubuntu1.2"}]}]},{"package":{"ecosystem":"Ubuntu:20.10","name":"sudo"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.9.1-1ubuntu1.1"}]}]}]}`

func TestFeedUpstreamOSV(t *testing.T) {
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("UBUNTU-CVE-2021-23239.json")
	w.Write([]byte(osvRecord))
	w, _ = zw.Create("USN-4705-1.json")
	w.Write([]byte(`{"id":"USN-4705-1","upstream":["CVE-2021-23239"],"affected":[{"package":{"ecosystem":"Ubuntu:20.04:LTS","name":"sudo"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.8.31-1ubuntu1.2"}]}]}]}`))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/Ubuntu/all.zip" {
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
	got, vulns := parseAll(t, data)
	want := map[string]model.Affected{
		"CVE-2021-23239 ubuntu:20.04 sudo": {VulnID: "CVE-2021-23239", Namespace: "ubuntu:20.04", Ecosystem: model.EcosystemDeb,
			Package: "sudo", Ranges: []model.Range{{Introduced: "0", Fixed: "1.8.31-1ubuntu1.2"}}, Status: model.StatusFixed, Source: "ubuntu"},
		"CVE-2021-23239 ubuntu:20.10 sudo": {VulnID: "CVE-2021-23239", Namespace: "ubuntu:20.10", Ecosystem: model.EcosystemDeb,
			Package: "sudo", Ranges: []model.Range{{Introduced: "0", Fixed: "1.9.1-1ubuntu1.1"}}, Status: model.StatusFixed, Source: "ubuntu"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("affected (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"UBUNTU-CVE-2021-23239"}, vulns["CVE-2021-23239"].Aliases); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
}

func FuzzParseUCT(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join(feedBundle, "ubuntu", "uct-core.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(raw, []byte("\n"))[:3] {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rec, err := ParseUCT(raw)
		if err != nil {
			return
		}
		for _, a := range rec.Affected {
			if a.Status == model.StatusFixed && len(a.Ranges) != 1 {
				t.Fatalf("fixed entry without a version: %+v", a)
			}
			if a.Namespace == "" {
				t.Fatalf("entry without namespace: %+v", a)
			}
		}
	})
}
