package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/sqlite"
)

// TestServerOverTLS serves the API over HTTPS with a certificate from a
// private CA, and checks that the CLI's client refuses the server until
// BULWARK_CA_CERT names that CA, then talks to it.
func TestServerOverTLS(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile := writeTestPKI(t, dir)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret := server.NewTokenSecret()
	if err := st.PutToken(ctx, store.Token{Name: "ci", Hash: server.HashToken(secret), Scopes: []store.Scope{store.ScopeRead}}); err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{Store: st})
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- srv.Run(ctx, server.RunOptions{Listen: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile, Ready: func(a net.Addr) { addrc <- a }})
	}()
	base := "https://" + (<-addrc).String()

	var images []store.ImageSummary
	t.Setenv("BULWARK_CA_CERT", "")
	c, err := newServerClient(base, secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/images", nil, &images); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("GET without the private CA = %v, want a certificate error", err)
	}

	t.Setenv("BULWARK_CA_CERT", caFile)
	if c, err = newServerClient(base, secret); err != nil {
		t.Fatal(err)
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/images", nil, &images); err != nil {
		t.Errorf("GET with BULWARK_CA_CERT = %v", err)
	}
	// Plain HTTP to the TLS port is refused rather than answered.
	if resp, err := http.Get(strings.Replace(base, "https", "http", 1) + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP to the TLS listener answered 200")
		}
	}

	t.Setenv("BULWARK_CA_CERT", certFile+".missing")
	if _, err := newServerClient(base, secret); err == nil || !strings.Contains(err.Error(), "BULWARK_CA_CERT") {
		t.Errorf("missing CA file: error %v, want one naming BULWARK_CA_CERT", err)
	}
	t.Setenv("BULWARK_CA_CERT", keyFile)
	if _, err := newServerClient(base, secret); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("CA file without a certificate: error %v", err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

// writeTestPKI writes a CA certificate and a server certificate and key
// for 127.0.0.1 signed by it.
func writeTestPKI(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bulwark test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "bulwark"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", leafDER), write("server-key.pem", "EC PRIVATE KEY", keyDER)
}
