package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/scan"
	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
)

type fakeQuery struct {
	store.InventoryQuery
	reports map[string]*model.Report
}

func (f fakeQuery) Report(_ context.Context, digest string) (*model.Report, error) {
	if r, ok := f.reports[digest]; ok {
		return r, nil
	}
	return nil, store.ErrNotFound
}

func TestStoreVerdicts(t *testing.T) {
	built := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	scanned := built.Add(time.Hour)
	q := fakeQuery{reports: map[string]*model.Report{
		"sha256:pass": {CreatedAt: scanned, DB: &model.DBInfo{BuiltAt: built},
			Inventory: model.Inventory{Image: model.Image{Name: "registry.local/web", Tags: []string{"1.4"}}}},
		"sha256:fail": {CreatedAt: scanned, Decision: &model.Decision{Pass: false, Policy: "org"}},
	}}
	v := storeVerdicts{q: q}
	got, found, err := v.Lookup(context.Background(), "sha256:pass")
	if err != nil || !found || !got.Decision.Pass || !got.ScannedAt.Equal(scanned) || !got.DBBuiltAt.Equal(built) {
		t.Errorf("scanned image without a stored policy: %+v %v %v; want found, passing, with times", got, found, err)
	}
	if len(got.Refs) != 1 || got.Refs[0] != "registry.local/web:1.4" {
		t.Errorf("refs = %v", got.Refs)
	}
	got, found, err = v.Lookup(context.Background(), "sha256:fail")
	if err != nil || !found || got.Decision.Pass || got.Decision.Policy != "org" {
		t.Errorf("stored failing decision: %+v %v %v", got, found, err)
	}
	if _, found, err = v.Lookup(context.Background(), "sha256:never"); found || err != nil {
		t.Errorf("unknown digest: found %v err %v; want not found, no error", found, err)
	}
}

func TestDemandScannerMetrics(t *testing.T) {
	s, tok := newDemandScanner(nil, scan.Options{})
	if len(tok.Scopes) != 1 || tok.Scopes[0] != store.ScopeIngest {
		t.Errorf("scan-on-demand token scopes %v, want ingest only", tok.Scopes)
	}
	m := server.NewMetrics(prometheus.NewRegistry())
	if err := s.registerMetrics(m); err != nil {
		t.Fatal(err)
	}
	// Not wired to a server yet: the scan fails and is counted as such.
	if _, err := s.Scan(context.Background(), "registry.local/web:1.4", "sha256:"+strings.Repeat("a", 64)); err == nil {
		t.Fatal("scan without a server succeeded")
	}
	if got := counterValue(t, s.scans.WithLabelValues("error")); got != 1 {
		t.Errorf("error scans counted %v, want 1", got)
	}
	if got := counterValue(t, s.scans.WithLabelValues("ok")); got != 0 {
		t.Errorf("ok scans counted %v, want 0", got)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
