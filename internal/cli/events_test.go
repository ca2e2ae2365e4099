package cli

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/sqlite"
)

func TestEventsCommand(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret := server.NewTokenSecret()
	if err := st.PutToken(ctx, store.Token{Name: "reader", Hash: server.HashToken(secret), Scopes: []store.Scope{store.ScopeRead}}); err != nil {
		t.Fatal(err)
	}
	digest := "sha256:" + strings.Repeat("1", 64)
	now := time.Now().UTC()
	evs := []model.RuntimeEvent{
		{Time: now.Add(-2 * time.Hour), Type: "exec", ImageDigest: digest, Namespace: "shop", Pod: "cart-1", Path: "/usr/bin/old", Verdict: "alert", Reason: "old"},
		{Time: now.Add(-time.Minute), Type: "exec", ImageDigest: digest, Namespace: "shop", Pod: "cart-1", ContainerName: "app", Path: "/tmp/x", Drift: true, Verdict: "deny", Reason: "not from the image"},
		{Time: now.Add(-time.Minute), Type: "exec", ImageDigest: "sha256:" + strings.Repeat("2", 64), Namespace: "web", Path: "/bin/ls", Verdict: "alert"},
	}
	if err := st.PutRuntimeEvents(ctx, evs, now); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(server.New(server.Config{Store: st}).Handler())
	defer hs.Close()
	events := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"--cache-dir", t.TempDir(), "events", "--server", hs.URL, "--token", secret}, args...)...)
	}

	code, stdout, stderr := events("--image", digest, "--since", "1h")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "/tmp/x") || !strings.Contains(stdout, "drift: not from the image") || !strings.Contains(stdout, "shop/cart-1") ||
		strings.Contains(stdout, "/usr/bin/old") || strings.Contains(stdout, "/bin/ls") {
		t.Errorf("table:\n%s", stdout)
	}
	code, stdout, _ = events("--namespace", "shop", "--format", "json")
	var got []store.RuntimeEvent
	if err := json.Unmarshal([]byte(stdout), &got); code != ExitOK || err != nil || len(got) != 2 || got[0].Path != "/tmp/x" {
		t.Errorf("json: exit %d, %v: %s", code, err, stdout)
	}
	if code, _, stderr := events("--since", "yesterday"); code != ExitUsage || !strings.Contains(stderr, `since "yesterday"`) {
		t.Errorf("bad --since: exit %d: %s", code, stderr)
	}
	if code, _, _ := events("--limit", "0"); code != ExitUsage {
		t.Errorf("--limit 0: exit %d", code)
	}
	if code, _, stderr := runCLI(t, "--cache-dir", t.TempDir(), "events"); code != ExitUsage || !strings.Contains(stderr, "--server") {
		t.Errorf("no --server: exit %d: %s", code, stderr)
	}
}
