package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/spf13/pflag"

	"github.com/bulwark-security/bulwark/internal/attest"
	"github.com/bulwark-security/bulwark/internal/model"
)

// writeKeyPair writes a cosign-format key pair (password pw) into dir.
func writeKeyPair(t *testing.T, dir, pw string) (keyPath, pubPath string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := attest.EncryptKey(k, []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	keyPath, pubPath = filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	if err := os.WriteFile(keyPath, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	return keyPath, pubPath
}

func TestAttestFlagsPrepare(t *testing.T) {
	dir := t.TempDir()
	key, _ := writeKeyPair(t, dir, "pw")
	t.Setenv(attest.PasswordEnv, "pw")
	tests := []struct {
		name string
		o    attestOptions
		msg  string // "" means no error
	}{
		{"off", attestOptions{}, ""},
		{"key without attest", attestOptions{key: key}, "need --attest"},
		{"attach without attest", attestOptions{attach: true}, "need --attest"},
		{"no key", attestOptions{enabled: true, out: "x"}, "needs --key"},
		{"no destination", attestOptions{enabled: true, key: key}, "--attest-out FILE, --attach"},
		{"missing key file", attestOptions{enabled: true, key: filepath.Join(dir, "nope.key"), out: "x"}, "nope.key"},
		{"ok", attestOptions{enabled: true, key: key, attach: true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.prepare()
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("prepare: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("prepare error = %v, want it to mention %q", err, tc.msg)
			}
		})
	}
	t.Setenv(attest.PasswordEnv, "wrong")
	o := attestOptions{enabled: true, key: key, out: "x"}
	if err := o.prepare(); !errors.Is(err, attest.ErrKeyPassword) {
		t.Errorf("wrong COSIGN_PASSWORD: error = %v", err)
	}
}

func TestScanAttestOutAndAttach(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/acme/web"
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(repo + ":1")
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir) // no credentials needed; none leak in from the host
	t.Setenv(attest.PasswordEnv, "pw")
	key, pub := writeKeyPair(t, dir, "pw")
	out := filepath.Join(dir, "scan.att.json")
	var o attestOptions
	o.addFlags(pflag.NewFlagSet("scan", pflag.ContinueOnError))
	o.enabled, o.key, o.out, o.attach = true, key, out, true
	if err := o.prepare(); err != nil {
		t.Fatal(err)
	}
	rep := &model.Report{Schema: model.ReportSchema, CreatedAt: time.Now(),
		Inventory: model.Inventory{Image: model.Image{Ref: repo + ":1", Source: "registry", Name: repo, Digest: d.String()}},
		Decision:  &model.Decision{Pass: true}}
	var stderr bytes.Buffer
	g := &globals{stderr: &stderr, stdout: io.Discard}
	if err := o.attest(ctx, g, rep, &pushOptions{ciJobURL: "https://ci.example/9"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "sha256-"+d.Hex+".att") {
		t.Errorf("stderr = %q, want the attestation tag", stderr.String())
	}
	env, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := attest.LoadVerifiers(pub)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.VerifyEnvelope(ctx, env, keys)
	if err != nil {
		t.Fatalf("--attest-out file: %v", err)
	}
	if st.Predicate.Invocation.URI != "https://ci.example/9" {
		t.Errorf("invocation uri = %q", st.Predicate.Invocation.URI)
	}
	v := &attest.Verifier{Keys: keys, Require: attest.RequireAttestation}
	if err := v.Verify(ctx, repo, d.String()); err != nil {
		t.Errorf("attached attestation does not verify: %v", err)
	}

	// --attach needs a registry image.
	rep.Inventory.Image.Source = "docker-archive"
	if err := o.attest(ctx, g, rep, &pushOptions{}); err == nil || !strings.Contains(err.Error(), "not a registry image") {
		t.Errorf("--attach of a docker archive: error = %v", err)
	}
	// Without a manifest digest there is nothing to attest.
	o.attach = false
	rep.Inventory.Image.Digest = ""
	if err := o.attest(ctx, g, rep, &pushOptions{}); err == nil || !strings.Contains(err.Error(), "manifest digest") {
		t.Errorf("no digest: error = %v", err)
	}
}

func TestVerifyFlagsBuild(t *testing.T) {
	dir := t.TempDir()
	_, pub := writeKeyPair(t, dir, "")
	if v, err := (&verifyFlags{require: "any"}).build(true); v != nil || err != nil {
		t.Errorf("no keys: %v, %v; want no verifier", v, err)
	}
	for name, tc := range map[string]struct {
		f         verifyFlags
		admission bool
		msg       string
	}{
		"without admission": {verifyFlags{keys: []string{pub}, require: "any"}, false, "needs --admission"},
		"bad requirement":   {verifyFlags{keys: []string{pub}, require: "both"}, true, "both"},
		"missing key":       {verifyFlags{keys: []string{filepath.Join(dir, "x.pub")}, require: "any"}, true, "x.pub"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := tc.f.build(tc.admission); err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("build error = %v, want it to mention %q", err, tc.msg)
			}
		})
	}
	v, err := (&verifyFlags{keys: []string{pub, pub}, require: "signature", passing: true}).build(true)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Keys) != 2 || v.Require != attest.RequireSignature || !v.RequirePassingDecision {
		t.Errorf("verifier = %+v", v)
	}
}
