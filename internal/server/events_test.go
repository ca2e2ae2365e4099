package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bulwark-security/bulwark/internal/agent"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/sqlite"
)

const (
	digestA = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	digestB = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	hashX   = "a3d987dd3f9ec0610dc13b7fdccef84895628065434f44247a65ef0d2a341b3c"
)

// eventFixture is a server on the embedded store without a
// vulnerability DB: the runtime event routes need none.
type eventFixture struct {
	srv    *server.Server
	url    string
	st     store.Server
	reg    *prometheus.Registry
	tokens map[store.Scope]string
}

// metric returns the value of the counter name with the label pair
// (label, value), or the unlabelled counter when label is "".
func (f *eventFixture) metric(t *testing.T, name, label, value string) float64 {
	t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
			if label == "" {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func newEventFixture(t *testing.T, now func() time.Time) *eventFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := prometheus.NewRegistry()
	srv := server.New(server.Config{Store: st, Metrics: server.NewMetrics(reg), Now: now, EventRetention: 24 * time.Hour})
	f := &eventFixture{srv: srv, st: st, reg: reg, tokens: map[store.Scope]string{}}
	for _, sc := range []store.Scope{store.ScopeIngest, store.ScopeRead} {
		secret := server.NewTokenSecret()
		if err := st.PutToken(ctx, store.Token{Name: string(sc), Hash: server.HashToken(secret), Scopes: []store.Scope{sc}}); err != nil {
			t.Fatal(err)
		}
		f.tokens[sc] = secret
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	f.url = hs.URL
	return f
}

// call sends body (raw JSON, or nil) with scope's token and returns the
// status and the answer.
func (f *eventFixture) call(t *testing.T, method, path string, scope store.Scope, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if scope != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[scope])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func (f *eventFixture) list(t *testing.T, query string) []store.RuntimeEvent {
	t.Helper()
	code, data := f.call(t, "GET", "/api/v1/runtime/events"+query, store.ScopeRead, nil)
	if code != http.StatusOK {
		t.Fatalf("GET events%s = %d %s", query, code, data)
	}
	var evs []store.RuntimeEvent
	if err := json.Unmarshal(data, &evs); err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestAgentEventsReachServer posts through the agent's real ServerSink
// to the real handler over loopback and reads the events back.
func TestAgentEventsReachServer(t *testing.T) {
	f := newEventFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := agent.NewServerSink(ctx, f.url, f.tokens[store.ScopeIngest], nil)
	base := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	sent := []agent.Event{
		{Time: base, Type: agent.EventAgent, Message: "started", Enforcer: agent.MechFanotify, Probes: map[string]string{"bpf-lsm": "refused"}},
		{Time: base.Add(time.Second), Type: agent.EventExec, ContainerID: "c0ffee", ContainerName: "cart", ImageDigest: digestA,
			Pod: "cart-1", Namespace: "shop", PID: 4242, Comm: "id", Path: "/usr/bin/id", SHA256: hashX,
			Parents: []agent.Process{{PID: 1, Comm: "sh", Path: "/bin/sh"}}, Verdict: "alert", Mode: "alert", Reason: "not in profile", Mechanism: agent.MechObserve},
		{Time: base.Add(2 * time.Second), Type: agent.EventExec, ContainerID: "c0ffee", ImageDigest: digestA, Namespace: "shop",
			Path: "/tmp/x", Drift: true, Verdict: "deny", Mode: "enforce", Reason: "drift", Mechanism: agent.MechFanotify},
		{Time: base.Add(3 * time.Second), Type: agent.EventExec, ImageDigest: digestB, Namespace: "web", Path: "/bin/ls", SHA256: hashX, Verdict: "allow", Mode: "learn"},
	}
	for i := range sent {
		if err := sink.Emit(&sent[i]); err != nil {
			t.Fatal(err)
		}
	}
	var got []store.RuntimeEvent
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got = f.list(t, ""); len(got) == len(sent) {
			break
		}
	}
	if dropped, err := sink.Status(); dropped != 0 || err != nil {
		t.Fatalf("sink status: dropped %d, %v", dropped, err)
	}
	// What the server returns must be what the agent sent, field by
	// field, newest first.
	var want []store.RuntimeEvent
	for i := len(sent) - 1; i >= 0; i-- {
		b, _ := json.Marshal(&sent[i])
		var e store.RuntimeEvent
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	for i := range got {
		if got[i].ID == 0 || got[i].Received.IsZero() {
			t.Errorf("event %d lacks the server's id or receive time", i)
		}
		got[i].ID, got[i].Received = 0, time.Time{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("events (-sent +stored):\n%s", diff)
	}
	if n := f.metric(t, "bulwark_runtime_events_total", "result", "accepted"); n != 4 {
		t.Errorf("accepted counter = %v, want 4", n)
	}

	for _, tc := range []struct {
		query string
		paths []string
	}{
		{"?image=" + digestA, []string{"/tmp/x", "/usr/bin/id"}},
		{"?namespace=shop&verdict=deny", []string{"/tmp/x"}},
		{"?type=exec&limit=1", []string{"/bin/ls"}},
		{"?since=" + base.Add(2*time.Second).Format(time.RFC3339Nano), []string{"/bin/ls", "/tmp/x"}},
		{"?since=1h", []string{"/bin/ls", "/tmp/x", "/usr/bin/id", ""}},
		{"?image=" + digestA + "&verdict=allow", nil},
	} {
		var paths []string
		for _, e := range f.list(t, tc.query) {
			paths = append(paths, e.Path)
		}
		if diff := cmp.Diff(tc.paths, paths); diff != "" {
			t.Errorf("GET events%s paths (-want +got):\n%s", tc.query, diff)
		}
	}
}

func TestRuntimeEventsRefused(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	f := newEventFixture(t, func() time.Time { return now })
	ok := `{"time":"2026-11-01T11:00:00Z","type":"exec","verdict":"alert","imageDigest":"` + digestA + `"}`
	for _, tc := range []struct {
		name, body, want string
		scope            store.Scope
		code             int
	}{
		{"no token", "[" + ok + "]", "missing bearer token", "", http.StatusUnauthorized},
		{"read token", "[" + ok + "]", "lacks the ingest scope", store.ScopeRead, http.StatusForbidden},
		{"not an array", ok, "want a JSON array of events", store.ScopeIngest, http.StatusBadRequest},
		{"truncated", "[" + ok, "want a JSON array", store.ScopeIngest, http.StatusBadRequest},
		{"bad digest", `[` + ok + `,{"time":"2026-11-01T11:00:00Z","type":"exec","verdict":"alert","imageDigest":"nginx:latest"}]`,
			`event 1: imageDigest "nginx:latest"`, store.ScopeIngest, http.StatusBadRequest},
		{"no time", `[{"type":"agent"}]`, "event 0: time is required", store.ScopeIngest, http.StatusBadRequest},
		{"unknown type", `[{"time":"2026-11-01T11:00:00Z","type":"syscall"}]`, `event 0: type "syscall"`, store.ScopeIngest, http.StatusBadRequest},
		{"exec without verdict", `[{"time":"2026-11-01T11:00:00Z","type":"exec"}]`, "needs a verdict", store.ScopeIngest, http.StatusBadRequest},
		{"future", `[{"time":"2026-11-02T12:00:00Z","type":"agent"}]`, "in the future", store.ScopeIngest, http.StatusBadRequest},
		{"bad hash", `[{"time":"2026-11-01T11:00:00Z","type":"exec","verdict":"deny","sha256":"XYZ"}]`, `sha256 "XYZ"`, store.ScopeIngest, http.StatusBadRequest},
		{"long path", `[{"time":"2026-11-01T11:00:00Z","type":"exec","verdict":"deny","path":"/` + strings.Repeat("a", 5000) + `"}]`,
			"longer than 4096", store.ScopeIngest, http.StatusBadRequest},
		{"too many", "[" + strings.TrimSuffix(strings.Repeat(ok+",", server.MaxEventBatch+1), ",") + "]",
			"at most 2000 per request", store.ScopeIngest, http.StatusBadRequest},
	} {
		code, data := f.call(t, "POST", "/api/v1/runtime/events", tc.scope, []byte(tc.body))
		var e struct{ Error string }
		_ = json.Unmarshal(data, &e)
		if code != tc.code || !strings.Contains(e.Error, tc.want) {
			t.Errorf("%s: %d %s; want %d and %q", tc.name, code, data, tc.code, tc.want)
		}
	}
	if evs := f.list(t, ""); len(evs) != 0 {
		t.Errorf("refused batches stored %d events", len(evs))
	}
	// The bad digest batch of 2, six batches of 1 and the oversized
	// batch; the two undecodable bodies count as batches only.
	if n := f.metric(t, "bulwark_runtime_events_total", "result", "rejected"); n != float64(2+6+server.MaxEventBatch+1) {
		t.Errorf("rejected counter = %v", n)
	}
	if n := f.metric(t, "bulwark_runtime_event_batches_rejected_total", "", ""); n != 10 {
		t.Errorf("rejected batches = %v, want 10", n)
	}
	for _, q := range []string{"?image=nginx", "?verdict=maybe", "?since=yesterday", "?since=-1h", "?limit=0", "?limit=5000", "?type=x"} {
		if code, data := f.call(t, "GET", "/api/v1/runtime/events"+q, store.ScopeRead, nil); code != http.StatusBadRequest {
			t.Errorf("GET events%s = %d %s, want 400", q, code, data)
		}
	}
	code, data := f.call(t, "POST", "/api/v1/runtime/events", store.ScopeIngest, []byte("["+ok+"]"))
	if code != http.StatusAccepted || !strings.Contains(string(data), `"accepted": 1`) {
		t.Errorf("valid batch: %d %s", code, data)
	}
}

// TestRunExpiresRuntimeEvents checks the server's background loop
// deletes events older than the retention.
func TestRunExpiresRuntimeEvents(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	f := newEventFixture(t, func() time.Time { return now })
	ctx := context.Background()
	old := model.RuntimeEvent{Time: now.Add(-25 * time.Hour), Type: "agent", Message: "old"}
	fresh := model.RuntimeEvent{Time: now.Add(-23 * time.Hour), Type: "agent", Message: "fresh"}
	if err := f.st.PutRuntimeEvents(ctx, []model.RuntimeEvent{old, fresh}, now); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- f.srv.Run(rctx, server.RunOptions{Listen: "127.0.0.1:0", Ready: func(net.Addr) {}})
	}()
	var got []store.RuntimeEvent
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got = f.list(t, ""); len(got) == 1 {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Message != "fresh" {
		t.Fatalf("after retention: %+v, want only the fresh event", got)
	}
	if n := f.metric(t, "bulwark_runtime_events_expired_total", "", ""); n != 1 {
		t.Errorf("expired counter = %v, want 1", n)
	}
}
