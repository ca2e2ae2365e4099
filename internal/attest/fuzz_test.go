package attest

import (
	"context"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"
)

// FuzzVerifyEnvelope feeds arbitrary bytes where a registry layer or an
// --attest-out file would be: parsing must fail cleanly, and nothing but
// the genuine envelope may verify.
func FuzzVerifyEnvelope(f *testing.F) {
	_, sv := newECDSA(f)
	env, err := Attest(context.Background(), testReport(testDigest), Invoker{}, sv)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(env)
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AA=="}]}`))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"!!","signatures":[{"keyid":"x","sig":"!!"}]}`))
	f.Add([]byte(`null`))
	keys := []signature.Verifier{sv}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseEnvelope(b); err != nil {
			return
		}
		st, err := VerifyEnvelope(context.Background(), b, keys)
		if err == nil && !st.Covers(testDigest) {
			t.Errorf("verified a statement that does not name the signed digest")
		}
	})
}

func FuzzParseStatement(f *testing.F) {
	st, err := NewStatement(testReport(testDigest), Invoker{})
	if err != nil {
		f.Fatal(err)
	}
	b, err := jsonMarshal(st)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"x","predicate":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStatement(b)
		if err != nil {
			return
		}
		if len(st.Subject) == 0 {
			t.Error("ParseStatement accepted a statement without subjects")
		}
		st.Decision()
		st.Covers(testDigest)
	})
}

func FuzzParseSimpleSigning(f *testing.F) {
	f.Add([]byte(`{"critical":{"identity":{"docker-reference":"r/a"},"image":{"docker-manifest-digest":"` + testDigest + `"},"type":"cosign container image signature"},"optional":null}`))
	f.Add([]byte(`{"critical":{"image":{}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseSimpleSigning(b)
		if err == nil && p.Critical.Image.DockerManifestDigest == "" {
			t.Error("accepted a payload without a digest")
		}
	})
}

func FuzzParseSigner(f *testing.F) {
	k, _ := newECDSA(f)
	enc, err := EncryptKey(k, []byte("pw"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc, []byte("pw"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), []byte(nil))
	f.Fuzz(func(t *testing.T, pemBytes, password []byte) {
		_, _ = ParseSigner(pemBytes, password)
	})
}
