package vulndb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
)

// fakeFeed serves records from memory through the real Fetch/Parse
// contract: content is JSON lines in one file, the fingerprint is given.
type fakeFeed struct {
	name    string
	version int
	fp      string
	records []feed.Record
	// corruptAt, when > 0, replaces that line (1-based) with broken JSON.
	corruptAt int
	fetchErr  error

	fetches, parses int
}

var _ feed.Feed = (*fakeFeed)(nil)

func (f *fakeFeed) Name() string { return f.name }
func (f *fakeFeed) Version() int { return f.version }

func (f *fakeFeed) Fetch(_ context.Context, _ feed.Source, prev string) (*feed.Data, error) {
	f.fetches++
	if f.fetchErr != nil {
		return nil, f.fetchErr
	}
	if prev != "" && prev == f.fp {
		return nil, feed.ErrUnchanged
	}
	var buf bytes.Buffer
	for i, r := range f.records {
		if i+1 == f.corruptAt {
			buf.WriteString("{\"Vulnerability\": ]\n")
			continue
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	content := buf.Bytes()
	file := f.name + ".jsonl"
	return &feed.Data{
		Fingerprint: f.fp,
		Files:       []string{file},
		Open: func(name string) (io.ReadCloser, error) {
			if name != file {
				return nil, fmt.Errorf("no file %s", name)
			}
			return io.NopCloser(bytes.NewReader(content)), nil
		},
		Close: func() error { return nil },
	}, nil
}

func (f *fakeFeed) Parse(ctx context.Context, d *feed.Data, emit func(feed.Record) error) error {
	f.parses++
	for _, name := range d.Files {
		rc, err := d.Open(name)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(rc)
		for line := 1; dec.More(); line++ {
			var r feed.Record
			if err := dec.Decode(&r); err != nil {
				rc.Close()
				return fmt.Errorf("%s: record %d: %w", name, line, err)
			}
			if err := emit(r); err != nil {
				rc.Close()
				return err
			}
		}
		rc.Close()
	}
	return nil
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func debFixed(id, pkg, fixed string) model.Affected {
	return model.Affected{VulnID: id, Namespace: "debian:12", Ecosystem: model.EcosystemDeb, Package: pkg,
		Status: model.StatusFixed, Ranges: []model.Range{{Introduced: "0", Fixed: fixed}}}
}

// testFeeds returns a small world: a distro feed, a GHSA feed, the Go
// feed and two enrichment feeds whose ids overlap.
func testFeeds() (deb, ghsa, golang, kev, nvd *fakeFeed) {
	deb = &fakeFeed{name: "debian", version: 1, fp: "deb-1", records: []feed.Record{
		{Vulnerability: model.Vulnerability{ID: "CVE-2023-4911", Summary: "glibc: buffer overflow in ld.so", Modified: day("2024-01-05")},
			Affected: []model.Affected{debFixed("CVE-2023-4911", "glibc", "2.36-9+deb12u3")}},
		{Vulnerability: model.Vulnerability{ID: "CVE-2011-3374", Modified: day("2023-02-01")},
			Affected: []model.Affected{{Namespace: "debian:12", Ecosystem: model.EcosystemDeb, Package: "apt", Status: model.StatusAffected, Urgency: "unimportant"}}},
		// A DSA naming two CVEs must not merge them.
		{Vulnerability: model.Vulnerability{ID: "DSA-5514-1", Aliases: []string{"CVE-2023-1111", "CVE-2023-2222"}, Published: day("2023-09-01")},
			Affected: []model.Affected{debFixed("DSA-5514-1", "chromium", "117.0-1~deb12u1")}},
	}}
	ghsa = &fakeFeed{name: "ghsa-pypi", version: 1, fp: "ghsa-1", records: []feed.Record{
		{Vulnerability: model.Vulnerability{ID: "GHSA-m2qf-hxjv-5gpq", Aliases: []string{"CVE-2023-30861"}, Summary: "Flask session cookie disclosure",
			Severities: []model.Severity{{Source: "ghsa", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", Score: 7.5, Rating: model.RatingHigh}}},
			Affected: []model.Affected{{Namespace: "pypi", Ecosystem: model.EcosystemPyPI, Package: "Flask", Status: model.StatusFixed,
				Ranges: []model.Range{{Introduced: "2.3.0", Fixed: "2.3.2"}, {Introduced: "0", Fixed: "2.2.5"}}}}},
		{Vulnerability: model.Vulnerability{ID: "GHSA-aaaa-bbbb-cccc", Summary: "no CVE yet"},
			Affected: []model.Affected{{Namespace: "pypi", Ecosystem: model.EcosystemPyPI, Package: "Zope_Interface", Status: model.StatusFixed,
				Ranges: []model.Range{{Introduced: "0", Fixed: "5.0"}}}}},
	}}
	golang = &fakeFeed{name: "go", version: 1, fp: "go-1", records: []feed.Record{
		{Vulnerability: model.Vulnerability{ID: "GO-2022-0969", Aliases: []string{"CVE-2022-27664", "GHSA-69cg-p879-7622"}, Summary: "Denial of service in net/http"},
			Affected: []model.Affected{{Namespace: "golang", Ecosystem: model.EcosystemGo, Package: "golang.org/x/net", Status: model.StatusFixed,
				Ranges:    []model.Range{{Introduced: "0", Fixed: "0.0.0-20220906165146-f3363e06e74c"}},
				GoSymbols: []model.GoSymbols{{Package: "golang.org/x/net/http2", Symbols: []string{"Server.ServeConn"}}}}}},
	}}
	kev = &fakeFeed{name: "kev", version: 1, fp: "kev-1", records: []feed.Record{
		{Vulnerability: model.Vulnerability{ID: "CVE-2023-4911", KEV: &model.KEV{DateAdded: "2023-11-21"}}},
		{Vulnerability: model.Vulnerability{ID: "CVE-2099-0001", KEV: &model.KEV{DateAdded: "2025-01-01"}}},
	}}
	nvd = &fakeFeed{name: "nvd", version: 1, fp: "nvd-1", records: []feed.Record{
		{Vulnerability: model.Vulnerability{ID: "CVE-2023-4911", Details: "A buffer overflow was discovered in the GNU C Library's dynamic loader.",
			Severities: []model.Severity{{Source: "nvd", Type: "CVSS_V3", Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Score: 7.8, Rating: model.RatingHigh}},
			CWEs:       []string{"CWE-787"}}},
		{Vulnerability: model.Vulnerability{ID: "CVE-2022-27664", CWEs: []string{"CWE-400"}}},
	}}
	return
}

func feedList(fs ...*fakeFeed) []feed.Feed {
	out := make([]feed.Feed, len(fs))
	for i, f := range fs {
		out[i] = f
	}
	return out
}

func allTestFeeds() []*fakeFeed {
	deb, ghsa, golang, kev, nvd := testFeeds()
	return []*fakeFeed{deb, ghsa, golang, kev, nvd}
}
