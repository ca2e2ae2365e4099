package match

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
)

func loadCase(t *testing.T, inventory, advisories, vulns string) (*model.Inventory, *memReader) {
	t.Helper()
	inv, err := parseInventory(inventory)
	if err != nil {
		t.Fatal(err)
	}
	r := newMemReader()
	if err := r.load(advisories, vulns, ""); err != nil {
		t.Fatal(err)
	}
	return inv, r
}

const mixedInventory = `
distro debian 12
pkg deb libc6 2.36-9+deb12u1 src=glibc
pkg deb libc-bin 2.36-9+deb12u1 src=glibc
pkg deb apt 2.6.1
pkg npm lodash 4.17.15 loc=/a/package-lock.json
pkg npm lodash 4.17.15 loc=/b/package-lock.json
pkg pypi Flask 2.0.0
`

const mixedAdvisories = `
{"vulnID":"CVE-2023-4911","namespace":"debian:12","ecosystem":"deb","package":"glibc","ranges":[{"fixed":"2.36-9+deb12u3"}],"status":"fixed","source":"debian"}
{"vulnID":"CVE-2011-3374","namespace":"debian:12","ecosystem":"deb","package":"apt","status":"affected","urgency":"unimportant","source":"debian"}
{"vulnID":"CVE-2021-23337","namespace":"npm","ecosystem":"npm","package":"lodash","ranges":[{"fixed":"4.17.21"}],"status":"fixed","source":"ghsa-npm"}
{"vulnID":"CVE-2020-8203","namespace":"npm","ecosystem":"npm","package":"lodash","ranges":[{"fixed":"4.17.19"}],"status":"fixed","source":"ghsa-npm"}
{"vulnID":"CVE-2023-30861","namespace":"pypi","ecosystem":"pypi","package":"flask","ranges":[{"fixed":"2.2.5"}],"status":"fixed","source":"ghsa-pypi"}
`

// TestDeterministic shuffles the inventory and matches it concurrently:
// the findings are the same every time (run with -race).
func TestDeterministic(t *testing.T) {
	inv, r := loadCase(t, mixedInventory, mixedAdvisories, "")
	e := New(r, Options{Concurrency: 4})
	want, _, err := e.Match(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 8 {
		t.Fatalf("got %d findings, want 8", len(want))
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			shuffled := *inv
			shuffled.Packages = append([]model.Package(nil), inv.Packages...)
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			rng.Shuffle(len(shuffled.Packages), func(a, b int) {
				shuffled.Packages[a], shuffled.Packages[b] = shuffled.Packages[b], shuffled.Packages[a]
			})
			got, _, err := e.Match(context.Background(), &shuffled)
			if err != nil {
				t.Error(err)
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("shuffle %d (-want +got):\n%s", i, diff)
			}
		})
	}
	wg.Wait()
}

type failingReader struct {
	*memReader
	failOn string
}

var errBoom = errors.New("disk on fire")

func (f failingReader) Affected(ctx context.Context, ns, name string) ([]model.Affected, error) {
	if f.failOn == "affected" {
		return nil, errBoom
	}
	return f.memReader.Affected(ctx, ns, name)
}

func (f failingReader) Vulnerability(ctx context.Context, id string) (*model.Vulnerability, error) {
	if f.failOn == "vulnerability" {
		return nil, errBoom
	}
	return f.memReader.Vulnerability(ctx, id)
}

func (f failingReader) HasNamespace(ctx context.Context, ns string) (bool, error) {
	if f.failOn == "namespace" {
		return false, errBoom
	}
	return f.memReader.HasNamespace(ctx, ns)
}

func TestReaderErrors(t *testing.T) {
	inv, r := loadCase(t, mixedInventory, mixedAdvisories, "")
	for _, on := range []string{"affected", "vulnerability", "namespace"} {
		_, _, err := New(failingReader{r, on}, Options{}).Match(context.Background(), inv)
		if !errors.Is(err, errBoom) {
			t.Errorf("%s: err = %v, want it to wrap %v", on, err, errBoom)
		}
		if _, err := Explain(context.Background(), failingReader{r, on}, inv, "CVE-2023-4911"); !errors.Is(err, errBoom) {
			t.Errorf("Explain %s: err = %v, want it to wrap %v", on, err, errBoom)
		}
	}
}

func TestCanceled(t *testing.T) {
	inv, r := loadCase(t, mixedInventory, mixedAdvisories, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := New(r, Options{}).Match(ctx, inv); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestNilInventory(t *testing.T) {
	r := newMemReader()
	if _, _, err := New(r, Options{}).Match(context.Background(), nil); err == nil {
		t.Error("Match(nil) succeeded")
	}
	if _, err := Explain(context.Background(), r, nil, "CVE-1"); err == nil {
		t.Error("Explain(nil) succeeded")
	}
}

func TestExplainSummary(t *testing.T) {
	inv, r := loadCase(t, mixedInventory, mixedAdvisories,
		`{"id":"CVE-2023-4911","aliases":["GHSA-xxxx"],"summary":"Looney Tunables"}`)
	x, err := Explain(context.Background(), r, inv, "GHSA-xxxx")
	if err != nil {
		t.Fatal(err)
	}
	if !x.Known || x.VulnID != "CVE-2023-4911" || x.Summary != "Looney Tunables" || !x.Affected() {
		t.Errorf("explanation header = %+v", x)
	}
	if diff := cmp.Diff([]string{"GHSA-xxxx"}, x.Aliases); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	var got []string
	for _, ns := range x.Namespaces {
		got = append(got, ns.Reason)
	}
	want := []string{
		"2 of 3 package(s) in debian:12 have a record for CVE-2023-4911; the other 1 are not affected per the data for debian:12",
		"0 of 2 package(s) in npm have a record for CVE-2023-4911; the other 2 are not affected per the data for npm",
		"0 of 1 package(s) in pypi have a record for CVE-2023-4911; the other 1 are not affected per the data for pypi",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
	if n := len(x.Packages); n != len(inv.Packages) {
		t.Errorf("%d package verdicts, want one per package (%d)", n, len(inv.Packages))
	}

	unknown, err := Explain(context.Background(), r, inv, "CVE-2099-0001")
	if err != nil {
		t.Fatal(err)
	}
	if unknown.Known || unknown.Affected() || unknown.VulnID != "CVE-2099-0001" {
		t.Errorf("unknown vulnerability explanation = %+v", unknown)
	}
	for _, pv := range unknown.Packages {
		if pv.HasRecord || !strings.HasPrefix(pv.Reason, "not affected: no record") {
			t.Errorf("verdict for %s = %+v", pv.Package.Name, pv)
		}
	}
}
