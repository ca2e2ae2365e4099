//go:build integration

package attest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/signature"
)

// TestCosignInterop checks Bulwark's attestations and verifier against the
// real cosign CLI (scripts/cosign-build.sh) and a real registry with basic
// auth (scripts/start-registry.sh): cosign accepts what Bulwark attaches,
// Bulwark accepts what cosign signs and attests, and neither accepts a key
// that did not sign.
func TestCosignInterop(t *testing.T) {
	cosign := cosignBinary(t)
	host := startRegistry(t)
	ctx := context.Background()

	keys := t.TempDir()
	other := t.TempDir()
	password := "interop-" + strings.ReplaceAll(host, ":", "-")
	t.Setenv(PasswordEnv, password)
	runCosign(t, cosign, keys, "generate-key-pair")
	runCosign(t, cosign, other, "generate-key-pair")

	signer, err := LoadSigner(filepath.Join(keys, "cosign.key"), PasswordFromEnv())
	if err != nil {
		t.Fatalf("loading the key cosign generated: %v", err)
	}
	trusted, err := LoadVerifiers(filepath.Join(keys, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	untrusted, err := LoadVerifiers(filepath.Join(other, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	repo := host + "/bulwark-test/interop"
	reg := Registry{} // credentials come from DOCKER_CONFIG, like cosign's
	verify := func(keys []signature.Verifier, req Require, digest string) error {
		v := &Verifier{Keys: keys, Require: req, Registry: reg}
		return v.Verify(ctx, repo+"@"+digest, digest)
	}

	t.Run("cosign verifies bulwark's attestation", func(t *testing.T) {
		digest := pushRandom(t, repo+":attested")
		env, err := Attest(ctx, testReport(digest), Invoker{URI: "https://ci.example/job/1"}, signer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Attach(ctx, repo, digest, env); err != nil {
			t.Fatal(err)
		}
		out := runCosign(t, cosign, keys, "verify-attestation", "--key", "cosign.pub", "--type", "vuln",
			"--insecure-ignore-tlog=true", "--allow-insecure-registry", repo+"@"+digest)
		if !strings.Contains(out, `"payloadType":"`+PayloadType+`"`) {
			t.Errorf("cosign verify-attestation printed no attestation:\n%s", out)
		}
		if _, err := cosignErr(cosign, other, "verify-attestation", "--key", "cosign.pub", "--type", "vuln",
			"--insecure-ignore-tlog=true", "--allow-insecure-registry", repo+"@"+digest); err == nil {
			t.Error("cosign verify-attestation accepted a key that did not sign")
		}
		if err := verify(trusted, RequireAttestation, digest); err != nil {
			t.Errorf("bulwark Verify: %v", err)
		}
		if err := verify(untrusted, RequireAny, digest); !errors.Is(err, ErrUntrusted) {
			t.Errorf("bulwark Verify with another key: error = %v, want ErrUntrusted", err)
		}
	})

	t.Run("bulwark verifies cosign sign", func(t *testing.T) {
		digest := pushRandom(t, repo+":signed")
		runCosign(t, cosign, keys, "sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-insecure-registry", "--yes", repo+"@"+digest)
		if err := verify(trusted, RequireSignature, digest); err != nil {
			t.Errorf("Verify: %v", err)
		}
		if err := verify(trusted, RequireAttestation, digest); !errors.Is(err, ErrNoSignature) {
			t.Errorf("Verify requiring an attestation of a signed-only image: error = %v, want ErrNoSignature", err)
		}
		if err := verify(untrusted, RequireSignature, digest); !errors.Is(err, ErrUntrusted) {
			t.Errorf("Verify with another key: error = %v, want ErrUntrusted", err)
		}
	})

	t.Run("bulwark verifies cosign attest", func(t *testing.T) {
		digest := pushRandom(t, repo+":cosign-attested")
		st, err := NewStatement(testReport(digest), Invoker{})
		if err != nil {
			t.Fatal(err)
		}
		pred, err := jsonMarshal(st.Predicate)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(keys, "vuln.json"), pred, 0o600); err != nil {
			t.Fatal(err)
		}
		runCosign(t, cosign, keys, "attest", "--key", "cosign.key", "--type", "vuln", "--predicate", "vuln.json",
			"--tlog-upload=false", "--allow-insecure-registry", "--yes", repo+"@"+digest)
		if err := verify(trusted, RequireAttestation, digest); err != nil {
			t.Errorf("Verify: %v", err)
		}
		// Attaching Bulwark's own attestation appends to cosign's.
		env, err := Attest(ctx, testReport(digest), Invoker{}, signer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Attach(ctx, repo, digest, env); err != nil {
			t.Fatal(err)
		}
		r, _ := name.NewRepository(repo)
		tag, _ := cosignTag(r, digest, attSuffix)
		img, err := remote.Image(tag, remote.WithAuthFromKeychain(authn.DefaultKeychain))
		if err != nil {
			t.Fatal(err)
		}
		if m, err := img.Manifest(); err != nil || len(m.Layers) != 2 {
			t.Errorf(".att after cosign attest and bulwark attach: %v layers, err %v; want 2", len(m.Layers), err)
		}
		runCosign(t, cosign, keys, "verify-attestation", "--key", "cosign.pub", "--type", "vuln",
			"--insecure-ignore-tlog=true", "--allow-insecure-registry", repo+"@"+digest)
	})

	t.Run("unsigned image", func(t *testing.T) {
		digest := pushRandom(t, repo+":bare")
		if err := verify(trusted, RequireAny, digest); !errors.Is(err, ErrNoSignature) {
			t.Errorf("Verify: error = %v, want ErrNoSignature", err)
		}
	})
}

// cosignBinary returns the cosign CLI: $BULWARK_COSIGN, or the one
// scripts/cosign-build.sh builds and caches.
func cosignBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BULWARK_COSIGN"); p != "" {
		return p
	}
	out, err := exec.Command(filepath.Join("..", "..", "scripts", "cosign-build.sh")).Output()
	if err != nil {
		missing(t, "scripts/cosign-build.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// startRegistry starts a registry with basic auth on a free loopback port
// and writes its credentials to a fresh DOCKER_CONFIG, which both cosign
// and Bulwark read.
func startRegistry(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, ps, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	user, pass := "bulwark", "attest-"+ps
	out, err := exec.Command(filepath.Join("..", "..", "scripts", "start-registry.sh"), ps, user, pass).Output()
	if err != nil {
		missing(t, "start-registry.sh: %v", err)
	}
	if i := strings.LastIndex(string(out), "STATE_DIR="); i >= 0 {
		if state := strings.TrimSpace(string(out)[i+len("STATE_DIR="):]); state != "" {
			t.Cleanup(func() {
				if pid, err := os.ReadFile(filepath.Join(state, "pid")); err == nil {
					_ = exec.Command("kill", strings.TrimSpace(string(pid))).Run()
				}
				os.RemoveAll(state)
			})
		}
	}
	host := "127.0.0.1:" + ps
	cfg := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", cfg)
	return host
}

func pushRandom(t *testing.T, ref string) string {
	t.Helper()
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// cosignErr runs cosign in dir (where its key files are) and returns its
// combined output.
func cosignErr(bin, dir string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func runCosign(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	out, err := cosignErr(bin, dir, args...)
	if err != nil {
		t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}
