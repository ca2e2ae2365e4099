package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/sqlstore"
)

func testRuntimeEvents(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	c := withClock(s)
	t0 := c.t
	dropped := uint64(3)
	exec := func(at time.Duration, digest, ns, verdict, path string) model.RuntimeEvent {
		return model.RuntimeEvent{Time: t0.Add(at), Type: "exec", ContainerID: "c1", ImageDigest: digest, Namespace: ns,
			Pod: "cart-1", PID: 42, Comm: "sh", Path: path, SHA256: "ab12", Verdict: verdict, Mode: "alert",
			Reason: "not in profile", Mechanism: "observe", Parents: []model.RuntimeProcess{{PID: 1, Comm: "tini", Path: "/sbin/tini"}}}
	}
	e1 := exec(-3*time.Hour, "sha256:aaa", "shop", "alert", "/bin/sh")
	e2 := exec(-2*time.Hour, "sha256:aaa", "shop", "allow", "/usr/bin/id")
	e3 := exec(-time.Hour, "sha256:bbb", "web", "deny", "/tmp/x")
	e3.Drift = true
	agentEv := model.RuntimeEvent{Time: t0.Add(-30 * time.Minute), Type: "agent", Message: "stopped", Dropped: &dropped,
		Probes: map[string]string{"bpf-lsm": "refused"}}
	if err := s.PutRuntimeEvents(ctx, []model.RuntimeEvent{e1, e2}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRuntimeEvents(ctx, []model.RuntimeEvent{e3, agentEv}, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    store.RuntimeEventQuery
		want []model.RuntimeEvent
	}{
		{"all newest first", store.RuntimeEventQuery{}, []model.RuntimeEvent{agentEv, e3, e2, e1}},
		{"digest", store.RuntimeEventQuery{Digest: "sha256:aaa"}, []model.RuntimeEvent{e2, e1}},
		{"namespace and verdict", store.RuntimeEventQuery{Namespace: "shop", Verdict: "alert"}, []model.RuntimeEvent{e1}},
		{"type", store.RuntimeEventQuery{Type: "agent"}, []model.RuntimeEvent{agentEv}},
		{"since is inclusive", store.RuntimeEventQuery{Since: e2.Time}, []model.RuntimeEvent{agentEv, e3, e2}},
		{"limit keeps the newest", store.RuntimeEventQuery{Limit: 2}, []model.RuntimeEvent{agentEv, e3}},
		{"no match", store.RuntimeEventQuery{Digest: "sha256:ccc"}, []model.RuntimeEvent{}},
	} {
		got, err := s.RuntimeEvents(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, reported(got)); diff != "" {
			t.Errorf("%s: RuntimeEvents (-want +got):\n%s", tc.name, diff)
		}
	}
	got, err := s.RuntimeEvents(ctx, store.RuntimeEventQuery{Digest: "sha256:bbb"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID == 0 || !got[0].Received.Equal(t0.Add(time.Second)) {
		t.Errorf("stored event lacks its id or receive time: %+v", got)
	}

	n, err := s.DeleteRuntimeEventsBefore(ctx, e2.Time)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("DeleteRuntimeEventsBefore removed %d events, want 1", n)
	}
	got, err = s.RuntimeEvents(ctx, store.RuntimeEventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]model.RuntimeEvent{agentEv, e3, e2}, reported(got)); diff != "" {
		t.Errorf("after retention (-want +got):\n%s", diff)
	}

	if err := s.PutRuntimeEvents(ctx, []model.RuntimeEvent{e1, {Type: "exec"}}, t0); err == nil {
		t.Error("PutRuntimeEvents accepted an event without time")
	}
	got, err = s.RuntimeEvents(ctx, store.RuntimeEventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("a rejected batch stored %d events; want none stored (3 remain)", len(got)-3)
	}
	if err := s.PutRuntimeEvents(ctx, nil, t0); err != nil {
		t.Errorf("PutRuntimeEvents(nil) = %v", err)
	}
}

// reported strips the server's ID and receive time from stored events,
// leaving what the agents reported.
func reported(evs []store.RuntimeEvent) []model.RuntimeEvent {
	out := make([]model.RuntimeEvent, len(evs))
	for i := range evs {
		out[i] = evs[i].RuntimeEvent
	}
	return out
}
