package attest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	ctx := context.Background()
	_, ec := newECDSA(t)
	_, ed := newEd25519(t)
	_, other := newECDSA(t)
	for name, sv := range map[string]signature.SignerVerifier{"ecdsa-p256": ec, "ed25519": ed} {
		t.Run(name, func(t *testing.T) {
			env, err := Attest(ctx, testReport(testDigest), Invoker{}, sv)
			if err != nil {
				t.Fatal(err)
			}
			// The trusted key may sit anywhere in the list.
			st, err := VerifyEnvelope(ctx, env, []signature.Verifier{other, sv})
			if err != nil {
				t.Fatalf("VerifyEnvelope: %v", err)
			}
			if !st.Covers(testDigest) || st.PredicateType != VulnPredicateType {
				t.Errorf("verified statement = %+v", st)
			}
			// The envelope is what sigstore's own DSSE verifier accepts too.
			if err := signatureDSSEVerify(sv, env); err != nil {
				t.Errorf("sigstore dsse verifier rejects the envelope: %v", err)
			}
		})
	}
}

func TestVerifyEnvelopeRejects(t *testing.T) {
	ctx := context.Background()
	_, sv := newECDSA(t)
	_, wrong := newECDSA(t)
	env, err := Attest(ctx, testReport(testDigest), Invoker{}, sv)
	if err != nil {
		t.Fatal(err)
	}
	var e ssldsse.Envelope
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(e.Payload)
	tamper := func(f func(*ssldsse.Envelope)) []byte {
		c := e
		c.Signatures = append([]ssldsse.Signature(nil), e.Signatures...)
		f(&c)
		b, _ := json.Marshal(c)
		return b
	}
	tests := []struct {
		name string
		env  []byte
		keys []signature.Verifier
		is   error
		msg  string
	}{
		{name: "wrong key", env: env, keys: []signature.Verifier{wrong}, is: ErrUntrusted},
		{name: "tampered payload", keys: []signature.Verifier{sv}, is: ErrUntrusted, env: tamper(func(c *ssldsse.Envelope) {
			c.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"pass":false`, `"pass":true`, 1)))
		})},
		{name: "payload type changed", keys: []signature.Verifier{sv}, msg: "payloadType", env: tamper(func(c *ssldsse.Envelope) {
			c.PayloadType = "application/json"
		})},
		{name: "signature dropped", keys: []signature.Verifier{sv}, msg: "no signatures", env: tamper(func(c *ssldsse.Envelope) {
			c.Signatures = nil
		})},
		{name: "signature garbled", keys: []signature.Verifier{sv}, is: ErrUntrusted, env: tamper(func(c *ssldsse.Envelope) {
			c.Signatures[0].Sig = base64.StdEncoding.EncodeToString([]byte("not a signature"))
		})},
		{name: "no keys", env: env, msg: "no trusted keys"},
		{name: "not json", env: []byte("{"), keys: []signature.Verifier{sv}, msg: "DSSE envelope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyEnvelope(ctx, tc.env, tc.keys)
			if err == nil {
				t.Fatal("VerifyEnvelope succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error = %v, want %v", err, tc.is)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error = %v, want it to mention %q", err, tc.msg)
			}
		})
	}
}

func TestParseRequire(t *testing.T) {
	for _, s := range []string{"signature", "attestation", "any"} {
		if r, err := ParseRequire(s); err != nil || string(r) != s {
			t.Errorf("ParseRequire(%q) = %q, %v", s, r, err)
		}
	}
	if _, err := ParseRequire("both"); err == nil {
		t.Error(`ParseRequire("both") succeeded`)
	}
}

// TestCosignMadeEnvelope verifies an attestation cosign itself signed
// (testdata/README.md): Bulwark reads cosign's statement and checks its
// signature and subject like its own.
func TestCosignMadeEnvelope(t *testing.T) {
	ctx := context.Background()
	env, err := os.ReadFile(filepath.Join("testdata", "cosign-vuln.att.json"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := LoadVerifiers(filepath.Join("testdata", "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := VerifyEnvelope(ctx, env, keys)
	if err != nil {
		t.Fatal(err)
	}
	if st.PredicateType != VulnPredicateType || st.Predicate.Scanner.DB.Version != "schema-3/2026-11-20T08:00:00Z" {
		t.Errorf("statement = %+v", st)
	}
	v := &Verifier{Keys: keys}
	if err := v.VerifyAttestation(ctx, env, testDigest); err != nil {
		t.Errorf("VerifyAttestation: %v", err)
	}
	if err := v.VerifyAttestation(ctx, env, "sha256:"+strings.Repeat("0", 64)); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("another digest: error = %v, want ErrDigestMismatch", err)
	}
	_, other := newECDSA(t)
	if err := (&Verifier{Keys: []signature.Verifier{other}}).VerifyAttestation(ctx, env, testDigest); !errors.Is(err, ErrUntrusted) {
		t.Errorf("another key: error = %v, want ErrUntrusted", err)
	}
}
