package server_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/rescan"
	"github.com/bulwark-security/bulwark/internal/server"
)

func TestRunServesAndStops(t *testing.T) {
	f := newFixture(t)
	srv := server.New(server.Config{Store: f.store, Matcher: nil, Rescanner: f.rs})
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- srv.Run(ctx, server.RunOptions{Listen: "127.0.0.1:0", Ready: func(a net.Addr) { addrc <- a },
			Deliverer: &rescan.Deliverer{Outbox: f.store, Sinks: map[string]rescan.Sink{}}, DeliverEvery: 10 * time.Millisecond})
	}()
	addr := <-addrc
	resp, err := http.Get("http://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz = %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + addr.String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz without a vulnerability DB = %d, want 503", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestRunRejectsHalfTLS(t *testing.T) {
	srv := server.New(server.Config{})
	if err := srv.Run(context.Background(), server.RunOptions{Listen: "127.0.0.1:0", TLSCert: "cert.pem"}); err == nil {
		t.Error("Run with --tls-cert and no --tls-key succeeded")
	}
}
