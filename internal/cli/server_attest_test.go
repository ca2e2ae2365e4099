package cli

import (
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/pflag"

	"github.com/bulwark-security/bulwark/internal/admission"
	"github.com/bulwark-security/bulwark/internal/attest"
	"github.com/bulwark-security/bulwark/internal/model"
)

// TestAdmissionVerifiesAttestations runs reviews through the webhook as
// "bulwark server --admission --verify-key" builds it: of two scanned,
// passing images, only the one with a signed attestation is admitted.
func TestAdmissionVerifiesAttestations(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/shop/web"
	var digests []string
	for _, tag := range []string{"attested", "unsigned"} {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := name.ParseReference(repo + ":" + tag)
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		digests = append(digests, d.String())
	}
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	key, pub := writeKeyPair(t, dir, "pw")
	sv, err := attest.LoadSigner(key, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	verdicts := &admission.MemoryVerdicts{}
	for _, d := range digests {
		verdicts.Put(admission.Verdict{Digest: d, Decision: model.Decision{Pass: true}, ScannedAt: time.Now()})
	}
	rep := &model.Report{Schema: model.ReportSchema, CreatedAt: time.Now(),
		Inventory: model.Inventory{Image: model.Image{Source: "registry", Name: repo, Digest: digests[0]}}}
	env, err := attest.Attest(ctx, rep, attest.Invoker{}, sv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (attest.Registry{}).Attach(ctx, repo, digests[0], env); err != nil {
		t.Fatal(err)
	}

	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	a := addAdmissionFlags(fs)
	vf := addVerifyFlags(fs)
	if err := fs.Parse([]string{"--admission", "--verify-key", pub, "--verify-require", "attestation"}); err != nil {
		t.Fatal(err)
	}
	v, err := vf.build(a.enabled)
	if err != nil {
		t.Fatal(err)
	}
	a.verifier = v
	h, _, err := a.build(nil, verdicts, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	review := func(image string) string {
		body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},
			"namespace":"shop","operation":"CREATE","object":{"metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"` + image + `"}]}}}}`
		req := httptest.NewRequest(http.MethodPost, admission.ValidatePath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.Validating().ServeHTTP(rec, req)
		out, _ := io.ReadAll(rec.Body)
		return string(out)
	}
	if out := review(repo + "@" + digests[0]); !strings.Contains(out, `"allowed":true`) {
		t.Errorf("attested image: %s", out)
	}
	if out := review(repo + "@" + digests[1]); !strings.Contains(out, `"allowed":false`) || !strings.Contains(out, "no signature found") {
		t.Errorf("unsigned image: %s", out)
	}
}
