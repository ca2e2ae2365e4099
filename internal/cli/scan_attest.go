package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/pflag"

	"github.com/bulwark-security/bulwark/internal/attest"
	"github.com/bulwark-security/bulwark/internal/model"
)

// attestOptions are the scan flags that sign the result as a cosign
// vulnerability attestation and write or attach it.
type attestOptions struct {
	enabled bool
	key     string
	out     string
	attach  bool
	flags   *pflag.FlagSet // to read "scan image"'s --insecure-registry
	signer  signature.SignerVerifier
}

func (o *attestOptions) addFlags(f *pflag.FlagSet) {
	o.flags = f
	f.BoolVar(&o.enabled, "attest", false, "sign the scan result as an in-toto statement with cosign's vulnerability predicate (DSSE); needs --key and --attest-out or --attach (see docs/attestations.md)")
	f.StringVar(&o.key, "key", "", "private key for --attest: a cosign.key (password in env "+attest.PasswordEnv+") or a PEM ECDSA, Ed25519 or RSA key")
	f.StringVar(&o.out, "attest-out", "", "write the signed attestation (DSSE envelope JSON) to this file; - for stdout")
	f.BoolVar(&o.attach, "attach", false, "attach the signed attestation to the scanned registry image under cosign's tag scheme (<repo>:sha256-<hex>.att)")
}

// prepare checks the flags and loads the key before the scan starts, so a
// wrong password fails at once rather than after a long scan.
func (o *attestOptions) prepare() error {
	if !o.enabled {
		if o.key != "" || o.out != "" || o.attach {
			return errors.New("--key, --attest-out and --attach need --attest")
		}
		return nil
	}
	if o.key == "" {
		return errors.New("--attest needs --key (a cosign.key or a PEM private key)")
	}
	if o.out == "" && !o.attach {
		return errors.New("--attest needs --attest-out FILE, --attach, or both")
	}
	sv, err := attest.LoadSigner(o.key, attest.PasswordFromEnv())
	if err != nil {
		return err
	}
	o.signer = sv
	return nil
}

// attest signs rep and writes or attaches the envelope. The result is
// attested whether the policy passed or not: the statement records the
// decision, and a verifier decides what it accepts (bulwark server
// --verify-passing, or a policy over the attestation).
func (o *attestOptions) attest(ctx context.Context, g *globals, rep *model.Report, push *pushOptions) error {
	if !o.enabled {
		return nil
	}
	img := rep.Inventory.Image
	if o.attach && img.Source != "registry" {
		return usageErr(fmt.Errorf("--attach: %s is not a registry image (source %s); scan it from the registry, or use --attest-out and attach the file with cosign attach attestation", img.Ref, img.Source))
	}
	inv := attest.Invoker{URI: push.ciJobURL, EventID: push.gitCommit}
	if inv.URI == "" {
		inv.URI = ciJobURL(os.Getenv)
	}
	if inv.EventID == "" {
		inv.EventID = firstEnv(os.Getenv, "GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT", "CIRCLE_SHA1", "BUILDKITE_COMMIT")
	}
	env, err := attest.Attest(ctx, rep, inv, o.signer)
	if err != nil {
		return usageErr(fmt.Errorf("--attest: %w", err))
	}
	if o.out != "" {
		if err := writeOutput(g.stdout, o.out, func(w ioWriter) error {
			_, err := w.Write(append(env, '\n'))
			return err
		}); err != nil {
			return err
		}
	}
	if o.attach {
		var insecure []string
		if o.flags != nil {
			insecure, _ = o.flags.GetStringArray("insecure-registry")
		}
		reg := attest.Registry{InsecureRegistries: insecure}
		tag, err := reg.Attach(ctx, img.Name, img.Digest, env)
		if err != nil {
			return opErr(fmt.Errorf("--attach: %w", err))
		}
		if !g.quiet {
			fmt.Fprintf(g.stderr, "bulwark: attached the signed scan attestation to %s as %s\n", img.Name+"@"+img.Digest, tag)
		}
	}
	return nil
}
