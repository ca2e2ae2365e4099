package agent

import (
	"bytes"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestEventSchema pins the JSON field names documented in docs/runtime.md.
func TestEventSchema(t *testing.T) {
	zero := uint64(0)
	events := []*Event{
		{
			Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Type: EventExec,
			ContainerID: testContainer, ContainerName: "web", ImageDigest: testImage,
			ImageName: "bulwark-test/debian12-base:1", Pod: "web-0", Namespace: "shop",
			PID: 4242, Comm: "id", Path: "/usr/bin/id", SHA256: "a3d987dd3f9ec0610dc13b7fdccef84895628065434f44247a65ef0d2a341b3c",
			Parents: []Process{{PID: 4240, Comm: "sh", Path: "/usr/bin/dash"}},
			Verdict: "deny", Mode: "enforce", Reason: "/usr/bin/id (sha256 a3d987dd3f9e) is not in the profile", Mechanism: MechFanotify,
		},
		{
			Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Type: EventAgent, Message: "started", Mode: "alert",
			Enforcer: MechFanotify, Probes: map[string]string{MechLSM: "operation not permitted", MechFanotify: "ok"},
		},
		{Time: time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC), Type: EventAgent, Message: "stopped", Dropped: &zero},
	}
	var buf bytes.Buffer
	sink := NewJSONLines(&buf)
	for _, e := range events {
		if err := sink.Emit(e); err != nil {
			t.Fatal(err)
		}
	}
	const golden = "testdata/events.golden.jsonl"
	if *update {
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("event JSON (-want +got):\n%s", diff)
	}
}
