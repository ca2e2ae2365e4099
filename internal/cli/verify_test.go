package cli

import (
	"bytes"
	"context"
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

	"github.com/bulwark-security/bulwark/internal/attest"
	"github.com/bulwark-security/bulwark/internal/model"
)

func TestVerifyCommand(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/acme/web"
	push := func(tag string) string {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := name.ParseReference(repo + ":" + tag)
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		return d.String()
	}
	signed, bare := push("signed"), push("bare")
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv(attest.PasswordEnv, "pw")
	key, pub := writeKeyPair(t, dir, "pw")
	_, otherPub := writeKeyPair(t, t.TempDir(), "pw")
	sv, err := attest.LoadSigner(key, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	rep := &model.Report{Schema: model.ReportSchema, CreatedAt: time.Now(),
		Inventory: model.Inventory{Image: model.Image{Source: "registry", Name: repo, Digest: signed}},
		Decision:  &model.Decision{Pass: false, Policy: "prod"}}
	env, err := attest.Attest(ctx, rep, attest.Invoker{}, sv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (attest.Registry{}).Attach(ctx, repo, signed, env); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, "scan.att.json")
	if err := os.WriteFile(envFile, env, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"by tag", []string{repo + ":signed", "--key", pub}, ExitOK, "verified"},
		{"by digest", []string{repo + "@" + signed, "--key", otherPub, "--key", pub}, ExitOK, "verified"},
		{"signature required", []string{repo + ":signed", "--key", pub, "--require", "signature"}, ExitPolicy, "no signature found"},
		{"untrusted key", []string{repo + ":signed", "--key", otherPub}, ExitPolicy, "not signed by a trusted key"},
		{"failed attested policy", []string{repo + ":signed", "--key", pub, "--require-passing"}, ExitPolicy, `failed its policy "prod"`},
		{"unsigned", []string{repo + ":bare", "--key", pub}, ExitPolicy, "no signature found"},
		{"file", []string{repo + "@" + signed, "--key", pub, "--attestation", envFile}, ExitOK, "verified"},
		{"file, other digest", []string{repo + "@" + bare, "--key", pub, "--attestation", envFile}, ExitPolicy, "different digest"},
		{"file without digest", []string{repo + ":signed", "--key", pub, "--attestation", envFile}, ExitUsage, "REPO@sha256"},
		{"no key", []string{repo + ":signed"}, ExitUsage, "--key is required"},
		{"bad require", []string{repo + ":signed", "--key", pub, "--require", "x"}, ExitUsage, "--require"},
		{"unknown tag", []string{repo + ":nope", "--key", pub}, ExitOperational, "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(append([]string{"verify"}, tc.args...), nil, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr.String(), tc.code, tc.msg)
			}
		})
	}
}
