package attest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// cosignFixturePassword is the password testdata/cosign.key was generated
// with (see testdata/README.md).
const cosignFixturePassword = "bulwark-test"

// TestCosignGeneratedKey loads a key pair made by cosign generate-key-pair
// and checks that signatures made with the private key verify with the
// public one.
func TestCosignGeneratedKey(t *testing.T) {
	sv, err := LoadSigner(filepath.Join("testdata", "cosign.key"), []byte(cosignFixturePassword))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := LoadVerifiers(filepath.Join("testdata", "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := Attest(context.Background(), testReport(testDigest), Invoker{}, sv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyEnvelope(context.Background(), env, vs); err != nil {
		t.Errorf("cosign.pub does not verify what cosign.key signed: %v", err)
	}
	if _, err := LoadSigner(filepath.Join("testdata", "cosign.key"), []byte("wrong")); !errors.Is(err, ErrKeyPassword) {
		t.Errorf("wrong password: error = %v, want ErrKeyPassword", err)
	}
}

func TestParseSignerFormats(t *testing.T) {
	ec, _ := newECDSA(t)
	ed, _ := newEd25519(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	encEC, err := EncryptKey(ec, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	encEd, err := EncryptKey(ed, []byte(""))
	if err != nil {
		t.Fatal(err)
	}
	// An older cosign's block type holds the same encrypted key.
	oldCosign := []byte(strings.ReplaceAll(string(encEC), "SIGSTORE", "COSIGN"))
	sigstoreEnc, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(ec, func(bool) ([]byte, error) { return []byte("s3cret"), nil })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		pem      []byte
		password string
		pub      any
	}{
		{"pkcs8 ecdsa p256", pkcs8(ec), "", ec.Public()},
		{"sec1 ecdsa p256", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), "", ec.Public()},
		{"pkcs8 ed25519", pkcs8(ed), "", ed.Public()},
		{"pkcs8 ecdsa p384", pkcs8(p384), "", p384.Public()},
		{"pkcs8 rsa", pkcs8(rsaKey), "", rsaKey.Public()},
		{"encrypted sigstore ecdsa", encEC, "s3cret", ec.Public()},
		{"encrypted cosign ecdsa", oldCosign, "s3cret", ec.Public()},
		{"encrypted empty password ed25519", encEd, "", ed.Public()},
		{"encrypted by sigstore's cryptoutils", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: sigstoreEnc}), "s3cret", ec.Public()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sv, err := ParseSigner(tc.pem, []byte(tc.password))
			if err != nil {
				t.Fatal(err)
			}
			got, err := sv.PublicKey()
			if err != nil {
				t.Fatal(err)
			}
			if !got.(interface{ Equal(x crypto.PublicKey) bool }).Equal(tc.pub) {
				t.Error("loaded key does not match")
			}
			// The matching public key PEM verifies the loaded signer's envelope.
			pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(tc.pub)
			if err != nil {
				t.Fatal(err)
			}
			v, err := ParseVerifier(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			env, err := Attest(context.Background(), testReport(testDigest), Invoker{}, sv)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := VerifyEnvelope(context.Background(), env, []signature.Verifier{v}); err != nil {
				t.Errorf("VerifyEnvelope: %v", err)
			}
		})
	}
}

func TestParseSignerErrors(t *testing.T) {
	ec, _ := newECDSA(t)
	enc, err := EncryptKey(ec, []byte("right"))
	if err != nil {
		t.Fatal(err)
	}
	corrupt := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: []byte(`{"kdf":{},"cipher":{},"ciphertext":"AA=="}`)})
	tests := []struct {
		name, pem, password string
		is                  error
		msg                 string
	}{
		{name: "not pem", pem: "hello", msg: "not a PEM"},
		{name: "wrong password", pem: string(enc), password: "wrong", is: ErrKeyPassword},
		{name: "public key given", pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", msg: "PUBLIC KEY"},
		{name: "encrypted garbage", pem: "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n", msg: "not a cosign encrypted key"},
		{name: "encrypted unsupported kdf", pem: string(corrupt), msg: "decrypting"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSigner([]byte(tc.pem), []byte(tc.password))
			if err == nil {
				t.Fatal("ParseSigner succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error = %v, want %v", err, tc.is)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error = %v, want it to mention %q", err, tc.msg)
			}
		})
	}
	if _, err := LoadSigner(filepath.Join(t.TempDir(), "missing.key"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error = %v", err)
	}
	if _, err := LoadVerifiers(filepath.Join("testdata", "cosign.key")); err == nil {
		t.Error("LoadVerifiers accepted a private key file")
	}
}

func TestPasswordFromEnv(t *testing.T) {
	t.Setenv(PasswordEnv, "from-env")
	if got := string(PasswordFromEnv()); got != "from-env" {
		t.Errorf("PasswordFromEnv() = %q", got)
	}
}
