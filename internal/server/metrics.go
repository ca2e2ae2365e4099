package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the server's Prometheus collectors.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	Ingests    prometheus.Counter
	ScanTime   prometheus.Histogram
	Rescanned  prometheus.Counter
	RescanJobs *prometheus.CounterVec
	RescanTime prometheus.Histogram
	Notified   *prometheus.CounterVec
	DBUpdates  *prometheus.CounterVec
	// RuntimeEvents counts agent events by result: accepted, rejected
	// (refused with 400) or error (the store failed).
	RuntimeEvents        *prometheus.CounterVec
	EventBatchesRejected prometheus.Counter
	RuntimeEventsExpired prometheus.Counter
}

// NewMetrics registers the collectors on reg.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bulwark_http_requests_total", Help: "HTTP requests by route and status code."},
			[]string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "bulwark_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets},
			[]string{"route"}),
		Ingests:   prometheus.NewCounter(prometheus.CounterOpts{Name: "bulwark_ingests_total", Help: "Inventories ingested."}),
		ScanTime:  prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bulwark_scan_duration_seconds", Help: "Time to match one ingested inventory.", Buckets: prometheus.DefBuckets}),
		Rescanned: prometheus.NewCounter(prometheus.CounterOpts{Name: "bulwark_rescanned_images_total", Help: "Images re-matched by rescans."}),
		RescanJobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bulwark_rescan_jobs_total", Help: "Rescan jobs by result."},
			[]string{"result"}),
		RescanTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bulwark_rescan_job_duration_seconds", Help: "Time to run one rescan job.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
		Notified: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bulwark_notifications_total", Help: "Notification delivery attempts by sink and result."},
			[]string{"sink", "result"}),
		DBUpdates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bulwark_db_updates_total", Help: "Vulnerability DB updates by result."},
			[]string{"result"}),
		RuntimeEvents: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bulwark_runtime_events_total", Help: "Runtime events posted by agents, by result (accepted, rejected, error)."},
			[]string{"result"}),
		EventBatchesRejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "bulwark_runtime_event_batches_rejected_total", Help: "Runtime event batches refused as malformed or too large."}),
		RuntimeEventsExpired: prometheus.NewCounter(prometheus.CounterOpts{Name: "bulwark_runtime_events_expired_total", Help: "Runtime events deleted by retention."}),
	}
	reg.MustRegister(m.requests, m.latency, m.Ingests, m.ScanTime, m.Rescanned, m.RescanJobs, m.RescanTime, m.Notified, m.DBUpdates,
		m.RuntimeEvents, m.EventBatchesRejected, m.RuntimeEventsExpired,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Register adds collectors of other parts of the server (the admission
// webhook's scans on demand) to the registry /metrics serves.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// ObserveRescan records one finished rescan job (a rescan.Rescanner hook).
func (m *Metrics) ObserveRescan(images int, took time.Duration, err error) {
	if err != nil {
		m.RescanJobs.WithLabelValues("error").Inc()
		return
	}
	m.RescanJobs.WithLabelValues("ok").Inc()
	m.Rescanned.Add(float64(images))
	m.RescanTime.Observe(took.Seconds())
}

// ObserveNotification records one delivery attempt (a rescan.Deliverer hook).
func (m *Metrics) ObserveNotification(sink string, err error) {
	res := "ok"
	if err != nil {
		res = "error"
	}
	m.Notified.WithLabelValues(sink, res).Inc()
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (m *Metrics) instrument(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h(sw, r)
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}
