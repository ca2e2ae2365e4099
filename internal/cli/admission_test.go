package cli

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/bulwark-security/bulwark/internal/admission"
)

func TestAdmissionFlagsBuild(t *testing.T) {
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	a := addAdmissionFlags(fs)
	if err := fs.Parse([]string{"--admission", "--admission-max-scan-age=24h", "--admission-allowed-registries=registry.local",
		"--admission-server-url=https://bulwark:8443"}); err != nil {
		t.Fatal(err)
	}
	if !a.enabled || a.maxScanAge != 24*time.Hour || len(a.exemptNS) != 1 || a.exemptNS[0] != "kube-system" {
		t.Fatalf("flags = %+v", a)
	}
	var logs bytes.Buffer
	h, cache, err := a.build(nil, &admission.MemoryVerdicts{}, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil || cache == nil {
		t.Fatal(err)
	}
	body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},
		"namespace":"shop","operation":"CREATE","object":{"metadata":{"name":"web","annotations":{"bulwark.dev/break-glass":"INC-7"}},
		"spec":{"containers":[{"name":"app","image":"docker.io/library/nginx@sha256:1111111111111111111111111111111111111111111111111111111111111111"}]}}}}`
	req := httptest.NewRequest(http.MethodPost, admission.ValidatePath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.Validating().ServeHTTP(rec, req)
	out, _ := io.ReadAll(rec.Body)
	if !strings.Contains(string(out), `"allowed":true`) || !strings.Contains(string(out), "registry index.docker.io is not allowed") {
		t.Errorf("break-glass review: %s", out)
	}
	if !strings.Contains(logs.String(), "admission bypassed") || !strings.Contains(logs.String(), "reason=INC-7") {
		t.Errorf("no audit log line: %s", logs.String())
	}
}
