package rescan_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/rescan"
	"github.com/bulwark-security/bulwark/internal/store"
)

func message() []byte {
	b, _ := json.Marshal(rescan.Message{Event: rescan.EventNewFinding, Digest: "sha256:abc", Repo: "acme/app", VulnID: "CVE-2024-3094",
		Package: "liblzma5", Version: "5.6.0-0.2", Severity: model.RatingCritical, FixedVersions: []string{"5.6.1+really5.4.5-1"},
		Running: true, Workloads: []store.Workload{{Cluster: "prod", Pod: "a"}, {Cluster: "prod", Pod: "b"}}})
	return b
}

func TestSlackAndLogSinks(t *testing.T) {
	var text string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Text string }
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("slack body %s: %v", b, err)
		}
		text = body.Text
	}))
	defer srv.Close()
	if err := (&rescan.Slack{SinkName: "slack-1", URL: srv.URL}).Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	want := "CRITICAL CVE-2024-3094 in acme/app (liblzma5 5.6.0-0.2), fixed in 5.6.1+really5.4.5-1; running in 2 container(s)"
	if text != want {
		t.Errorf("slack text = %q, want %q", text, want)
	}
	var logged *rescan.Message
	if err := (&rescan.Log{Write: func(m *rescan.Message) { logged = m }}).Send(context.Background(), message()); err != nil || logged.VulnID != "CVE-2024-3094" {
		t.Errorf("log sink: %+v, %v", logged, err)
	}
	if err := (&rescan.Log{Write: func(*rescan.Message) {}}).Send(context.Background(), []byte("{")); err == nil {
		t.Error("log sink accepted a broken message")
	}
}

func TestWebhookErrorNamesStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusTeapot) }))
	defer srv.Close()
	err := (&rescan.Webhook{SinkName: "hook", URL: srv.URL}).Send(context.Background(), message())
	if err == nil || !strings.Contains(err.Error(), "418") {
		t.Errorf("Send to a failing hook = %v; want the status", err)
	}
}

// TestBackoffGrows checks retries wait longer each time, up to the cap.
func TestBackoffGrows(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	if err := s.EnqueueNotifications(ctx, []store.Notification{{Sink: "missing", Payload: message()}}); err != nil {
		t.Fatal(err)
	}
	var attempts []time.Time
	d := &rescan.Deliverer{Outbox: s, Sinks: map[string]rescan.Sink{}, Backoff: time.Second, MaxBackoff: 4 * time.Second,
		Now: func() time.Time { return now }, Sent: func(string, error) { attempts = append(attempts, now) }}
	for now.Before(time.Date(2026, 1, 1, 0, 0, 20, 0, time.UTC)) {
		if _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		now = now.Add(250 * time.Millisecond)
	}
	var waits []time.Duration
	for i := 1; i < len(attempts); i++ {
		waits = append(waits, attempts[i].Sub(attempts[i-1]))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
	for i := range want {
		if len(waits) < len(want) || waits[i] != want[i] {
			t.Fatalf("retry waits = %v, want about %v", waits, want)
		}
	}
}
