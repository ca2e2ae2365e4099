package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/attest"
)

func newVerifyCmd(g *globals) *cobra.Command {
	var (
		keys        []string
		require     string
		passing     bool
		insecure    []string
		attestation string
	)
	cmd := &cobra.Command{
		Use:   "verify REF",
		Short: "Check that an image carries a cosign signature or scan attestation by a trusted key",
		Long: `Verify checks the evidence "bulwark server --admission --verify-key" checks, from a
shell or a CI job: a cosign signature (<repo>:sha256-<hex>.sig) or a vulnerability-scan
attestation (<repo>:sha256-<hex>.att, made by "bulwark scan image --attest --attach" or
"cosign attest --type vuln") signed by one of the --key public keys for exactly the
image's digest. No transparency log and no network beyond the registry are used.

With --attestation FILE (from "bulwark scan image --attest-out FILE") nothing is read
from a registry: REF must name the digest (REPO@sha256:…), and the file is checked
against it, which suits air-gapped hand-offs.

Exit codes: 0 verified, 1 not verified (no signature, untrusted key, other digest,
failed attested policy), 2 usage error, 3 registry unreachable.`,
		Example: `  bulwark verify registry.local/web:1.4 --key cosign.pub
  bulwark verify registry.local/web@sha256:… --key cosign.pub --require attestation --require-passing
  bulwark verify registry.local/web@sha256:… --key cosign.pub --attestation scan.att.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := args[0]
			if len(keys) == 0 {
				return usageErr(errors.New("--key is required (a PEM public key such as cosign.pub)"))
			}
			req, err := attest.ParseRequire(require)
			if err != nil {
				return usageErr(fmt.Errorf("--require: %w", err))
			}
			vs, err := attest.LoadVerifiers(keys...)
			if err != nil {
				return usageErr(err)
			}
			v := &attest.Verifier{Keys: vs, Require: req, RequirePassingDecision: passing,
				Registry: attest.Registry{InsecureRegistries: insecure}}
			ctx := cmd.Context()
			var digest string
			if attestation != "" {
				_, d, ok := strings.Cut(ref, "@")
				if !ok {
					return usageErr(fmt.Errorf("%s: with --attestation, name the digest: REPO@sha256:…", ref))
				}
				env, err := os.ReadFile(attestation)
				if err != nil {
					return usageErr(fmt.Errorf("--attestation: %w", err))
				}
				digest, err = d, v.VerifyAttestation(ctx, env, d)
				if err != nil {
					return verifyErr(err)
				}
			} else {
				if digest, err = v.Registry.Digest(ctx, ref); err != nil {
					return opErr(err)
				}
				if err := v.Verify(ctx, ref, digest); err != nil {
					return verifyErr(err)
				}
			}
			if !g.quiet {
				fmt.Fprintf(g.stderr, "bulwark: %s (%s) verified\n", ref, digest)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&keys, "key", nil, "trusted public key (PEM, e.g. cosign.pub); repeatable: any one suffices")
	f.StringVar(&require, "require", string(attest.RequireAny), "evidence to require: signature, attestation or any")
	f.BoolVar(&passing, "require-passing", false, "reject a scan attestation whose recorded policy decision failed")
	f.StringArrayVar(&insecure, "insecure-registry", nil, "allow plain HTTP and unverified TLS for this registry host[:port] (repeatable; loopback is always allowed plain HTTP)")
	f.StringVar(&attestation, "attestation", "", "verify this attestation file (DSSE envelope JSON) instead of reading the registry")
	return cmd
}

// verifyErr maps a failed verification to exit 1 and anything else (a
// registry that cannot be read) to exit 3.
func verifyErr(err error) error {
	for _, e := range []error{attest.ErrNoSignature, attest.ErrUntrusted, attest.ErrDigestMismatch, attest.ErrPolicyFailed} {
		if errors.Is(err, e) {
			return &exitError{code: ExitPolicy, err: fmt.Errorf("not verified: %w", err)}
		}
	}
	if strings.Contains(err.Error(), "DSSE envelope") || strings.Contains(err.Error(), "in-toto statement") {
		return &exitError{code: ExitPolicy, err: fmt.Errorf("not verified: %w", err)}
	}
	return opErr(err)
}
