package admission

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
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
// latency percentiles the API server would see, in a closed loop (each
// of conc clients sends its next review when the last is answered). Run
// it with
//
//	go test -run '^$' -bench 'AdmissionLoad|AdmissionOpenLoop' -benchtime 20000x ./internal/admission/
func BenchmarkAdmissionLoad(b *testing.B) {
	for _, conc := range []int{50, 500} {
		b.Run(fmt.Sprintf("concurrent=%d", conc), func(b *testing.B) {
			lt := startLoad(b, conc)
			lat, service := lt.closed(b, conc, b.N)
			reportLatency(b, lat, service)
		})
	}
}

// BenchmarkAdmissionOpenLoop sends reviews at a fixed rate over 500 kept
// alive connections, as an API server does: arrivals do not wait for
// answers, and a review's latency counts from when it was due, so time
// spent queued behind busy connections is included.
func BenchmarkAdmissionOpenLoop(b *testing.B) {
	for _, rate := range []int{1000, 2000} {
		b.Run(fmt.Sprintf("rate=%d/s", rate), func(b *testing.B) {
			lt := startLoad(b, 500)
			lat, service := lt.open(b, 500, rate, b.N)
			reportLatency(b, lat, service)
		})
	}
}

func reportLatency(b *testing.B, lat, service []time.Duration) {
	b.ReportMetric(float64(percentile(lat, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(percentile(service, 50).Microseconds())/1000, "handler-p50-ms")
	b.ReportMetric(float64(percentile(service, 99).Microseconds())/1000, "handler-p99-ms")
}

// TestAdmissionUnderConcurrency checks that concurrent reviews all get the
// right answer, in both load shapes; the benchmarks measure latency.
func TestAdmissionUnderConcurrency(t *testing.T) {
	lt := startLoad(t, 50)
	lat, _ := lt.closed(t, 50, 500)
	if len(lat) != 500 {
		t.Fatalf("%d answers, want 500", len(lat))
	}
	t.Logf("50 concurrent: p50 %s p99 %s", percentile(lat, 50), percentile(lat, 99))
	lat, _ = lt.open(t, 50, 2000, 200)
	if len(lat) != 200 {
		t.Fatalf("%d answers at a fixed rate, want 200", len(lat))
	}
}

// loadTarget is the webhook behind a loopback HTTPS server, with a client
// whose connections are open already.
type loadTarget struct {
	url    string
	client *http.Client
	bodies [][]byte

	smu      sync.Mutex
	measured bool
	service  []time.Duration
}

func startLoad(tb testing.TB, conns int) *loadTarget {
	tb.Helper()
	h, _, _, _ := newFixture(tb, Config{Policy: &policy.Policy{Name: "prod", Rules: policy.Rules{FailOn: "high"}}})
	lt := &loadTarget{}
	hv := h.Validating()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		hv.ServeHTTP(w, r)
		d := time.Since(start)
		lt.smu.Lock()
		if lt.measured {
			lt.service = append(lt.service, d)
		}
		lt.smu.Unlock()
	}))
	// Closing the server under open connections is expected, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	lt.url, lt.client = srv.URL, srv.Client()
	tr := lt.client.Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = conns
	tr.MaxConnsPerHost = conns
	// Two bodies: a pinned passing Deployment and a failing Pod.
	lt.bodies = [][]byte{
		reviewOf(tb, deployment("shop", "registry.local/web:1.4@"+digestPass)),
		reviewOf(tb, pod("shop", nil, "registry.local/api:2.0@"+digestFail)),
	}
	// Open every connection first: the API server keeps them alive, so
	// TLS handshakes are not part of a review's latency.
	var warm sync.WaitGroup
	for range conns {
		warm.Go(func() { _, _ = postOnce(lt.client, lt.url, lt.bodies[0]) })
	}
	warm.Wait()
	return lt
}

// run sends the reviews feed makes due to conc workers and returns each
// review's latency, from when it was due (or, without a due time, from
// when a worker took it), and the handler's own times.
func (lt *loadTarget) run(tb testing.TB, conc, total int, feed func(chan<- job)) (client, service []time.Duration) {
	tb.Helper()
	var (
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, total)
		errs []error
		wg   sync.WaitGroup
		next = make(chan job, total)
	)
	lt.smu.Lock()
	lt.measured, lt.service = true, lt.service[:0]
	lt.smu.Unlock()
	for range conc {
		wg.Go(func() {
			for j := range next {
				start := j.due
				if start.IsZero() {
					start = time.Now()
				}
				allowed, err := postOnce(lt.client, lt.url, lt.bodies[j.i%2])
				d := time.Since(start)
				if err == nil && allowed != (j.i%2 == 0) {
					err = fmt.Errorf("review %d: allowed = %v", j.i, allowed)
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
	if b, ok := tb.(*testing.B); ok {
		b.ResetTimer()
	}
	feed(next)
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		tb.Fatalf("%d of %d reviews failed, first: %v", len(errs), total, errs[0])
	}
	lt.smu.Lock()
	defer lt.smu.Unlock()
	lt.measured = false
	return lat, slices.Clone(lt.service)
}

type job struct {
	i   int
	due time.Time
}

// closed keeps conc reviews in flight.
func (lt *loadTarget) closed(tb testing.TB, conc, total int) (client, service []time.Duration) {
	return lt.run(tb, conc, total, func(next chan<- job) {
		for i := range total {
			next <- job{i: i}
		}
	})
}

// open makes a review due every 1/rate s, whatever is still in flight.
func (lt *loadTarget) open(tb testing.TB, conns, rate, total int) (client, service []time.Duration) {
	return lt.run(tb, conns, total, func(next chan<- job) {
		start := time.Now()
		for i := range total {
			due := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
			next <- job{i: i, due: due}
		}
	})
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

// BenchmarkValidateHandler is the webhook handler alone, without the
// network: what each review costs in CPU and allocations.
func BenchmarkValidateHandler(b *testing.B) {
	h, _, _, _ := newFixture(b, Config{Policy: &policy.Policy{Name: "prod", Rules: policy.Rules{FailOn: "high"}}})
	hv := h.Validating()
	bodies := [][]byte{
		reviewOf(b, deployment("shop", "registry.local/web:1.4@"+digestPass)),
		reviewOf(b, pod("shop", nil, "registry.local/api:2.0@"+digestFail)),
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, ValidatePath, bytes.NewReader(bodies[i%2]))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			hv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
			i++
		}
	})
}
