package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store/sqlite"
)

// TestMountIsMeasured checks that handlers mounted outside the API (the
// admission webhooks) are counted in /metrics, and that other parts can
// register their own collectors there.
func TestMountIsMeasured(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := server.NewMetrics(prometheus.NewRegistry())
	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "bulwark_test_extra_total", Help: "test"})
	if err := m.Register(extra); err != nil {
		t.Fatal(err)
	}
	if err := m.Register(extra); err == nil {
		t.Error("registering the same collector twice succeeded")
	}
	extra.Inc()
	srv := server.New(server.Config{Store: st, Metrics: m})
	srv.Mount("POST /admission/validate", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	h := srv.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/admission/validate", nil))
	if rec.Code != http.StatusTeapot {
		t.Fatalf("mounted handler answered %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`bulwark_http_requests_total{code="418",route="/admission/validate"} 1`,
		`bulwark_http_request_duration_seconds_count{route="/admission/validate"} 1`,
		`bulwark_test_extra_total 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
