package attest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// Require says which evidence the Verifier accepts.
type Require string

// Evidence an image may carry.
const (
	// RequireSignature: a cosign signature (sha256-<hex>.sig).
	RequireSignature Require = "signature"
	// RequireAttestation: a vulnerability-scan attestation (.att).
	RequireAttestation Require = "attestation"
	// RequireAny: either of them.
	RequireAny Require = "any"
)

// ParseRequire parses a Require value.
func ParseRequire(s string) (Require, error) {
	switch r := Require(s); r {
	case RequireSignature, RequireAttestation, RequireAny:
		return r, nil
	}
	return "", fmt.Errorf("unknown requirement %q (want signature, attestation or any)", s)
}

// Verifier accepts an image when one of Keys signed evidence for exactly
// its digest. It has the admission webhook's SignatureVerifier shape.
type Verifier struct {
	Keys    []signature.Verifier
	Require Require
	// RequirePassingDecision rejects a vulnerability attestation whose
	// recorded policy decision failed; attestations without a decision
	// are accepted on their signature alone.
	RequirePassingDecision bool
	Registry               Registry
	// CacheTTL keeps a successful verification of a repository and digest
	// for this long, so repeated admissions of a running image do not read
	// the registry each time (0: no cache). Failures are never cached: an
	// image signed a moment later is admitted on the next try.
	CacheTTL time.Duration

	mu       sync.Mutex
	verified map[string]time.Time // repo@digest → expiry
}

// maxCached bounds the verification cache; when full it starts afresh.
const maxCached = 10000

// Verify checks the image at ref (a repository, with or without tag or
// digest) and digest. A nil error means it carries the required evidence.
func (v *Verifier) Verify(ctx context.Context, ref, digest string) error {
	if len(v.Keys) == 0 {
		return errors.New("no trusted keys configured")
	}
	if _, err := sha256Hex(digest); err != nil {
		return err
	}
	req := v.Require
	if req == "" {
		req = RequireAny
	}
	key, cacheable := v.cacheKey(ref, digest)
	if cacheable && v.cached(key) {
		return nil
	}
	if err := v.verify(ctx, req, ref, digest); err != nil {
		return err
	}
	if cacheable {
		v.remember(key)
	}
	return nil
}

func (v *Verifier) verify(ctx context.Context, req Require, ref, digest string) error {
	var attErr, sigErr error
	if req == RequireAttestation || req == RequireAny {
		if attErr = v.verifyAttestations(ctx, ref, digest); attErr == nil {
			return nil
		}
	}
	if req == RequireSignature || req == RequireAny {
		if sigErr = v.verifySignatures(ctx, ref, digest); sigErr == nil {
			return nil
		}
	}
	switch {
	case attErr == nil:
		return sigErr
	case sigErr == nil:
		return attErr
	}
	// One line: the admission webhook puts it into a denial message.
	return fmt.Errorf("%w; %w", attErr, sigErr)
}

func (v *Verifier) cacheKey(ref, digest string) (string, bool) {
	if v.CacheTTL <= 0 {
		return "", false
	}
	repo, err := v.Registry.parseRepo(ref)
	if err != nil {
		return "", false
	}
	return repo.Name() + "@" + digest, true
}

func (v *Verifier) cached(key string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	exp, ok := v.verified[key]
	if ok && time.Now().After(exp) {
		delete(v.verified, key)
		return false
	}
	return ok
}

func (v *Verifier) remember(key string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verified == nil || len(v.verified) >= maxCached {
		v.verified = map[string]time.Time{}
	}
	v.verified[key] = time.Now().Add(v.CacheTTL)
}

// verifyAttestations accepts when one DSSE layer under .att is signed by a
// trusted key, is a vulnerability statement and names digest.
func (v *Verifier) verifyAttestations(ctx context.Context, ref, digest string) error {
	blobs, where, found, err := v.Registry.fetchBlobs(ctx, ref, digest, attSuffix)
	if err != nil {
		return err
	}
	var envs [][]byte
	for _, b := range blobs {
		if b.mediaType == DSSEMediaType {
			envs = append(envs, b.data)
		}
	}
	if !found || len(envs) == 0 {
		return fmt.Errorf("attestation: %w at %s", ErrNoSignature, where)
	}
	return v.verifyEnvelopes(ctx, envs, digest)
}

// VerifyAttestation checks one attestation envelope, e.g. a file written
// by bulwark scan --attest-out, against digest without a registry.
func (v *Verifier) VerifyAttestation(ctx context.Context, envelope []byte, digest string) error {
	if len(v.Keys) == 0 {
		return errors.New("no trusted keys configured")
	}
	if _, err := sha256Hex(digest); err != nil {
		return err
	}
	return v.verifyEnvelopes(ctx, [][]byte{envelope}, digest)
}

func (v *Verifier) verifyEnvelopes(ctx context.Context, envs [][]byte, digest string) error {
	var best error
	rank := 0 // keep the most telling failure: mismatch > untrusted > other
	note := func(r int, err error) {
		if r > rank || best == nil {
			rank, best = r, err
		}
	}
	for _, env := range envs {
		st, err := VerifyEnvelope(ctx, env, v.Keys)
		if err != nil {
			if errors.Is(err, ErrUntrusted) {
				note(2, err)
			} else {
				note(1, err)
			}
			continue
		}
		if st.PredicateType != VulnPredicateType {
			note(1, fmt.Errorf("predicate type %s is not %s", st.PredicateType, VulnPredicateType))
			continue
		}
		if !st.Covers(digest) {
			note(3, fmt.Errorf("%w: subject %s", ErrDigestMismatch, subjects(st)))
			continue
		}
		if v.RequirePassingDecision {
			if d, ok := st.Decision(); ok && !d.Pass {
				note(3, fmt.Errorf("%w %q", ErrPolicyFailed, d.Policy))
				continue
			}
		}
		return nil
	}
	return fmt.Errorf("attestation for %s: %w", digest, best)
}

// verifySignatures accepts when one simple-signing layer under .sig is
// signed by a trusted key and names digest.
func (v *Verifier) verifySignatures(ctx context.Context, ref, digest string) error {
	blobs, where, found, err := v.Registry.fetchBlobs(ctx, ref, digest, sigSuffix)
	if err != nil {
		return err
	}
	if !found || len(blobs) == 0 {
		return fmt.Errorf("signature: %w at %s", ErrNoSignature, where)
	}
	var best error
	for _, b := range blobs {
		err := v.checkSimpleSigning(ctx, b, digest)
		if err == nil {
			return nil
		}
		if best == nil || errors.Is(err, ErrDigestMismatch) {
			best = err
		}
	}
	return fmt.Errorf("signature for %s: %w", digest, best)
}

// SimpleSigning is cosign's signed payload ("cosign container image
// signature"); only the fields verification needs.
type SimpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// ParseSimpleSigning decodes and checks a simple-signing payload.
func ParseSimpleSigning(b []byte) (*SimpleSigning, error) {
	var p SimpleSigning
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("simple signing payload: %w", err)
	}
	if !strings.EqualFold(p.Critical.Type, "cosign container image signature") {
		return nil, fmt.Errorf("simple signing payload: type %q is not a cosign container image signature", p.Critical.Type)
	}
	if p.Critical.Image.DockerManifestDigest == "" {
		return nil, errors.New("simple signing payload: no docker-manifest-digest")
	}
	return &p, nil
}

func (v *Verifier) checkSimpleSigning(ctx context.Context, b blob, digest string) error {
	if b.mediaType != SimpleSigningMediaType {
		return fmt.Errorf("%w: layer media type %s", ErrNoSignature, b.mediaType)
	}
	sig, err := base64.StdEncoding.DecodeString(b.annotations[SignatureAnnotation])
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("%w: missing or malformed %s annotation", ErrNoSignature, SignatureAnnotation)
	}
	trusted := false
	for _, k := range v.Keys {
		if k.VerifySignature(bytes.NewReader(sig), bytes.NewReader(b.data), options.WithContext(ctx)) == nil {
			trusted = true
			break
		}
	}
	if !trusted {
		return ErrUntrusted
	}
	p, err := ParseSimpleSigning(b.data)
	if err != nil {
		return err
	}
	if got := p.Critical.Image.DockerManifestDigest; got != digest {
		return fmt.Errorf("%w: signed %s", ErrDigestMismatch, got)
	}
	return nil
}

func subjects(st *Statement) string {
	var s []string
	for _, sub := range st.Subject {
		s = append(s, sub.Name+"@sha256:"+sub.Digest["sha256"])
	}
	return strings.Join(s, ", ")
}
