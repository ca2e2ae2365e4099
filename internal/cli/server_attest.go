package cli

import (
	"errors"
	"time"

	"github.com/spf13/pflag"

	"github.com/bulwark-security/bulwark/internal/admission"
	"github.com/bulwark-security/bulwark/internal/attest"
)

// verifyFlags configure signature and attestation checks at admission.
type verifyFlags struct {
	keys     []string
	require  string
	passing  bool
	insecure []string
	cacheTTL time.Duration
}

var _ admission.SignatureVerifier = (*attest.Verifier)(nil)

// addVerifyFlags declares the --verify… flags on f.
func addVerifyFlags(f *pflag.FlagSet) *verifyFlags {
	v := &verifyFlags{}
	f.StringArrayVar(&v.keys, "verify-key", nil, "with --admission, also require a cosign signature or Bulwark scan attestation by this public key (PEM, e.g. cosign.pub; repeatable: any one suffices)")
	f.StringVar(&v.require, "verify-require", string(attest.RequireAny), "evidence --verify-key requires: signature (cosign sign), attestation (bulwark scan --attest --attach) or any")
	f.BoolVar(&v.passing, "verify-passing", false, "reject a scan attestation whose recorded policy decision failed")
	f.StringSliceVar(&v.insecure, "verify-insecure-registries", nil, "registries (host[:port]) read over plain HTTP or unverified TLS for signatures (loopback always allowed)")
	f.DurationVar(&v.cacheTTL, "verify-cache-ttl", 5*time.Minute, "remember a successful signature check of an image digest this long, so repeated reviews skip the registry (0: check every time)")
	return v
}

// build returns the verifier, or nil when no key is given.
func (v *verifyFlags) build(admissionOn bool) (*attest.Verifier, error) {
	if len(v.keys) == 0 {
		return nil, nil
	}
	if !admissionOn {
		return nil, errors.New("--verify-key needs --admission")
	}
	req, err := attest.ParseRequire(v.require)
	if err != nil {
		return nil, err
	}
	keys, err := attest.LoadVerifiers(v.keys...)
	if err != nil {
		return nil, err
	}
	return &attest.Verifier{Keys: keys, Require: req, RequirePassingDecision: v.passing,
		Registry: attest.Registry{InsecureRegistries: v.insecure}, CacheTTL: v.cacheTTL}, nil
}
