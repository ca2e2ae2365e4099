package admission

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/bulwark-security/bulwark/internal/policy"
)

// BenchmarkAdmissionLoad drives concurrent validating reviews over
// loopback HTTPS against the in-memory verdict store and reports the
// latency percentiles the API server would see. Run it with
//
//	go test -run '^$' -bench AdmissionLoad -benchtime 20000x ./internal/admission/
func BenchmarkAdmissionLoad(b *testing.B) {
	for _, conc := range []int{50, 500} {
		b.Run(fmt.Sprintf("concurrent=%d", conc), func(b *testing.B) {
			lat, service := driveLoad(b, conc, b.N)
			b.ReportMetric(float64(percentile(lat, 50).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(percentile(lat, 99).Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(percentile(service, 50).Microseconds())/1000, "handler-p50-ms")
			b.ReportMetric(float64(percentile(service, 99).Microseconds())/1000, "handler-p99-ms")
		})
	}
}

// TestAdmissionUnderConcurrency checks that concurrent reviews all get the
// right answer; the benchmark above measures their latency.
func TestAdmissionUnderConcurrency(t *testing.T) {
	lat, _ := driveLoad(t, 50, 500)
	if len(lat) != 500 {
		t.Fatalf("%d answers, want 500", len(lat))
	}
	t.Logf("50 concurrent: p50 %s p99 %s", percentile(lat, 50), percentile(lat, 99))
}

// driveLoad returns each review's latency as the client sees it, and the
// handler's own time (the client's minus queueing, TLS and transport).
func driveLoad(tb testing.TB, conc, total int) (client, service []time.Duration) {
	tb.Helper()
	h, _, _, _ := newFixture(tb, Config{Policy: &policy.Policy{Name: "prod", Rules: policy.Rules{FailOn: "high"}}})
	var (
		smu      sync.Mutex
		measured bool
	)
	hv := h.Validating()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		hv.ServeHTTP(w, r)
		d := time.Since(start)
		smu.Lock()
		if measured {
			service = append(service, d)
		}
		smu.Unlock()
	}))
	defer srv.Close()
	hc := srv.Client()
	tr := hc.Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = conc
	tr.MaxConnsPerHost = conc
	// Two bodies: a pinned passing Deployment and a failing Pod.
	bodies := [][]byte{
		reviewOf(tb, deployment("shop", "registry.local/web:1.4@"+digestPass)),
		reviewOf(tb, pod("shop", nil, "registry.local/api:2.0@"+digestFail)),
	}
	var (
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, total)
		errs []error
		wg   sync.WaitGroup
		next = make(chan int)
	)
	for range conc {
		wg.Go(func() {
			for i := range next {
				start := time.Now()
				allowed, err := postOnce(hc, srv.URL, bodies[i%2])
				d := time.Since(start)
				if err == nil && allowed != (i%2 == 0) {
					err = fmt.Errorf("review %d: allowed = %v", i, allowed)
				}
				mu.Lock()
				lat = append(lat, d)
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	// Open every connection first: the API server keeps them alive, so
	// TLS handshakes are not part of a review's latency.
	var warm sync.WaitGroup
	for range conc {
		warm.Go(func() { _, _ = postOnce(hc, srv.URL, bodies[0]) })
	}
	warm.Wait()
	smu.Lock()
	measured = true
	smu.Unlock()
	if b, ok := tb.(*testing.B); ok {
		b.ResetTimer()
	}
	for i := range total {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		tb.Fatalf("%d of %d reviews failed, first: %v", len(errs), total, errs[0])
	}
	smu.Lock()
	defer smu.Unlock()
	return lat, service
}

func postOnce(c *http.Client, url string, body []byte) (bool, error) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	defer func() {
		// Drained bodies keep the connection for the next review.
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return false, err
	}
	if out.Response == nil {
		return false, fmt.Errorf("no response")
	}
	return out.Response.Allowed, nil
}

func percentile(lat []time.Duration, p int) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}
