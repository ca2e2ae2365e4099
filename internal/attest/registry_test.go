package attest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/sigstore/sigstore/pkg/signature"
)

// testRegistry serves an in-memory registry on loopback and pushes n
// random images to it, returning the repository and their digests.
func testRegistry(t *testing.T, n int) (repo string, digests []string, reg Registry) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	repo = strings.TrimPrefix(srv.URL, "http://") + "/team/app"
	reg = Registry{Keychain: authn.NewMultiKeychain()}
	for i := range n {
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.ParseReference(repo + ":v" + string(rune('0'+i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.String())
	}
	return repo, digests, reg
}

func attestationFor(t *testing.T, digest string, sv signature.Signer) []byte {
	t.Helper()
	env, err := Attest(context.Background(), testReport(digest), Invoker{}, sv)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// writeLayer appends one layer to the cosign tag of digest, bypassing
// Attach's checks, to stage what a careless or hostile signer could push.
func writeLayer(t *testing.T, repo, digest, suffix string, data []byte, mt string, ann map[string]string) {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := cosignTag(r, digest, suffix)
	if err != nil {
		t.Fatal(err)
	}
	base, err := existing(tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: static.NewLayer(data, "x"), MediaType: v1MediaType(mt), Annotations: ann})
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
}

// signSimple writes a cosign simple-signing signature for signedDigest
// under the .sig tag of digest.
func signSimple(t *testing.T, repo, digest, signedDigest string, sv signature.Signer) {
	t.Helper()
	payload, err := json.Marshal(map[string]any{
		"critical": map[string]any{
			"identity": map[string]string{"docker-reference": repo},
			"image":    map[string]string{"docker-manifest-digest": signedDigest},
			"type":     "cosign container image signature",
		},
		"optional": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := sv.SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	writeLayer(t, repo, digest, sigSuffix, payload, SimpleSigningMediaType,
		map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)})
}

func attLayers(t *testing.T, repo, digest string) []v1.Descriptor {
	t.Helper()
	r, _ := name.NewRepository(repo)
	tag, _ := cosignTag(r, digest, attSuffix)
	img, err := remote.Image(tag)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return m.Layers
}

func TestAttachAppendsAndVerifies(t *testing.T) {
	ctx := context.Background()
	repo, digests, reg := testRegistry(t, 1)
	d := digests[0]
	_, k1 := newECDSA(t)
	_, k2 := newEd25519(t)
	tag, err := reg.Attach(ctx, repo+":v0", d, attestationFor(t, d, k1))
	if err != nil {
		t.Fatal(err)
	}
	if want := repo + ":sha256-" + strings.TrimPrefix(d, "sha256:") + ".att"; tag != want {
		t.Errorf("Attach wrote %s, want %s", tag, want)
	}
	second := attestationFor(t, d, k2)
	for range 2 { // the second write of the same envelope adds nothing
		if _, err := reg.Attach(ctx, repo, d, second); err != nil {
			t.Fatal(err)
		}
	}
	layers := attLayers(t, repo, d)
	if len(layers) != 2 {
		t.Fatalf(".att has %d layers, want 2 (appended, not replaced, not duplicated)", len(layers))
	}
	for _, l := range layers {
		if l.MediaType != DSSEMediaType || l.Annotations[PredicateAnnotation] != VulnPredicateType {
			t.Errorf("layer %s: media type %s, annotations %v", l.Digest, l.MediaType, l.Annotations)
		}
		if _, ok := l.Annotations[SignatureAnnotation]; !ok {
			t.Errorf("layer %s has no %s annotation", l.Digest, SignatureAnnotation)
		}
	}
	for name, k := range map[string]signature.Verifier{"first key": k1, "second key": k2} {
		v := &Verifier{Keys: []signature.Verifier{k}, Require: RequireAttestation, Registry: reg}
		if err := v.Verify(ctx, repo, d); err != nil {
			t.Errorf("%s: Verify: %v", name, err)
		}
	}
	// A digest the attestation does not name is refused before anything is written.
	other := "sha256:" + strings.Repeat("ab", 32)
	if _, err := reg.Attach(ctx, repo, other, second); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("Attach for another digest: error = %v, want ErrDigestMismatch", err)
	}
}

func TestVerifierCases(t *testing.T) {
	ctx := context.Background()
	repo, digests, reg := testRegistry(t, 4)
	attested, signed, stolen, bare := digests[0], digests[1], digests[2], digests[3]
	_, trusted := newECDSA(t)
	_, untrusted := newECDSA(t)
	if _, err := reg.Attach(ctx, repo, attested, attestationFor(t, attested, trusted)); err != nil {
		t.Fatal(err)
	}
	signSimple(t, repo, signed, signed, trusted)
	// Evidence for another image copied under this one's tags.
	writeLayer(t, repo, stolen, attSuffix, attestationFor(t, attested, trusted), DSSEMediaType, map[string]string{PredicateAnnotation: VulnPredicateType})
	signSimple(t, repo, stolen, signed, trusted)

	tests := []struct {
		name    string
		digest  string
		key     signature.Verifier
		require Require
		passing bool
		is      error // nil: accepted
	}{
		{"attestation, any", attested, trusted, RequireAny, false, nil},
		{"attestation, attestation", attested, trusted, RequireAttestation, false, nil},
		{"attestation only, signature required", attested, trusted, RequireSignature, false, ErrNoSignature},
		{"attestation, untrusted key", attested, untrusted, RequireAny, false, ErrUntrusted},
		{"attested scan failed its policy", attested, trusted, RequireAttestation, true, ErrPolicyFailed},
		{"signature, any", signed, trusted, RequireAny, false, nil},
		{"signature, signature", signed, trusted, RequireSignature, false, nil},
		{"signature only, attestation required", signed, trusted, RequireAttestation, false, ErrNoSignature},
		{"signature, untrusted key", signed, untrusted, RequireSignature, false, ErrUntrusted},
		{"copied attestation", stolen, trusted, RequireAttestation, false, ErrDigestMismatch},
		{"copied signature", stolen, trusted, RequireSignature, false, ErrDigestMismatch},
		{"nothing", bare, trusted, RequireAny, false, ErrNoSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Verifier{Keys: []signature.Verifier{tc.key}, Require: tc.require, RequirePassingDecision: tc.passing, Registry: reg}
			err := v.Verify(ctx, repo+"@"+tc.digest, tc.digest)
			switch {
			case tc.is == nil && err != nil:
				t.Errorf("Verify: %v", err)
			case tc.is == nil:
			case err == nil:
				t.Errorf("Verify accepted; want %v", tc.is)
			case !errors.Is(err, tc.is):
				t.Errorf("error = %v, want %v", err, tc.is)
			}
		})
	}
}

func TestVerifierBadInput(t *testing.T) {
	_, k := newECDSA(t)
	v := &Verifier{Keys: []signature.Verifier{k}}
	if err := v.Verify(context.Background(), "127.0.0.1:1/app", "sha256:abc"); err == nil || !strings.Contains(err.Error(), "sha256:abc") {
		t.Errorf("bad digest: error = %v", err)
	}
	if err := (&Verifier{}).Verify(context.Background(), "127.0.0.1:1/app", testDigest); err == nil {
		t.Error("a verifier without keys accepted")
	}
	if err := v.Verify(context.Background(), "Not A Ref!", testDigest); err == nil || !strings.Contains(err.Error(), "Not A Ref!") {
		t.Errorf("bad reference: error = %v", err)
	}
}

func TestPlainHTTPRefusedForRemoteHosts(t *testing.T) {
	rt := Registry{}.guard()
	req, _ := http.NewRequest(http.MethodGet, "http://registry.example.com/v2/", nil)
	if _, err := rt.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "plain HTTP refused") {
		t.Errorf("plain HTTP to a remote host: error = %v", err)
	}
	listed := Registry{InsecureRegistries: []string{"registry.example.com"}}
	if !listed.insecure("registry.example.com:5000") || listed.insecure("other.example.com") {
		t.Error("insecure host matching is wrong")
	}
}

func TestVerifierCache(t *testing.T) {
	ctx := context.Background()
	repo, digests, reg := testRegistry(t, 1)
	d := digests[0]
	_, k := newECDSA(t)
	cachedV := &Verifier{Keys: []signature.Verifier{k}, Registry: reg, CacheTTL: time.Hour}
	uncached := &Verifier{Keys: []signature.Verifier{k}, Registry: reg}
	// A failure is not remembered: once attested, the image passes.
	if err := cachedV.Verify(ctx, repo+":v0", d); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("before attaching: error = %v", err)
	}
	if _, err := reg.Attach(ctx, repo, d, attestationFor(t, d, k)); err != nil {
		t.Fatal(err)
	}
	if err := cachedV.Verify(ctx, repo+":v0", d); err != nil {
		t.Fatalf("after attaching: %v", err)
	}
	r, _ := name.NewRepository(repo)
	tag, _ := cosignTag(r, d, attSuffix)
	if err := remote.Delete(tag); err != nil {
		t.Fatal(err)
	}
	// Success is remembered per repository and digest, whatever the tag.
	if err := cachedV.Verify(ctx, repo+"@"+d, d); err != nil {
		t.Errorf("cached verification: %v", err)
	}
	if err := uncached.Verify(ctx, repo, d); !errors.Is(err, ErrNoSignature) {
		t.Errorf("without a cache, after deleting the attestation: error = %v", err)
	}
}
