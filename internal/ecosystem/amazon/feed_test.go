package amazon

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
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
			k := a.VulnID + " " + a.Package
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
	"CVE-2022-24903 rsyslog": {Ranges: []model.Range{{Fixed: "8.2204.0-3.amzn2023.0.2"}}, Urgency: "Important",
		AdvisoryIDs: []string{"ALAS2023-2023-001"}},
	"CVE-2022-23806 golang": {Ranges: []model.Range{{Fixed: "1.19.3-2.amzn2023.0.2"}}, Urgency: "Important",
		AdvisoryIDs: []string{"ALAS2023-2023-048", "ALAS2023-2023-175"}},
	"CVE-2023-24538 golang": {Ranges: []model.Range{{Fixed: "1.19.8-1.amzn2023.0.1"}}, Urgency: "Important",
		AdvisoryIDs: []string{"ALAS2023-2023-175"}},
	"CVE-2023-45853 zlib": {Ranges: []model.Range{{Fixed: "1.2.11-33.amzn2023.0.5"}}, Urgency: "Medium",
		AdvisoryIDs: []string{"ALAS2023-2023-410"}},
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
		want.VulnID, want.Package, want.Namespace = parts[0], parts[1], "amazon:2023"
		want.Ecosystem, want.Source, want.Status = model.EcosystemRPM, "amazon", model.StatusFixed
		if diff := cmp.Diff(want, g); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	for k := range got {
		if strings.Contains(k, "golang-") || strings.Contains(k, "rsyslog-") {
			t.Errorf("%s: keyed by a binary package", k)
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

func TestSourcePackages(t *testing.T) {
	p := func(name, arch string) Package {
		return Package{Name: name, Epoch: "0", Version: "1", Release: "1.amzn2023", Arch: arch}
	}
	tests := []struct {
		in   []Package
		want [][2]string
	}{
		{[]Package{p("curl", "x86_64"), p("libcurl", "x86_64"), p("curl-debugsource", "x86_64"), p("curl-debuginfo", "x86_64")},
			[][2]string{{"curl", "1-1.amzn2023"}}},
		{[]Package{p("golang-bin", "x86_64"), p("golang", "x86_64"), p("golang-docs", "noarch")},
			[][2]string{{"golang", "1-1.amzn2023"}}},
		{[]Package{p("python3-a", "noarch"), p("python3-b", "noarch"), p("python3-b", "noarch")},
			[][2]string{{"python3-a", "1-1.amzn2023"}, {"python3-b", "1-1.amzn2023"}}},
		{[]Package{{Name: "x", Epoch: "2", Version: "1.0", Release: "3"}}, [][2]string{{"x", "2:1.0-3"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, SourcePackages(tt.in)); diff != "" {
			t.Errorf("SourcePackages (-want +got):\n%s", diff)
		}
	}
}

// updateinfoXML writes the bundle's advisories in updateinfo.xml form.
func updateinfoXML(t *testing.T) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join(feedBundle, "amazon", "alas2023-core.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<updates>\n")
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var a Advisory
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		esc := func(s string) string {
			var e bytes.Buffer
			xml.EscapeText(&e, []byte(s))
			return e.String()
		}
		fmt.Fprintf(&b, `<update author="linux-security@amazon.com" from="linux-security@amazon.com" status="final" type="security" version="1.4">
<id>%s</id><title>%s</title><issued date="%s" /><severity>%s</severity><references>`, a.ID, esc(a.Title), a.Issued.Date, a.Severity)
		for _, r := range a.References.Reference {
			fmt.Fprintf(&b, `<reference href="%s" id="%s" title="" type="%s" />`, esc(r.Href), r.ID, r.Type)
		}
		b.WriteString(`</references><pkglist><collection short="amazon-linux-2023"><name>Amazon Linux 2023</name>`)
		for _, p := range a.Pkglist.Collection.Package {
			fmt.Fprintf(&b, `<package name="%s" epoch="%s" version="%s" release="%s" arch="%s"><filename>Packages/x.rpm</filename></package>`,
				p.Name, p.Epoch, p.Version, p.Release, p.Arch)
		}
		b.WriteString("</collection></pkglist></update>\n")
	}
	b.WriteString("</updates>\n")
	return b.Bytes()
}

func TestFeedUpstream(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(updateinfoXML(t))
	zw.Close()
	const repo = "/al2023/core/guids/abc/x86_64"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/al2023/core/mirrors/latest/x86_64/mirror.list":
			fmt.Fprintf(w, "https://cdn.amazonlinux.com%s\n", repo)
		case repo + "/repodata/repomd.xml":
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><repomd xmlns="http://linux.duke.edu/metadata/repo">
<data type="primary"><location href="repodata/primary.xml.gz"/></data>
<data type="updateinfo"><location href="repodata/updateinfo.xml.gz"/></data></repomd>`)
		case repo + "/repodata/updateinfo.xml.gz":
			w.Header().Set("ETag", `"v1"`)
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Write(gz.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	src := feed.Source{HTTP: feedtest.Redirect{Server: srv}}
	data, err := (&Feed{}).Fetch(context.Background(), src, "")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	checkFeedWant(t, parseAll(t, data))
	if _, err := (&Feed{}).Fetch(context.Background(), src, data.Fingerprint); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("second fetch: %v, want ErrUnchanged", err)
	}
}

func FuzzFeed(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join(feedBundle, "amazon", "alas2023-core.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw, false)
	f.Add([]byte(`<updates><update><id>ALAS-1</id><references><reference id="CVE-1" type="cve"/></references><pkglist><collection><package name="a" epoch="0" version="1" release="1" arch="x86_64"/></collection></pkglist></update></updates>`), true)
	f.Fuzz(func(t *testing.T, raw []byte, isXML bool) {
		name := "alas2023-core.jsonl"
		if isXML {
			name = "updateinfo.xml"
		}
		(&Feed{}).Parse(context.Background(), feed.BytesData(map[string][]byte{name: raw}), func(r feed.Record) error {
			for _, a := range r.Affected {
				if a.Package == "" || len(a.Ranges) != 1 {
					t.Fatalf("bad entry %+v", a)
				}
			}
			return nil
		})
	})
}
