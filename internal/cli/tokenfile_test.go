package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/sqlite"
)

func TestParseTokenFile(t *testing.T) {
	secret := "bwk_0123456789abcdefghij"
	hash := server.HashToken(secret)
	tests := []struct {
		name, in string
		want     []store.Token
		err      string
	}{
		{name: "secret and hash", in: "# tokens\n\nwatcher ingest " + secret + "\n  ci ingest,read sha256:" + strings.ToUpper(hash) + "\n",
			want: []store.Token{{Name: "watcher", Hash: hash, Scopes: []store.Scope{store.ScopeIngest}},
				{Name: "ci", Hash: hash, Scopes: []store.Scope{store.ScopeIngest, store.ScopeRead}}}},
		{name: "empty", in: "# nothing\n"},
		{name: "missing field", in: "watcher ingest\n", err: "tokens line 1: want NAME SCOPES SECRET, got 2 fields"},
		{name: "unknown scope", in: "\nwatcher write " + secret, err: `tokens line 2: unknown scope "write"`},
		{name: "short secret", in: "watcher ingest abc", err: `token "watcher": the secret is shorter than 16 characters`},
		{name: "bad hash", in: "watcher ingest sha256:abcd", err: "sha256: wants 64 hex digits"},
		{name: "duplicate", in: "a read " + secret + "\na read " + secret, err: `token "a" is listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := server.ParseTokenFile("tokens", []byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("tokens (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTokenFileAuthorizes: tokens from the file authenticate with their
// scopes only, beside the stored ones, and are never written to the store.
func TestTokenFileAuthorizes(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := server.NewTokenSecret()
	if err := st.PutToken(ctx, store.Token{Name: "admin", Hash: server.HashToken(stored), Scopes: []store.Scope{store.ScopeAdmin}}); err != nil {
		t.Fatal(err)
	}
	ingest := server.NewTokenSecret()
	toks, err := server.ParseTokenFile("tokens", []byte("watcher ingest sha256:"+server.HashToken(ingest)))
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{Store: server.WithTokens(st, toks)})
	status := func(method, path, token, body string) int {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	workloads := `{"reporter":"watcher/test","workloads":[]}`
	for _, c := range []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"file token reports workloads", http.MethodPost, "/api/v1/workloads", ingest, workloads, http.StatusAccepted},
		{"file token cannot read", http.MethodGet, "/api/v1/images", ingest, "", http.StatusForbidden},
		{"stored token still works", http.MethodGet, "/api/v1/images", stored, "", http.StatusOK},
		{"unknown token", http.MethodGet, "/api/v1/images", "bwk_nope", "", http.StatusUnauthorized},
	} {
		if got := status(c.method, c.path, c.token, c.body); got != c.want {
			t.Errorf("%s: HTTP %d, want %d", c.name, got, c.want)
		}
	}
	ts, err := st.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Name != "admin" {
		t.Errorf("stored tokens %+v: the file's must not be stored", ts)
	}
}
