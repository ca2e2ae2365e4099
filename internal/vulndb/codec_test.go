package vulndb

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
)

func sampleEntries() []model.Affected {
	return []model.Affected{
		{VulnID: "CVE-2023-4911", Namespace: "debian:12", Ecosystem: model.EcosystemDeb, Package: "glibc", Status: model.StatusFixed,
			Ranges: []model.Range{{Introduced: "0", Fixed: "2.36-9+deb12u3"}}, Urgency: "high", Source: "debian", AdvisoryIDs: []string{"DSA-5514-1"}},
		{VulnID: "CVE-2010-4756", Namespace: "debian:12", Ecosystem: model.EcosystemDeb, Package: "glibc", Status: model.StatusWillNotFix,
			Urgency: "unimportant", Note: "Minor issue", Source: "debian"},
		{VulnID: "CVE-2022-27664", Namespace: "golang", Ecosystem: model.EcosystemGo, Package: "golang.org/x/net", Status: model.StatusFixed,
			Ranges: []model.Range{{Introduced: "0", Fixed: "0.0.0-20220906165146-f3363e06e74c"}, {LastAffected: "0.1.0"}}, Versions: []string{"0.0.1"},
			GoSymbols: []model.GoSymbols{{Package: "golang.org/x/net/http2", Symbols: []string{"Server.ServeConn", "serverConn.goAway"}, GOOS: []string{"linux"}, GOARCH: []string{"amd64"}}},
			Source:    "go"},
	}
}

func TestCodecRoundTrip(t *testing.T) {
	for _, entries := range [][]model.Affected{nil, sampleEntries(), {{}}} {
		got, err := decodeAffected(encodeAffected(nil, entries))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(entries, got, cmp.Comparer(func(a, b []model.Affected) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
	b := encodeAffected(nil, sampleEntries())
	for _, cut := range []int{0, 1, len(b) / 2, len(b) - 1} {
		if _, err := decodeAffected(b[:cut]); err == nil {
			t.Errorf("decode of %d of %d bytes succeeded", cut, len(b))
		}
	}
	if _, err := decodeAffected(append(b, 0)); err == nil {
		t.Error("decode with a trailing byte succeeded")
	}
}

func FuzzDecodeAffected(f *testing.F) {
	f.Add(encodeAffected(nil, sampleEntries()))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := decodeAffected(b)
		if err != nil {
			return
		}
		again, err := decodeAffected(encodeAffected(nil, entries))
		if err != nil || !cmp.Equal(entries, again) {
			t.Fatalf("re-encode of a decoded value differs: %v", err)
		}
	})
}

// BenchmarkDecodeAffected compares the stored encoding with JSON on the
// same entries; the binary form is the one the DB uses.
func BenchmarkDecodeAffected(b *testing.B) {
	entries := sampleEntries()
	bin := encodeAffected(nil, entries)
	js, _ := json.Marshal(entries)
	b.Run(fmt.Sprintf("binary-%dB", len(bin)), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeAffected(bin); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("json-%dB", len(js)), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out []model.Affected
			if err := json.Unmarshal(js, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchDB builds a synthetic DB shaped like the real one: a distro
// namespace with many packages and CVEs, a language namespace, a few
// packages with hundreds of entries.
func benchDB(b *testing.B) (string, [][2]string) {
	b.Helper()
	var recs []feed.Record
	var queries [][2]string
	for i := range 20000 {
		ns, eco := "debian:12", model.EcosystemDeb
		if i%3 == 0 {
			ns, eco = "npm", model.EcosystemNPM
		}
		pkg := fmt.Sprintf("pkg-%d", i%4000)
		if i%50 == 0 {
			pkg = "linux"
		}
		recs = append(recs, feed.Record{
			Vulnerability: model.Vulnerability{ID: fmt.Sprintf("CVE-2024-%05d", i), Summary: "a vulnerability"},
			Affected: []model.Affected{{Namespace: ns, Ecosystem: eco, Package: pkg, Status: model.StatusFixed,
				Ranges: []model.Range{{Introduced: "0", Fixed: fmt.Sprintf("1.%d-1+deb12u1", i)}}, Urgency: "low"}},
		})
		queries = append(queries, [2]string{ns, pkg}, [2]string{ns, pkg + "-absent"})
	}
	path := filepath.Join(b.TempDir(), FileName)
	f := &fakeFeed{name: "synthetic", version: 1, fp: "x", records: recs}
	if _, err := Update(context.Background(), path, []feed.Feed{f}, UpdateOptions{}); err != nil {
		b.Fatal(err)
	}
	return path, queries
}

// BenchmarkAffected10k: the budget is 10,000 lookups in under 50 ms.
// "cold" opens the DB for every round, so nearly every lookup decodes
// from the file; "warm" repeats the lookups on an open DB, which serves
// repeats from its cache.
func BenchmarkAffected10k(b *testing.B) {
	path, queries := benchDB(b)
	ctx := context.Background()
	lookup := func(db *DB) {
		for i := range 10000 {
			q := queries[i%len(queries)]
			if _, err := db.Affected(ctx, q[0], q[1]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			db, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			lookup(db)
			db.Close()
		}
	})
	b.Run("warm", func(b *testing.B) {
		db, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		lookup(db)
		b.ReportAllocs()
		for b.Loop() {
			lookup(db)
		}
	})
}

// BenchmarkOpen: the budget is 50 ms for the full DB.
func BenchmarkOpen(b *testing.B) {
	path, _ := benchDB(b)
	b.ReportAllocs()
	for b.Loop() {
		db, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}
