package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bulwark-security/bulwark/internal/admission"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/scan"
	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
)

// storeVerdicts serves admission verdicts from the server's stored
// reports: the latest report for a digest, with its stored decision and
// data age. The admission cache in front of it keeps the webhook's hot path
// off the store.
type storeVerdicts struct{ q store.InventoryQuery }

var _ admission.Verdicts = storeVerdicts{}

func (v storeVerdicts) Lookup(ctx context.Context, digest string) (admission.Verdict, bool, error) {
	r, err := v.q.Report(ctx, digest)
	if errors.Is(err, store.ErrNotFound) {
		return admission.Verdict{}, false, nil
	}
	if err != nil {
		return admission.Verdict{}, false, err
	}
	return verdictOf(digest, r), true, nil
}

// verdictOf is the admission verdict a stored report stands for.
func verdictOf(digest string, r *model.Report) admission.Verdict {
	out := admission.Verdict{Digest: digest, Report: r, ScannedAt: r.CreatedAt}
	if r.Decision != nil {
		out.Decision = *r.Decision
	} else {
		// The server evaluated no policy: being scanned is the requirement.
		// A --policy on the server (or per-namespace rules) tightens it.
		out.Decision = model.Decision{Pass: true, Policy: "none configured: scanned images pass"}
	}
	if r.DB != nil {
		out.DBBuiltAt = r.DB.BuiltAt
	}
	img := r.Inventory.Image
	if img.Name != "" {
		for _, t := range img.Tags {
			out.Refs = append(out.Refs, img.Name+":"+t)
		}
	}
	return out
}

// demandScanner is the webhook's scan on demand: it scans the image by
// digest and posts the inventory to the server's own ingest endpoint, in
// process, so the report is matched, stored, diffed and handed to the
// verdict cache exactly as a pushed scan is, and then appears in the
// inventory, rescans and "bulwark images".
type demandScanner struct {
	// api is the server's handler; set once the server is built.
	api      http.Handler
	secret   string // an ingest token known only to this process
	verdicts admission.Verdicts
	opts     scan.Options
	// scans and took, once registered, count scans by result and time
	// them.
	scans *prometheus.CounterVec
	took  prometheus.Histogram
}

var _ admission.Scanner = (*demandScanner)(nil)

// registerMetrics adds the scan-on-demand counters to the server's
// /metrics.
func (s *demandScanner) registerMetrics(m *server.Metrics) error {
	s.scans = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bulwark_admission_scans_on_demand_total",
		Help: "Scans the admission webhook ran for images it had no verdict for, by result (ok, error)."}, []string{"result"})
	s.took = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bulwark_admission_scan_on_demand_duration_seconds",
		Help: "Time to scan and store one image on demand.", Buckets: prometheus.ExponentialBuckets(0.25, 2, 10)})
	return m.Register(s.scans, s.took)
}

// newDemandScanner returns the scanner and the in-memory ingest token it
// authenticates with, which the server must accept.
func newDemandScanner(verdicts admission.Verdicts, opts scan.Options) (*demandScanner, store.Token) {
	s := &demandScanner{secret: server.NewTokenSecret(), verdicts: verdicts, opts: opts}
	return s, store.Token{Name: "admission-scan-on-demand", Hash: server.HashToken(s.secret), Scopes: []store.Scope{store.ScopeIngest}}
}

// Scan implements admission.Scanner.
func (s *demandScanner) Scan(ctx context.Context, ref, digest string) (admission.Verdict, error) {
	start := time.Now()
	v, err := s.scan(ctx, ref, digest)
	if s.scans != nil {
		res := "ok"
		if err != nil {
			res = "error"
		}
		s.scans.WithLabelValues(res).Inc()
		s.took.Observe(time.Since(start).Seconds())
	}
	return v, err
}

func (s *demandScanner) scan(ctx context.Context, ref, digest string) (admission.Verdict, error) {
	if s.api == nil {
		return admission.Verdict{}, errors.New("the server is not ready")
	}
	parsed, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return admission.Verdict{}, fmt.Errorf("image %s: %w", ref, err)
	}
	repo := parsed.Context().Name()
	// By digest: what the workload will run, whatever the tag points to by now.
	inv, err := scan.Inventory(ctx, "registry:"+repo+"@"+digest, s.opts)
	if err != nil {
		return admission.Verdict{}, err
	}
	sc := store.ScanContext{Repo: repo}
	// Only a tag the workload names is recorded: "registry.local/web" alone
	// means "latest" to a parser but was pinned by digest in the pod.
	if t, ok := parsed.(name.Tag); ok && strings.LastIndex(ref, ":") > strings.LastIndex(ref, "/") {
		sc.Tags = []string{t.TagStr()}
		if !slices.Contains(inv.Image.Tags, t.TagStr()) {
			inv.Image.Tags = append(inv.Image.Tags, t.TagStr())
		}
	}
	if inv.Image.Name == "" {
		inv.Image.Name = repo
	}
	body, err := json.Marshal(server.IngestRequest{Inventory: inv, Digest: digest, Context: sc})
	if err != nil {
		return admission.Verdict{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/api/v1/inventories", bytes.NewReader(body))
	if err != nil {
		return admission.Verdict{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.secret)
	rec := &responseRecorder{header: http.Header{}}
	s.api.ServeHTTP(rec, req)
	if rec.code != http.StatusCreated {
		return admission.Verdict{}, fmt.Errorf("storing the scan of %s@%s: HTTP %d: %s", repo, digest, rec.code, strings.TrimSpace(rec.body.String()))
	}
	v, found, err := s.verdicts.Lookup(ctx, digest)
	if err != nil {
		return admission.Verdict{}, err
	}
	if !found {
		return admission.Verdict{}, fmt.Errorf("the scan of %s@%s was stored but cannot be read back", repo, digest)
	}
	return v, nil
}

// responseRecorder captures an in-process handler's answer.
type responseRecorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *responseRecorder) Header() http.Header { return r.header }

func (r *responseRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *responseRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
