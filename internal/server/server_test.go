package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/bulwark-security/bulwark/internal/ecosystem/all"
	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report/sbom"
	"github.com/bulwark-security/bulwark/internal/rescan"
	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/sqlite"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// The feed bundles and inventory are the rescan package's test data
// (see internal/rescan/testdata/README.md).
const rescanData = "../rescan/testdata"

type fixture struct {
	t      testing.TB
	srv    *server.Server
	http   *httptest.Server
	store  store.Server
	rs     *rescan.Rescanner
	tokens map[store.Scope]string
}

func newFixture(t testing.TB) *fixture { return newFixtureWith(t, nil) }

// newFixtureWith lets a test adjust the server's and rescanner's
// configuration before the server is built.
func newFixtureWith(t testing.TB, adjust func(*server.Config, *rescan.Rescanner)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var feeds []feed.Feed
	for _, f := range all.Feeds() {
		if f.Name() == "debian" {
			feeds = append(feeds, f)
		}
	}
	abs, _ := filepath.Abs(rescanData)
	dbPath := filepath.Join(t.TempDir(), "bulwark.db")
	if _, err := vulndb.Update(ctx, dbPath, feeds, vulndb.UpdateOptions{Source: feed.Source{Mirror: "file://" + abs + "/part"}}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	m := rescan.NewMatcher(db)
	m.Risks = st
	t.Cleanup(m.Close)
	rs := &rescan.Rescanner{Store: st, Matcher: m, Worker: "test"}
	up := &rescan.Updater{Path: dbPath, Feeds: feeds, Source: feed.Source{Mirror: "file://" + abs + "/full"}, Matcher: m, Rescanner: rs}
	cfg := server.Config{Store: st, Matcher: m, Rescanner: rs, Updater: up}
	if adjust != nil {
		adjust(&cfg, rs)
	}
	srv := server.New(cfg)
	f := &fixture{t: t, srv: srv, store: st, rs: rs, tokens: map[store.Scope]string{}}
	for _, sc := range []store.Scope{store.ScopeIngest, store.ScopeRead, store.ScopeAdmin} {
		secret := server.NewTokenSecret()
		if err := st.PutToken(ctx, store.Token{Name: string(sc), Hash: server.HashToken(secret), Scopes: []store.Scope{sc}}); err != nil {
			t.Fatal(err)
		}
		f.tokens[sc] = secret
	}
	f.http = httptest.NewServer(srv.Handler())
	t.Cleanup(f.http.Close)
	return f
}

// do sends a request with scope's token ("" for none) and decodes the
// JSON answer into out; it returns the status.
func (f *fixture) do(method, path string, scope store.Scope, body, out any) int {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, f.http.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if scope != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[scope])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			f.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

func inventory(t *testing.T) *model.Inventory {
	b, err := os.ReadFile(filepath.Join(rescanData, "inventory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var inv model.Inventory
	if err := json.Unmarshal(b, &inv); err != nil {
		t.Fatal(err)
	}
	return &inv
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	if code := f.do("GET", "/api/v1/images", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	if code := f.do("POST", "/api/v1/inventories", store.ScopeRead, server.IngestRequest{}, nil); code != http.StatusForbidden {
		t.Errorf("read token ingesting: %d, want 403", code)
	}
	if code := f.do("POST", "/api/v1/accepted-risks", store.ScopeIngest, store.AcceptedRisk{VulnID: "CVE-1", Reason: "x"}, nil); code != http.StatusForbidden {
		t.Errorf("ingest token accepting a risk: %d, want 403", code)
	}
	if code := f.do("GET", "/api/v1/images", store.ScopeAdmin, nil, nil); code != http.StatusOK {
		t.Errorf("admin token reading: %d, want 200", code)
	}
	req, _ := http.NewRequest("GET", f.http.URL+"/api/v1/images", nil)
	req.Header.Set("Authorization", "Bearer bwk_not-a-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown token: %d, want 401", resp.StatusCode)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if code := f.do("GET", p, "", nil, nil); code != http.StatusOK {
			t.Errorf("%s without token: %d, want 200", p, code)
		}
	}
}

func TestIngestQueryAffected(t *testing.T) {
	f := newFixture(t)
	inv := inventory(t)
	digest := inv.Image.Digest
	var ing server.IngestResponse
	code := f.do("POST", "/api/v1/inventories", store.ScopeIngest, server.IngestRequest{Inventory: inv,
		Context: store.ScanContext{Tags: []string{"1.0"}, CIJobURL: "https://ci.example/jobs/7", GitCommit: "1f2e3d"}}, &ing)
	if code != http.StatusCreated || ing.Digest != digest || ing.Findings == 0 || ing.New == 0 {
		t.Fatalf("ingest: %d %+v", code, ing)
	}
	if code := f.do("POST", "/api/v1/inventories", store.ScopeIngest, server.IngestRequest{}, nil); code != http.StatusBadRequest {
		t.Errorf("empty ingest: %d, want 400", code)
	}
	var imgs []store.ImageSummary
	f.do("GET", "/api/v1/images", store.ScopeRead, nil, &imgs)
	if len(imgs) != 1 || imgs[0].Repo != "bulwark-test/debian12-app" || imgs[0].Distro != "debian 12" || imgs[0].GitCommit != "1f2e3d" ||
		!slices.Equal(imgs[0].Tags, []string{"1.0"}) {
		t.Errorf("images = %+v", imgs)
	}
	var rep model.Report
	if code := f.do("GET", "/api/v1/images/"+digest+"/report", store.ScopeRead, nil, &rep); code != http.StatusOK || len(rep.Findings) != ing.Findings {
		t.Fatalf("report: %d, %d findings", code, len(rep.Findings))
	}
	if code := f.do("GET", "/api/v1/images/sha256:unknown/report", store.ScopeRead, nil, nil); code != http.StatusNotFound {
		t.Errorf("unknown report: %d, want 404", code)
	}
	var hits []store.PackageHit
	f.do("GET", "/api/v1/packages?name=zlib1g&version=1:1.2.13.dfsg-1", store.ScopeRead, nil, &hits)
	if len(hits) != 1 || hits[0].Digest != digest {
		t.Errorf("packages = %+v", hits)
	}

	// Affected, before and after the image is reported running.
	var target model.Finding
	for _, fd := range rep.Findings {
		if fd.State == model.MatchAffected && fd.Suppressed == nil {
			target = fd
			break
		}
	}
	var aff server.AffectedResponse
	f.do("GET", "/api/v1/vulnerabilities/"+target.VulnID+"/affected", store.ScopeRead, nil, &aff)
	if len(aff.Images) != 1 || aff.Images[0].Digest != digest || len(aff.Images[0].Workloads) != 0 ||
		aff.Images[0].Packages[0].Package != target.Package.Name {
		t.Fatalf("affected before workloads = %+v", aff)
	}
	wl := store.Workload{Cluster: "prod", Namespace: "shop", Workload: "deploy/app", Pod: "app-1", Container: "app", Digest: digest}
	if code := f.do("POST", "/api/v1/workloads", store.ScopeIngest, server.WorkloadReport{Reporter: "watcher", Workloads: []store.Workload{wl}}, nil); code != http.StatusAccepted {
		t.Fatalf("workloads: %d", code)
	}
	if code := f.do("POST", "/api/v1/workloads", store.ScopeIngest, server.WorkloadReport{Reporter: "w", Workloads: []store.Workload{{Pod: "x"}}}, nil); code != http.StatusBadRequest {
		t.Errorf("workload without digest: %d, want 400", code)
	}
	f.do("GET", "/api/v1/vulnerabilities/"+target.VulnID+"/affected", store.ScopeRead, nil, &aff)
	if diff := cmp.Diff([]store.Workload{wl}, aff.Images[0].Workloads); diff != "" {
		t.Errorf("affected workloads (-want +got):\n%s", diff)
	}

	// An accepted risk suppresses the finding on the next match.
	var risk store.AcceptedRisk
	if code := f.do("POST", "/api/v1/accepted-risks", store.ScopeAdmin, store.AcceptedRisk{VulnID: target.VulnID, Reason: "not reachable", Owner: "team"}, &risk); code != http.StatusCreated {
		t.Fatalf("accept risk: %d", code)
	}
	f.do("POST", "/api/v1/inventories", store.ScopeIngest, server.IngestRequest{Inventory: inv}, &ing)
	if ing.Resolved == 0 {
		t.Errorf("re-ingest with an accepted risk resolved nothing: %+v", ing)
	}
	aff = server.AffectedResponse{}
	f.do("GET", "/api/v1/vulnerabilities/"+target.VulnID+"/affected", store.ScopeRead, nil, &aff)
	if len(aff.Images) != 0 {
		t.Errorf("accepted risk still listed as affected: %+v", aff.Images)
	}
	if code := f.do("DELETE", "/api/v1/accepted-risks/"+itoa(risk.ID), store.ScopeAdmin, nil, nil); code != http.StatusNoContent {
		t.Errorf("delete risk: %d", code)
	}
	var hist []store.FindingEvent
	f.do("GET", "/api/v1/images/"+digest+"/history", store.ScopeRead, nil, &hist)
	if len(hist) < ing.Resolved+1 {
		t.Errorf("history has %d events", len(hist))
	}

	// A DB update queues a rescan of the image; the worker finds new findings.
	var up rescan.UpdateResult
	if code := f.do("POST", "/api/v1/db/update", store.ScopeAdmin, nil, &up); code != http.StatusOK || up.Images != 1 || up.Batch == "" {
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
	var bs store.BatchStatus
	if code := f.do("GET", "/api/v1/rescans/"+up.Batch, store.ScopeRead, nil, &bs); code != http.StatusOK || bs != (store.BatchStatus{Done: 1}) {
		t.Errorf("rescan status: %d %+v", code, bs)
	}
	var after []store.FindingEvent
	f.do("GET", "/api/v1/images/"+digest+"/history", store.ScopeRead, nil, &after)
	if len(after) <= len(hist) {
		t.Errorf("the rescan recorded no events (%d before, %d after)", len(hist), len(after))
	}
	var rr server.RescanResponse
	if code := f.do("POST", "/api/v1/rescans", store.ScopeAdmin, nil, &rr); code != http.StatusAccepted || rr.Images != 1 {
		t.Errorf("full rescan: %d %+v", code, rr)
	}

	resp, err := http.Get(f.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"bulwark_ingests_total 2", "bulwark_http_requests_total{code=\"201\",route=\"/api/v1/inventories\"} 2"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestOpenAPIMatchesRoutes checks api/openapi.yaml against the router
// both ways, with each route's scope.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	b, err := os.ReadFile("../../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Scope    string           `yaml:"x-bulwark-scope"`
			Security []map[string]any `yaml:"security"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			scope := op.Scope
			if op.Security != nil && len(op.Security) == 0 {
				scope = "open"
			}
			documented = append(documented, strings.ToUpper(method)+" "+path+" "+scope)
		}
	}
	srv := server.New(server.Config{})
	var routed []string
	for _, r := range srv.Routes() {
		scope := string(r.Scope)
		if scope == "" {
			scope = "open"
		}
		routed = append(routed, r.Method+" "+r.Path+" "+scope)
	}
	slices.Sort(documented)
	slices.Sort(routed)
	if diff := cmp.Diff(routed, documented); diff != "" {
		t.Errorf("api/openapi.yaml vs the router (-routes +documented):\n%s", diff)
	}
}

func TestParseScopes(t *testing.T) {
	got, err := server.ParseScopes("ingest, read,ingest")
	if err != nil || !slices.Equal(got, []store.Scope{store.ScopeIngest, store.ScopeRead}) {
		t.Errorf("ParseScopes = %v, %v", got, err)
	}
	for _, bad := range []string{"", "write", "read,root"} {
		if _, err := server.ParseScopes(bad); err == nil {
			t.Errorf("ParseScopes(%q) succeeded", bad)
		}
	}
	if h := server.HashToken("x"); len(h) != 64 {
		t.Errorf("HashToken length %d", len(h))
	}
	if s := server.NewTokenSecret(); !strings.HasPrefix(s, server.TokenPrefix) || len(s) < 40 {
		t.Errorf("NewTokenSecret = %q", s)
	}
}

// TestIngestSBOM pushes the same packages as a CycloneDX SBOM and as an
// inventory: both give the same findings.
func TestIngestSBOM(t *testing.T) {
	f := newFixture(t)
	inv := inventory(t)
	var buf bytes.Buffer
	if err := (&sbom.CycloneDX{}).Write(&buf, &model.Report{Schema: model.ReportSchema, Inventory: *inv, Findings: []model.Finding{}}); err != nil {
		t.Fatal(err)
	}
	var viaSBOM, viaInv server.IngestResponse
	if code := f.do("POST", "/api/v1/inventories", store.ScopeIngest, server.IngestRequest{SBOM: buf.Bytes(), Digest: "sha256:0000000000000000000000000000000000000000000000000000000000000001"}, &viaSBOM); code != http.StatusCreated {
		t.Fatalf("sbom ingest: %d", code)
	}
	if code := f.do("POST", "/api/v1/inventories", store.ScopeIngest, server.IngestRequest{Inventory: inv}, &viaInv); code != http.StatusCreated {
		t.Fatalf("inventory ingest: %d", code)
	}
	if viaSBOM.Findings == 0 || viaSBOM.Counts != viaInv.Counts || viaSBOM.Findings != viaInv.Findings {
		t.Errorf("SBOM gave %+v, inventory %+v; want the same findings", viaSBOM, viaInv)
	}
	if code := f.do("POST", "/api/v1/inventories", store.ScopeIngest, server.IngestRequest{SBOM: []byte(`{"bomFormat":"CycloneDX"}`)}, nil); code != http.StatusBadRequest {
		t.Errorf("SBOM without a digest: %d, want 400", code)
	}
}
