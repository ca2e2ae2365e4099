package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeSelfSigned writes a self-signed certificate for cn and its key.
func writeSelfSigned(t *testing.T, certFile, keyFile, cn string, mod time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{certFile, keyFile} {
		if err := os.Chtimes(f, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
}

func servedCN(t *testing.T, r *certReloader) string {
	t.Helper()
	c, err := r.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

func TestCertReloader(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	t0 := time.Now().Add(-time.Hour)
	writeSelfSigned(t, cert, key, "first", t0)
	r, err := newCertReloader(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	r.every = 0
	if got := servedCN(t, r); got != "first" {
		t.Fatalf("served %q, want first", got)
	}

	writeSelfSigned(t, cert, key, "rotated", t0.Add(time.Minute))
	if got := servedCN(t, r); got != "rotated" {
		t.Errorf("after rotation served %q, want rotated", got)
	}

	// A broken rotation (key no longer matches) keeps the last good pair.
	os.WriteFile(key, []byte("not a key"), 0o600)
	os.Chtimes(key, t0.Add(2*time.Minute), t0.Add(2*time.Minute))
	if got := servedCN(t, r); got != "rotated" {
		t.Errorf("after a broken rotation served %q, want the last good one", got)
	}
	if r.Err() == nil {
		t.Error("a broken rotation reported no error")
	}

	if _, err := newCertReloader(filepath.Join(dir, "missing.crt"), key); err == nil {
		t.Error("a missing certificate file was accepted")
	}
}
