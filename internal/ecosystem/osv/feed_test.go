package osv

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/feed/feedtest"
	"github.com/bulwark-security/bulwark/internal/model"
)

const feedBundle = "testdata/feed-bundle"

type parsed struct {
	affected map[string][]model.Affected
	vulns    map[string]model.Vulnerability
}

func parseAll(t *testing.T, data *feed.Data) parsed {
	t.Helper()
	p := parsed{affected: map[string][]model.Affected{}, vulns: map[string]model.Vulnerability{}}
	err := (&GHSA{}).Parse(context.Background(), data, func(r feed.Record) error {
		p.vulns[r.Vulnerability.ID] = r.Vulnerability
		for _, a := range r.Affected {
			k := a.VulnID + " " + a.Namespace + " " + a.Package
			p.affected[k] = append(p.affected[k], a)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ranges(as []model.Affected) []model.Range {
	var out []model.Range
	for _, a := range as {
		out = append(out, a.Ranges...)
	}
	return out
}

func checkBundle(t *testing.T, p parsed) {
	t.Helper()
	wantRanges := map[string][]model.Range{
		"CVE-2020-28500 npm lodash.trim":                   {{Introduced: "0", LastAffected: "4.5.1"}},
		"CVE-2020-28500 npm lodash":                        {{Introduced: "0", Fixed: "4.17.21"}},
		"CVE-2023-30861 pypi flask":                        {{Introduced: "2.3.0", Fixed: "2.3.2"}, {Introduced: "0", Fixed: "2.2.5"}},
		"CVE-2011-1950 pypi plone-app-users":               {{Introduced: "1.0a1", Fixed: "1.0.5"}, {Introduced: "1.1b1", Fixed: "1.1.1"}},
		"CVE-2015-9251 maven org.webjars.npm:jquery":       {{Introduced: "0", Fixed: "1.12.2"}, {Introduced: "1.12.3", Fixed: "3.0.0"}},
		"CVE-2020-13223 golang github.com/hashicorp/vault": {{Introduced: "1.3.0", Fixed: "1.3.6"}, {Introduced: "1.4.0", Fixed: "1.4.2"}},
		"CVE-2021-32714 cargo hyper":                       {{Introduced: "0", Fixed: "0.14.10"}},
		"CVE-2016-7103 nuget jquery.ui.combined":           {{Introduced: "0", Fixed: "1.12.0"}},
		"CVE-2018-14042 composer twbs/bootstrap":           {{Introduced: "4.0.0", Fixed: "4.1.2"}, {Introduced: "2.3.0", Fixed: "3.4.0"}},
		"GHSA-vxp4-25qp-86qh npm ember": {{Introduced: "1.8.0", Fixed: "1.11.4"}, {Introduced: "1.12.0", Fixed: "1.12.2"},
			{Introduced: "1.13.0", Fixed: "1.13.12"}, {Introduced: "2.0.0", Fixed: "2.0.3"}, {Introduced: "2.1.0", Fixed: "2.1.2"},
			{Introduced: "2.2.0", Fixed: "2.2.1"}},
	}
	for k, want := range wantRanges {
		if diff := cmp.Diff(want, ranges(p.affected[k])); diff != "" {
			t.Errorf("%s ranges (-want +got):\n%s", k, diff)
		}
	}
	if a := p.affected["CVE-2020-28500 npm lodash.trim"]; len(a) != 1 || a[0].Status != model.StatusAffected {
		t.Errorf("lodash.trim (last_affected only): %+v, want status affected", a)
	}
	if a := p.affected["CVE-2020-28500 npm lodash"]; len(a) != 1 || a[0].Status != model.StatusFixed || a[0].Ecosystem != model.EcosystemNPM {
		t.Errorf("lodash: %+v", a)
	}
	if a := p.affected["CVE-2017-16204 npm jquey"]; len(a) != 1 || len(a[0].Versions) == 0 || len(a[0].Ranges) != 0 || a[0].Status != model.StatusAffected {
		t.Errorf("versions-only advisory: %+v", a)
	}
	if a := p.affected["CVE-2013-6421 gem sprout"]; len(a) != 1 || len(a[0].Versions) == 0 || a[0].Ecosystem != model.EcosystemGem {
		t.Errorf("versions-only gem advisory: %+v", a)
	}
	v := p.vulns["CVE-2020-28500"]
	if !cmp.Equal(v.Aliases, []string{"GHSA-29mw-wpgm-hmr9"}) {
		t.Errorf("aliases %v", v.Aliases)
	}
	if _, ok := p.vulns["GHSA-vxp4-25qp-86qh"]; !ok {
		t.Error("advisory without CVE not reported under its GHSA id")
	}
	wantSev := []model.Severity{
		{Source: "ghsa", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Rating: model.RatingCritical},
		{Source: "ghsa", Type: "CVSS_V4", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
		{Source: "ghsa", Type: "vendor", Rating: model.RatingCritical},
	}
	if diff := cmp.Diff(wantSev, p.vulns["CVE-2019-17495"].Severities); diff != "" {
		t.Errorf("severities (-want +got):\n%s", diff)
	}
	if len(p.vulns) != 12 {
		var ids []string
		for id := range p.vulns {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		t.Errorf("%d vulnerabilities %v, want 12", len(p.vulns), ids)
	}
}

func TestFeedBundle(t *testing.T) {
	abs, err := filepath.Abs(feedBundle)
	if err != nil {
		t.Fatal(err)
	}
	src := feed.Source{Mirror: "file://" + abs}
	data, err := (&GHSA{}).Fetch(context.Background(), src, "")
	if err != nil {
		t.Fatal(err)
	}
	checkBundle(t, parseAll(t, data))
	if _, err := (&GHSA{}).Fetch(context.Background(), src, data.Fingerprint); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
}

// TestFeedUpstream serves each bundle file as osv.dev's
// /<Ecosystem>/all.zip, with a PYSEC record that must be skipped.
func TestFeedUpstream(t *testing.T) {
	zips := map[string][]byte{}
	for _, e := range ecosystems {
		raw, err := os.ReadFile(filepath.Join(feedBundle, "ghsa", e.bundle+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var zbuf bytes.Buffer
		zw := zip.NewWriter(&zbuf)
		for i, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			w, _ := zw.Create("GHSA-" + string(rune('a'+i)) + ".json")
			w.Write([]byte(line))
		}
		if e.osv == "PyPI" {
			w, _ := zw.Create("PYSEC-2023-62.json")
			w.Write([]byte(`{"id":"PYSEC-2023-62","aliases":["CVE-2023-30861"],"affected":[{"package":{"ecosystem":"PyPI","name":"flask"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"9.9.9"}]}]}]}`))
		}
		zw.Close()
		zips["/"+e.osv+"/all.zip"] = zbuf.Bytes()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := zips[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	data, err := (&GHSA{}).Fetch(context.Background(), feed.Source{HTTP: feedtest.Redirect{Server: srv}}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	checkBundle(t, parseAll(t, data))
}

func TestEcosystem(t *testing.T) {
	for in, want := range map[string]model.Ecosystem{
		"npm": model.EcosystemNPM, "PyPI": model.EcosystemPyPI, "Maven": model.EcosystemMaven, "Go": model.EcosystemGo,
		"crates.io": model.EcosystemCargo, "RubyGems": model.EcosystemGem, "NuGet": model.EcosystemNuGet,
		"Packagist": model.EcosystemComposer,
	} {
		eco, ns, ok := Ecosystem(in)
		if !ok || eco != want || ns != string(want) {
			t.Errorf("Ecosystem(%q) = %s %s %v", in, eco, ns, ok)
		}
	}
	if _, _, ok := Ecosystem("Debian:12"); ok {
		t.Error("Debian accepted")
	}
}

func FuzzFeed(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join(feedBundle, "ghsa", "npm.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Fuzz(func(t *testing.T, raw []byte) {
		(&GHSA{}).Parse(context.Background(), feed.BytesData(map[string][]byte{"npm.jsonl": raw}), func(r feed.Record) error {
			for _, a := range r.Affected {
				if a.Package != model.NormalizeName(a.Ecosystem, a.Package) {
					t.Fatalf("name not normalised: %+v", a)
				}
			}
			return nil
		})
	})
}
