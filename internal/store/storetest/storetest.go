// Package storetest is the conformance suite every server store passes:
// the embedded SQLite store and PostgreSQL run the same tests.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/sqlstore"
)

// Opener returns a fresh, empty store; the suite closes it.
type Opener func(t *testing.T) *sqlstore.Store

// Run runs the suite.
func Run(t *testing.T, open Opener) {
	tests := map[string]func(*testing.T, *sqlstore.Store){
		"Images":     testImages,
		"Rescan":     testRescanWrites,
		"Workloads":  testWorkloads,
		"Risks":      testRisks,
		"Tokens":     testTokens,
		"Jobs":       testJobs,
		"Outbox":     testOutbox,
		"EmptyInput": testEmptyInput,
		"Runtime":    testRuntimeEvents,
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			f(t, s)
		})
	}
}

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func withClock(s *sqlstore.Store) *clock {
	c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	s.Now = c.now
	return c
}

// Inventory is a small Debian inventory with real package names.
func Inventory(digest string) *model.Inventory {
	return &model.Inventory{
		Schema: model.InventorySchema,
		Image:  model.Image{Ref: "registry.example/app:1", Name: "registry.example/app", Digest: digest},
		Distro: &model.Distro{ID: "debian", VersionID: "12", Release: "12"},
		Packages: []model.Package{
			{Ecosystem: model.EcosystemDeb, Name: "libssl3", Version: "3.0.11-1~deb12u2", SourceName: "openssl", PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2"},
			{Ecosystem: model.EcosystemDeb, Name: "zlib1g", Version: "1:1.2.13.dfsg-1", SourceName: "zlib", PURL: "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1"},
			{Ecosystem: model.EcosystemPyPI, Name: "Jinja2", Version: "3.1.2", PURL: "pkg:pypi/jinja2@3.1.2"},
		},
	}
}

func report(inv *model.Inventory, findings ...model.Finding) *model.Report {
	d := &model.Decision{Pass: len(findings) == 0}
	return &model.Report{Schema: model.ReportSchema, Inventory: *inv, Findings: findings, Decision: d, CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

func finding(id, pkg, version string, sev model.Rating, fixed ...string) model.Finding {
	return model.Finding{VulnID: id, Package: model.PackageRef{Ecosystem: model.EcosystemDeb, Name: pkg, Version: version},
		State: model.MatchAffected, Severity: sev, FixedVersions: fixed}
}

func testImages(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	c := withClock(s)
	inv := Inventory("sha256:aaa")
	f1 := finding("CVE-2024-0727", "libssl3", "3.0.11-1~deb12u2", model.RatingHigh, "3.0.13-1~deb12u1")
	f2 := finding("CVE-2023-45853", "zlib1g", "1:1.2.13.dfsg-1", model.RatingCritical)
	ev := store.FindingEvent{Digest: "sha256:aaa", Kind: store.EventNew, VulnID: f1.VulnID, Package: "libssl3", Version: f1.Package.Version, Severity: model.RatingHigh, At: c.t}
	in := &store.Ingest{Inventory: inv, Context: store.ScanContext{Repo: "registry.example/app", Tags: []string{"1"}, CIJobURL: "https://ci.example/1", GitCommit: "abc"},
		Update: store.ImageUpdate{Digest: "sha256:aaa", Report: report(inv, f1, f2), Events: []store.FindingEvent{ev}}}
	if err := s.PutImage(ctx, in); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Hour)
	in.Context.Tags = []string{"latest"}
	in.Update.Events = nil
	if err := s.PutImage(ctx, in); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Minute)
	inv2 := Inventory("sha256:bbb")
	inv2.Packages = inv2.Packages[2:]
	if err := s.PutImage(ctx, &store.Ingest{Inventory: inv2, Context: store.ScanContext{Repo: "registry.example/web"},
		Update: store.ImageUpdate{Digest: "sha256:bbb", Report: report(inv2)}}); err != nil {
		t.Fatal(err)
	}

	imgs, err := s.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fail, pass := false, true
	want := []store.ImageSummary{
		{Digest: "sha256:bbb", Repo: "registry.example/web", Tags: []string{}, Distro: "debian 12", LastScanned: c.t, Pass: &pass},
		{Digest: "sha256:aaa", Repo: "registry.example/app", Tags: []string{"1", "latest"}, Distro: "debian 12", LastScanned: c.t.Add(-time.Minute),
			Counts: store.SeverityCounts{Critical: 1, High: 1}, Pass: &fail, CIJobURL: "https://ci.example/1", GitCommit: "abc"},
	}
	if diff := cmp.Diff(want, imgs); diff != "" {
		t.Errorf("Images (-want +got):\n%s", diff)
	}

	rep, err := s.Report(ctx, "sha256:aaa")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(report(inv, f1, f2), rep); diff != "" {
		t.Errorf("Report (-want +got):\n%s", diff)
	}
	if _, err := s.Report(ctx, "sha256:nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Report(unknown) = %v, want ErrNotFound", err)
	}
	gotInv, err := s.Inventory(ctx, "sha256:bbb")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inv2, gotInv); diff != "" {
		t.Errorf("Inventory (-want +got):\n%s", diff)
	}

	hits, err := s.Packages(ctx, "jinja2", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0].Name != "Jinja2" {
		t.Errorf("Packages(jinja2) = %+v, want both images by normalized name", hits)
	}
	hits, err = s.Packages(ctx, "libssl3", "3.0.11-1~deb12u2")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.PackageHit{{Digest: "sha256:aaa", Repo: "registry.example/app", Ecosystem: model.EcosystemDeb, Name: "libssl3", Version: "3.0.11-1~deb12u2"}}, hits); diff != "" {
		t.Errorf("Packages(libssl3) (-want +got):\n%s", diff)
	}

	aff, err := s.Affected(ctx, []string{"CVE-2024-0727", "GHSA-none"})
	if err != nil {
		t.Fatal(err)
	}
	wantAff := []store.AffectedImage{{Digest: "sha256:aaa", Repo: "registry.example/app", Tags: []string{"1", "latest"}, VulnID: "CVE-2024-0727",
		Package: "libssl3", Version: "3.0.11-1~deb12u2", FixedVersions: []string{"3.0.13-1~deb12u1"}, Severity: model.RatingHigh}}
	if diff := cmp.Diff(wantAff, aff); diff != "" {
		t.Errorf("Affected (-want +got):\n%s", diff)
	}

	ds, err := s.DigestsHolding(ctx, []store.PackageKey{{Namespace: "debian:12", Name: "openssl"}, {Namespace: "npm", Name: "left-pad"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"sha256:aaa"}, ds); diff != "" {
		t.Errorf("DigestsHolding(openssl) (-want +got):\n%s", diff)
	}
	ds, err = s.DigestsHolding(ctx, []store.PackageKey{{Namespace: "pypi", Name: "jinja2"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"sha256:aaa", "sha256:bbb"}, ds); diff != "" {
		t.Errorf("DigestsHolding(pypi jinja2) (-want +got):\n%s", diff)
	}
	snap, err := s.Snapshot(ctx, "sha256:aaa")
	if err != nil {
		t.Fatal(err)
	}
	wantSnap := &store.Snapshot{Inventory: inv, Fingerprint: store.ReportFingerprint(report(inv, f1, f2)), Counted: store.Counted(report(inv, f1, f2))}
	sortEvents := cmpopts.SortSlices(func(a, b store.FindingEvent) bool { return a.VulnID < b.VulnID })
	if diff := cmp.Diff(wantSnap, snap, sortEvents); diff != "" {
		t.Errorf("Snapshot (-want +got):\n%s", diff)
	}
	if _, err := s.Snapshot(ctx, "sha256:nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Snapshot(unknown) = %v, want ErrNotFound", err)
	}
	hist, err := s.History(ctx, "sha256:aaa")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.FindingEvent{ev}, hist); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}
}

func testRescanWrites(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	c := withClock(s)
	inv := Inventory("sha256:ccc")
	if err := s.PutImage(ctx, &store.Ingest{Inventory: inv, Update: store.ImageUpdate{Digest: "sha256:ccc", Report: report(inv)}}); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Minute)
	f := finding("CVE-2024-0727", "libssl3", "3.0.11-1~deb12u2", model.RatingMedium)
	ev := store.FindingEvent{Digest: "sha256:ccc", Kind: store.EventNew, VulnID: f.VulnID, Package: "libssl3", Version: f.Package.Version, Severity: model.RatingMedium, At: c.t}
	err := s.PutReports(ctx, []store.ImageUpdate{{Digest: "sha256:ccc", Report: report(inv, f), Events: []store.FindingEvent{ev},
		Notifications: []store.Notification{{Sink: "log", Payload: []byte(`{"x":1}`)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutReports(ctx, []store.ImageUpdate{{Digest: "sha256:missing"}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutReports(unknown digest) = %v, want ErrNotFound", err)
	}
	aff, err := s.Affected(ctx, []string{"CVE-2024-0727"})
	if err != nil || len(aff) != 1 {
		t.Fatalf("Affected after rescan = %v, %v; want one image", aff, err)
	}
	n, err := s.PendingNotifications(ctx)
	if err != nil || n != 1 {
		t.Errorf("PendingNotifications = %d, %v; want 1", n, err)
	}
	hist, _ := s.History(ctx, "sha256:ccc")
	if diff := cmp.Diff([]store.FindingEvent{ev}, hist); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}
}

func testEmptyInput(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	if err := s.PutImage(ctx, &store.Ingest{}); err == nil {
		t.Error("PutImage(empty) succeeded; want an error")
	}
	if aff, err := s.Affected(ctx, nil); err != nil || len(aff) != 0 {
		t.Errorf("Affected(nil) = %v, %v", aff, err)
	}
	if ds, err := s.DigestsHolding(ctx, nil); err != nil || len(ds) != 0 {
		t.Errorf("DigestsHolding(nil) = %v, %v", ds, err)
	}
	if imgs, err := s.Images(ctx); err != nil || len(imgs) != 0 {
		t.Errorf("Images() on an empty store = %v, %v", imgs, err)
	}
}
