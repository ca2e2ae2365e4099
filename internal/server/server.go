// Package server is Bulwark's HTTP API: it ingests inventories pushed by
// CI, keeps every image's report current through rescans, answers "which
// images and running workloads are affected by this vulnerability?", and
// holds accepted risks, workload reports and API tokens. Handlers speak
// JSON under /api/v1; every route but health and metrics needs a bearer
// token with the right scope.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/rescan"
	"github.com/bulwark-security/bulwark/internal/store"
)

// Config wires a server.
type Config struct {
	Store     store.Server
	Matcher   *rescan.Matcher
	Rescanner *rescan.Rescanner
	// Updater runs POST /api/v1/db/update; nil disables the endpoint's
	// work (it answers 503).
	Updater *rescan.Updater
	Metrics *Metrics
	// WorkloadTTL is how long a workload report counts unless renewed.
	WorkloadTTL time.Duration
	// MaxBody caps request bodies (default 64 MiB).
	MaxBody int64
	// EventRetention is how long runtime events are kept (default
	// DefaultEventRetention); Run deletes older ones.
	EventRetention time.Duration
	Now            func() time.Time
	// Reported, when set, is called with each ingested image's report
	// once it is stored (the admission verdict cache listens).
	Reported func(digest string, rep *model.Report)
}

// Server is the HTTP API.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	routes []Route
}

// Route is one registered endpoint, as the OpenAPI document lists it.
type Route struct {
	Method, Path string
	// Scope is the token scope needed; empty for open endpoints.
	Scope store.Scope
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(prometheus.NewRegistry())
	}
	if cfg.Matcher == nil {
		cfg.Matcher = rescan.NewMatcher(nil)
	}
	if cfg.WorkloadTTL <= 0 {
		cfg.WorkloadTTL = 15 * time.Minute
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 20
	}
	if cfg.EventRetention <= 0 {
		cfg.EventRetention = DefaultEventRetention
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.handle("GET /healthz", "", s.healthz)
	s.handle("GET /readyz", "", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Metrics.reg, promhttp.HandlerOpts{}))
	s.routes = append(s.routes, Route{Method: "GET", Path: "/metrics"})
	s.handle("POST /api/v1/inventories", store.ScopeIngest, s.ingest)
	s.handle("GET /api/v1/images", store.ScopeRead, s.images)
	s.handle("GET /api/v1/images/{digest}/report", store.ScopeRead, s.report)
	s.handle("GET /api/v1/images/{digest}/history", store.ScopeRead, s.history)
	s.handle("GET /api/v1/packages", store.ScopeRead, s.packages)
	s.handle("GET /api/v1/vulnerabilities/{id}/affected", store.ScopeRead, s.affected)
	s.handle("GET /api/v1/accepted-risks", store.ScopeRead, s.listRisks)
	s.handle("POST /api/v1/accepted-risks", store.ScopeAdmin, s.addRisk)
	s.handle("DELETE /api/v1/accepted-risks/{id}", store.ScopeAdmin, s.deleteRisk)
	s.handle("POST /api/v1/workloads", store.ScopeIngest, s.workloads)
	s.handle("POST /api/v1/db/update", store.ScopeAdmin, s.dbUpdate)
	s.handle("POST /api/v1/rescans", store.ScopeAdmin, s.fullRescan)
	s.handle("GET /api/v1/rescans/{batch}", store.ScopeRead, s.rescanStatus)
	s.handle("POST /api/v1/runtime/events", store.ScopeIngest, s.postEvents)
	s.handle("GET /api/v1/runtime/events", store.ScopeRead, s.listEvents)
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Routes lists every endpoint.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// handle registers pattern ("METHOD /path") behind the scope check.
func (s *Server) handle(pattern string, scope store.Scope, h func(http.ResponseWriter, *http.Request) error) {
	var method, path string
	fmt.Sscanf(pattern, "%s %s", &method, &path)
	s.routes = append(s.routes, Route{Method: method, Path: path, Scope: scope})
	s.mux.Handle(pattern, s.cfg.Metrics.instrument(path, func(w http.ResponseWriter, r *http.Request) {
		if scope != "" {
			if err := s.authorize(r, scope); err != nil {
				writeError(w, err)
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		if err := h(w, r); err != nil {
			writeError(w, err)
		}
	}))
}

// httpError is an error with a status code.
type httpError struct {
	code int
	err  error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

func errStatus(code int, format string, args ...any) error {
	return &httpError{code: code, err: fmt.Errorf(format, args...)}
}

func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		code = he.code
	case errors.Is(err, store.ErrNotFound):
		code = http.StatusNotFound
	case errors.As(err, &mbe):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, context.Canceled):
		code = 499
	}
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="bulwark"`)
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errStatus(http.StatusBadRequest, "request body: %v", err)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz is ready when the store answers and a vulnerability DB is loaded.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.cfg.Store.PendingNotifications(r.Context()); err != nil {
		return errStatus(http.StatusServiceUnavailable, "store: %v", err)
	}
	built, _, ok := s.cfg.Matcher.DBInfo()
	if !ok {
		return errStatus(http.StatusServiceUnavailable, "no vulnerability DB loaded yet")
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "dbBuiltAt": built})
	return nil
}

// Mount serves h at the exact path pattern outside the token-authenticated
// API (admission webhooks are called by the Kubernetes API server, whose
// identity is established by TLS, not by a Bulwark token). Mounted
// handlers are not API routes and are not in api/openapi.yaml.
// Their requests and latency are in /metrics under their path.
func (s *Server) Mount(pattern string, h http.Handler) {
	path := pattern
	if _, p, ok := strings.Cut(pattern, " "); ok {
		path = p
	}
	s.mux.Handle(pattern, s.cfg.Metrics.instrument(path, h.ServeHTTP))
}
