package attest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Verification errors; callers tell them apart with errors.Is.
var (
	// ErrNoSignature: nothing signed was found for the image.
	ErrNoSignature = errors.New("no signature found")
	// ErrUntrusted: signatures exist but none verifies with a trusted key.
	ErrUntrusted = errors.New("not signed by a trusted key")
	// ErrDigestMismatch: a trusted key signed, but for another digest.
	ErrDigestMismatch = errors.New("signed for a different digest")
	// ErrPolicyFailed: the attested scan's policy decision failed (only
	// with Verifier.RequirePassingDecision).
	ErrPolicyFailed = errors.New("the attested scan failed its policy")
)

// maxEnvelope bounds what is read from a registry or a file; a scan
// summary of a large image is a few megabytes at most.
const maxEnvelope = 32 << 20

// Sign marshals st and signs it as a DSSE envelope the way cosign attest
// does, returning the envelope's JSON.
func Sign(ctx context.Context, st *Statement, s signature.Signer) ([]byte, error) {
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encoding statement: %w", err)
	}
	env, err := sigdsse.WrapSigner(s, PayloadType).SignMessage(bytes.NewReader(payload), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing statement: %w", err)
	}
	return env, nil
}

// ParseEnvelope decodes and sanity-checks a DSSE envelope carrying an
// in-toto statement.
func ParseEnvelope(b []byte) (*ssldsse.Envelope, error) {
	if len(b) > maxEnvelope {
		return nil, fmt.Errorf("DSSE envelope: %d bytes is over the %d byte limit", len(b), maxEnvelope)
	}
	var env ssldsse.Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("DSSE envelope: %w", err)
	}
	if env.PayloadType != PayloadType {
		return nil, fmt.Errorf("DSSE envelope: payloadType %q, want %q", env.PayloadType, PayloadType)
	}
	if env.Payload == "" {
		return nil, errors.New("DSSE envelope: empty payload")
	}
	if len(env.Signatures) == 0 {
		return nil, errors.New("DSSE envelope: no signatures")
	}
	return &env, nil
}

// VerifyEnvelope checks that one of keys signed the envelope and returns
// the statement inside. It does not look at the statement's subject; see
// Statement.Covers.
func VerifyEnvelope(ctx context.Context, b []byte, keys []signature.Verifier) (*Statement, error) {
	env, err := ParseEnvelope(b)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("no trusted keys")
	}
	var adapters []ssldsse.Verifier
	for _, k := range keys {
		pub, err := k.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("trusted key: %w", err)
		}
		// An empty key ID: cosign leaves keyid empty, and a non-empty one
		// on the signature must not make us skip a trusted key.
		adapters = append(adapters, &sigdsse.VerifierAdapter{SignatureVerifier: k, Pub: pub})
	}
	ev, err := ssldsse.NewEnvelopeVerifier(adapters...)
	if err != nil {
		return nil, err
	}
	_, payload, err := ev.VerifyAndDecode(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	return ParseStatement(payload)
}

// Attest makes and signs the vulnerability attestation for r.
func Attest(ctx context.Context, r *model.Report, inv Invoker, s signature.Signer) ([]byte, error) {
	st, err := NewStatement(r, inv)
	if err != nil {
		return nil, err
	}
	return Sign(ctx, st, s)
}
