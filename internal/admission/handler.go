package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bulwark-security/bulwark/internal/policy"
)

// BreakGlassAnnotation on a workload or its pod template admits it
// whatever the verdict; its value is the reason, which is audited.
const BreakGlassAnnotation = "bulwark.dev/break-glass"

// Paths the server mounts the endpoints at; the chart's webhook
// configurations name them.
const (
	ValidatePath = "/admission/validate"
	MutatePath   = "/admission/mutate"
)

// maxReviewBytes bounds a request body; the API server's own object limit
// is 1.5 MiB and a review carries the object up to twice.
const maxReviewBytes = 4 << 20

// Config is the admission policy. The zero value enforces: every image
// needs a stored passing scan, from any registry, of any age.
type Config struct {
	// Policy is evaluated per namespace and labels against the stored
	// report. Nil: the server's stored decision stands.
	Policy *policy.Policy
	// AllowedRegistries are registry host globs ("registry.local",
	// "*.dkr.ecr.*.amazonaws.com"). Empty: any registry.
	AllowedRegistries []string
	// MaxScanAge denies images whose newest scan is older (0: no limit).
	MaxScanAge time.Duration
	// MaxDBAge denies images whose newest report used vulnerability data
	// built longer ago than this (0: no limit).
	MaxDBAge time.Duration
	// ExemptNamespaces (globs) are admitted without any check.
	ExemptNamespaces []string
	// Audit admits everything and turns each would-be denial into a
	// warning and an audit event.
	Audit bool
	// AuditNamespaces (globs) are in audit mode while the rest enforce.
	AuditNamespaces []string
	// ServerURL is named in the "run: bulwark scan …" hint.
	ServerURL string
	// ResolveTimeout bounds a registry lookup on a cache miss (default 3s).
	ResolveTimeout time.Duration
	// Verifier, when set, requires every image to carry a valid signature.
	Verifier SignatureVerifier
	// Auditor receives break-glass and audit-mode events (may be nil).
	Auditor Auditor
	// Scanner, when set, scans an image with no stored verdict during the
	// review instead of denying it outright (nil: scan on demand is off).
	Scanner Scanner
	// ScanBudget is how long a review waits for a scan on demand before it
	// denies with "retry" while the scan finishes in the background
	// (default 8s). It must stay below the webhook configuration's
	// timeoutSeconds, which Kubernetes caps at 30s.
	ScanBudget time.Duration
	// ScanTimeout bounds a background scan on demand (default 10m).
	ScanTimeout time.Duration
	// MaxConcurrentScans caps scans on demand running at once (default 2).
	MaxConcurrentScans int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Handler serves the validating and mutating AdmissionReview endpoints.
type Handler struct {
	cfg      Config
	cache    *Cache
	resolver Resolver
	scans    *onDemand // nil: scan on demand is off
	refs     refMemo
}

// maxScanBudget is the longest webhook timeout Kubernetes accepts.
const maxScanBudget = 30 * time.Second

// New returns a handler judging with cache and pinning with resolver
// (both required).
func New(cfg Config, cache *Cache, resolver Resolver) (*Handler, error) {
	if cache == nil || resolver == nil {
		return nil, errors.New("admission: a verdict cache and a resolver are required")
	}
	if cfg.Policy != nil {
		if err := cfg.Policy.Validate(); err != nil {
			return nil, fmt.Errorf("admission policy: %w", err)
		}
	}
	for _, g := range append(append(append([]string{}, cfg.AllowedRegistries...), cfg.ExemptNamespaces...), cfg.AuditNamespaces...) {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("admission: pattern %q: %w", g, err)
		}
	}
	if cfg.ResolveTimeout <= 0 {
		cfg.ResolveTimeout = 3 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ServerURL == "" {
		cfg.ServerURL = "<URL>"
	}
	h := &Handler{cfg: cfg, cache: cache, resolver: resolver}
	if cfg.Scanner != nil {
		if cfg.ScanBudget <= 0 {
			cfg.ScanBudget = 8 * time.Second
		}
		if cfg.ScanBudget >= maxScanBudget {
			return nil, fmt.Errorf("admission: scan budget %s: must be below the webhook timeout, which is at most %s", cfg.ScanBudget, maxScanBudget)
		}
		if cfg.ScanTimeout <= 0 {
			cfg.ScanTimeout = 10 * time.Minute
		}
		if cfg.MaxConcurrentScans <= 0 {
			cfg.MaxConcurrentScans = 2
		}
		h.cfg = cfg
		h.scans = newOnDemand(cfg.Scanner, cache, cfg.ScanBudget, cfg.ScanTimeout, cfg.MaxConcurrentScans)
	}
	return h, nil
}

// Validating returns the validating webhook endpoint.
func (h *Handler) Validating() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, h.validate) })
}

// Mutating returns the mutating (digest-pinning) webhook endpoint.
func (h *Handler) Mutating() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, h.mutate) })
}

type reviewFunc func(ctx context.Context, req *request) *response

// requestHeader is what the webhook reads of an AdmissionRequest besides
// the objects.
type requestHeader struct {
	UID       string    `json:"uid"`
	Kind      groupKind `json:"kind"`
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	Operation string    `json:"operation"`
	UserInfo  struct {
		Username string `json:"username"`
	} `json:"userInfo"`
}

// request is an admission.k8s.io/v1 AdmissionRequest as the webhook reads it.
type request struct {
	requestHeader
	Object    *object `json:"object"`
	OldObject *object `json:"oldObject"`
	// objectErr is why the objects did not decode.
	objectErr error
}

// response is an admission.k8s.io/v1 AdmissionResponse.
type response struct {
	UID       string   `json:"uid"`
	Allowed   bool     `json:"allowed"`
	Result    *status  `json:"status,omitempty"`
	Patch     []byte   `json:"patch,omitempty"`
	PatchType string   `json:"patchType,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
}

// status is the part of metav1.Status a denial carries.
type status struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Code    int32  `json:"code"`
}

type reviewIn struct {
	Request *request `json:"request"`
}

type reviewOut struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Response   *response `json:"response"`
}

// bodies recycles request buffers; a review is a few KiB.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, review reviewFunc) {
	if r.Method != http.MethodPost {
		http.Error(w, "admission review: POST an admission.k8s.io/v1 AdmissionReview", http.StatusMethodNotAllowed)
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		http.Error(w, fmt.Sprintf("admission review: content type %q, want application/json", ct), http.StatusUnsupportedMediaType)
		return
	}
	buf := bodies.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			bodies.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxReviewBytes)); err != nil {
		http.Error(w, "admission review: reading the body: "+err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	req, err := decodeReview(buf.Bytes())
	if err != nil {
		http.Error(w, "admission review: "+err.Error(), http.StatusBadRequest)
		return
	}
	resp := review(r.Context(), req)
	resp.UID = req.UID
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&reviewOut{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview", Response: resp})
}

// decodeReview reads an AdmissionReview in one pass. When its object does
// not have the shape of a workload, the request is still returned, with
// objectErr set, so that kinds the webhook does not judge pass and the
// others are denied with the reason.
func decodeReview(body []byte) (*request, error) {
	var in reviewIn
	err := json.Unmarshal(body, &in)
	if err != nil {
		var hdr struct {
			Request *requestHeader `json:"request"`
		}
		if json.Unmarshal(body, &hdr) != nil || hdr.Request == nil {
			return nil, err
		}
		return &request{requestHeader: *hdr.Request, objectErr: err}, nil
	}
	if in.Request == nil {
		return nil, errors.New("no request")
	}
	return in.Request, nil
}

func allow(warnings ...string) *response {
	return &response{Allowed: true, Warnings: warnings}
}

func deny(msg string) *response {
	return &response{Result: &status{Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: string(metav1.StatusReasonForbidden), Message: msg}}
}

func globMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

// gate is how a review's problems are answered in its namespace.
type gate int

const (
	enforce gate = iota
	auditOnly
	exempt
)

func (h *Handler) gateFor(namespace string) gate {
	switch {
	case globMatch(h.cfg.ExemptNamespaces, namespace):
		return exempt
	case h.cfg.Audit || globMatch(h.cfg.AuditNamespaces, namespace):
		return auditOnly
	}
	return enforce
}

func breakGlass(w *workload) (reason string, set bool) {
	v, ok := w.annotations[BreakGlassAnnotation]
	return strings.TrimSpace(v), ok
}

// answer turns the problems found in a review into a response, applying
// audit mode and break-glass, and auditing what was let through.
func (h *Handler) answer(ctx context.Context, req *request, w *workload, problems []string, emitAudit bool) *response {
	if len(problems) == 0 {
		return allow()
	}
	event := func(kind, reason string) {
		if emitAudit && h.cfg.Auditor != nil {
			h.cfg.Auditor.Audit(ctx, AuditEvent{Kind: kind, UID: req.UID, User: req.UserInfo.Username, Namespace: w.namespace,
				Object: w.String(), Operation: req.Operation, Reason: reason, Problems: problems})
		}
	}
	if reason, set := breakGlass(w); set {
		if reason == "" {
			return deny("bulwark: the " + BreakGlassAnnotation + " annotation needs a reason as its value; " + strings.Join(problems, "; "))
		}
		event("break-glass", reason)
		return allow(prefixed("break-glass ("+reason+"), admitted despite: ", problems)...)
	}
	if h.gateFor(w.namespace) == auditOnly {
		event("audit-mode", "")
		return allow(prefixed("audit mode, would deny: ", problems)...)
	}
	return deny("bulwark: " + strings.Join(problems, "; "))
}

func prefixed(prefix string, ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = "bulwark: " + prefix + p
	}
	return out
}
