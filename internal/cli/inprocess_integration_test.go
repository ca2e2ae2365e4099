//go:build integration

package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/ecosystem/all"
	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// The in-process tier runs real commands ("bulwark server", "watch",
// "affected") inside the test binary, so one test can drive a server, a
// Kubernetes watcher and a client against each other.

// lockedBuffer collects a command's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startCommand runs "bulwark args…" until the test ends and returns its
// stderr.
func startCommand(t *testing.T, args ...string) *lockedBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan error, 1)
	g := &globals{stdout: io.Discard, stderr: &stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(io.Discard)
	root.SetErr(&stderr)
	go func() { done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Logf("bulwark %s: %v\n%s", args[0], err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("bulwark %s did not stop", args[0])
		}
	})
	return &stderr
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitHealthy polls base/healthz until the server answers.
func waitHealthy(t *testing.T, c *http.Client, base string, logs *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server at %s never became healthy:\n%s", base, logs.String())
}

// sharedTestdataDir is $BULWARK_SHARED/testdata (default ../shared beside
// the repository).
func sharedTestdataDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("BULWARK_SHARED")
	if d == "" {
		_, file, _, _ := runtime.Caller(0)
		d = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
	}
	d = filepath.Join(d, "testdata")
	if _, err := os.Stat(filepath.Join(d, "debian")); err != nil {
		t.Fatalf("shared test data missing (set BULWARK_SHARED): %v", err)
	}
	return d
}

// debianDB builds the server's vulnerability DB under data from the
// shared Debian feed data, where "bulwark server --data" looks for it.
func debianDB(t *testing.T, data string) {
	t.Helper()
	var feeds []feed.Feed
	for _, f := range all.Feeds() {
		if f.Name() == "debian" {
			feeds = append(feeds, f)
		}
	}
	if len(feeds) == 0 {
		t.Fatal("no debian feed in this build")
	}
	path := filepath.Join(data, "vulndb", "bulwark.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := vulndb.Update(context.Background(), path, feeds, vulndb.UpdateOptions{Source: feed.Source{Mirror: "file://" + sharedTestdataDir(t)}}); err != nil {
		t.Fatal(err)
	}
}

// apiCall sends a JSON request with token and decodes the answer into out.
func apiCall(t *testing.T, c *http.Client, method, url, token string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, raw)
		}
	}
	if resp.StatusCode >= 300 && out != nil {
		t.Logf("%s %s: %d %s", method, url, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	return resp.StatusCode
}

// writeTLS writes cfg's certificate and key as PEM files for --tls-cert
// and --tls-key.
func writeTLS(t *testing.T, cfg *tls.Config) (certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	certPEM, keyPEM := pemPair(t, cfg.Certificates[0])
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func pemPair(t *testing.T, c tls.Certificate) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})
}

// tlsClient trusts caPEM.
func tlsClient(t *testing.T, caPEM []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("no CA certificate")
	}
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}
