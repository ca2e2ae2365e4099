package server_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/rescan"
	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
)

// TestReportedHook: every stored report, from an ingest or a rescan, is
// announced, so the admission verdict cache follows rescans at once.
func TestReportedHook(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	hook := func(digest string, r *model.Report) {
		mu.Lock()
		defer mu.Unlock()
		if r == nil {
			t.Errorf("nil report for %s", digest)
		}
		seen = append(seen, digest)
	}
	f := newFixtureWith(t, func(cfg *server.Config, rs *rescan.Rescanner) {
		cfg.Reported = hook
		rs.Reported = hook
	})
	inv := inventory(t)
	if code := f.do("POST", "/api/v1/inventories", store.ScopeIngest, server.IngestRequest{Inventory: inv}, nil); code != http.StatusCreated {
		t.Fatalf("ingest: %d", code)
	}
	if !slices.Equal(seen, []string{inv.Image.Digest}) {
		t.Fatalf("after ingest: reported %v", seen)
	}
	var up rescan.UpdateResult
	if code := f.do("POST", "/api/v1/db/update", store.ScopeAdmin, nil, &up); code != http.StatusOK || up.Images != 1 {
		t.Fatalf("db update: %d %+v", code, up)
	}
	for {
		did, err := f.rs.RunOne(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !did {
			break
		}
	}
	if !slices.Equal(seen, []string{inv.Image.Digest, inv.Image.Digest}) {
		t.Errorf("after the rescan: reported %v, want the digest twice", seen)
	}
}
