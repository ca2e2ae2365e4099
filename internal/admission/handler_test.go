package admission

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/policy"
)

func failOnHigh() *policy.Policy {
	return &policy.Policy{Name: "prod", Rules: policy.Rules{FailOn: "high"}, Overrides: []policy.Override{
		{Name: "legacy", Namespaces: []string{"legacy"}, Rules: policy.Rules{FailOn: "critical"}},
	}}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		obj     runtime.Object
		allowed bool
		// msg must appear in the denial, or in the warnings when allowed.
		msg string
	}{
		{name: "passing pod", obj: pod("shop", nil, "registry.local/web:1.4"), allowed: true},
		{name: "passing pinned pod", obj: pod("shop", nil, "registry.local/web:1.4@"+digestPass), allowed: true},
		{name: "unscanned", obj: pod("shop", nil, "registry.local/new:0.1"),
			msg: "bulwark: image registry.local/new:0.1 (" + digestNew + ") has not been scanned; run: bulwark scan image registry.local/new:0.1 --server https://bulwark.example"},
		{name: "unscanned by digest only", obj: pod("shop", nil, "registry.local/new@"+digestNew),
			msg: "run: bulwark scan image registry.local/new@" + digestNew + " --server"},
		{name: "failing names the rule", cfg: Config{Policy: failOnHigh()}, obj: pod("shop", nil, "registry.local/api:2.0"),
			msg: `image registry.local/api:2.0 (` + digestFail + `) fails policy "prod": failOn: 1 finding(s) at or above HIGH (CVE-2024-3094)`},
		{name: "stored decision without a policy", obj: pod("shop", nil, "registry.local/api:2.0"), msg: "fails policy (default): the stored decision failed"},
		{name: "namespace override passes", cfg: Config{Policy: failOnHigh()}, obj: pod("legacy", nil, "registry.local/api:2.0"), allowed: true},
		{name: "deployment template", cfg: Config{Policy: failOnHigh()}, obj: deployment("shop", "registry.local/web:1.4", "registry.local/api:2.0"), msg: "fails policy"},
		{name: "cronjob template", obj: cronJob("shop", "registry.local/new:0.1"), msg: "has not been scanned"},
		{name: "exempt namespace", cfg: Config{ExemptNamespaces: []string{"kube-*"}}, obj: pod("kube-system", nil, "registry.local/new:0.1"), allowed: true},
		{name: "audit mode warns", cfg: Config{Audit: true}, obj: pod("shop", nil, "registry.local/new:0.1"), allowed: true,
			msg: "bulwark: audit mode, would deny: image registry.local/new:0.1"},
		{name: "audit namespace warns", cfg: Config{AuditNamespaces: []string{"staging"}}, obj: pod("staging", nil, "registry.local/new:0.1"), allowed: true, msg: "audit mode"},
		{name: "other namespaces still enforce", cfg: Config{AuditNamespaces: []string{"staging"}}, obj: pod("shop", nil, "registry.local/new:0.1"), msg: "has not been scanned"},
		{name: "break-glass admits", obj: pod("shop", map[string]string{BreakGlassAnnotation: "INC-42 hotfix"}, "registry.local/new:0.1"), allowed: true,
			msg: "break-glass (INC-42 hotfix), admitted despite: image registry.local/new:0.1"},
		{name: "break-glass needs a reason", obj: pod("shop", map[string]string{BreakGlassAnnotation: " "}, "registry.local/new:0.1"), msg: "needs a reason"},
		{name: "registry not allowed", cfg: Config{AllowedRegistries: []string{"registry.local"}}, obj: pod("shop", nil, "other.example/web:1.4"),
			msg: "image other.example/web:1.4: registry other.example is not allowed (allowed: registry.local)"},
		{name: "docker hub short name not allowed", cfg: Config{AllowedRegistries: []string{"registry.local"}}, obj: pod("shop", nil, "nginx"),
			msg: "registry index.docker.io is not allowed"},
		{name: "unresolvable fails closed", obj: pod("shop", nil, "registry.local/gone:1"), msg: "image registry.local/gone:1: cannot resolve it to a digest: MANIFEST_UNKNOWN"},
		{name: "scan too old", cfg: Config{MaxScanAge: 30 * time.Minute}, obj: pod("shop", nil, "registry.local/web:1.4"),
			msg: "was last scanned 1h0m0s ago, more than the 30m0s allowed; run: bulwark scan image registry.local/web:1.4"},
		{name: "db too old", cfg: Config{MaxDBAge: time.Hour}, obj: pod("shop", nil, "registry.local/web:1.4"), msg: "vulnerability data built 6h0m0s ago"},
		{name: "db fresh enough", cfg: Config{MaxDBAge: 24 * time.Hour, MaxScanAge: 48 * time.Hour}, obj: pod("shop", nil, "registry.local/web:1.4"), allowed: true},
		{name: "unsigned", cfg: Config{Verifier: rejectAll{}}, obj: pod("shop", nil, "registry.local/web:1.4"),
			msg: "image registry.local/web:1.4 (" + digestPass + "): no valid signature: no signatures found for registry.local/web@" + digestPass},
		{name: "signed", cfg: Config{Verifier: acceptAll{}}, obj: pod("shop", nil, "registry.local/web:1.4"), allowed: true},
		{name: "bad reference", obj: pod("shop", nil, "Registry.local/UPPER:1"), msg: "is not a valid reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, _, _ := newFixture(t, tt.cfg)
			got := post(t, h.Validating(), reviewOf(t, tt.obj))
			if got.Allowed != tt.allowed {
				t.Fatalf("allowed = %v, want %v (%s; warnings %q)", got.Allowed, tt.allowed, message(got), got.Warnings)
			}
			text := message(got)
			if tt.allowed {
				text = strings.Join(got.Warnings, "\n")
			}
			if tt.msg == "" && text != "" {
				t.Errorf("unexpected message %q", text)
			}
			if !strings.Contains(text, tt.msg) {
				t.Errorf("message %q does not contain %q", text, tt.msg)
			}
			if !got.Allowed && (got.Result.Code != http.StatusForbidden) {
				t.Errorf("denial code %d, want 403", got.Result.Code)
			}
		})
	}
}

func TestMutatePins(t *testing.T) {
	obj := cronJob("shop", "registry.local/web:1.4", "registry.local/api:2.0@"+digestFail)
	h, store, cache, res := newFixture(t, Config{})
	// The server hands every stored scan to the cache, references included.
	v, _, _ := store.Lookup(t.Context(), digestPass)
	cache.Update(v)
	got := post(t, h.Mutating(), reviewOf(t, withInitAndEphemeral(t, obj)))
	if !got.Allowed || got.PatchType == nil || string(*got.PatchType) != "JSONPatch" {
		t.Fatalf("response %+v", got)
	}
	var patch []patchOp
	if err := json.Unmarshal(got.Patch, &patch); err != nil {
		t.Fatal(err)
	}
	base := "/spec/jobTemplate/spec/template/spec"
	want := []patchOp{
		{Op: "replace", Path: base + "/initContainers/0/image", Value: "registry.local/tools:1@" + digestPass},
		{Op: "replace", Path: base + "/containers/0/image", Value: "registry.local/web:1.4@" + digestPass},
		{Op: "replace", Path: base + "/ephemeralContainers/0/image", Value: "registry.local/debug:1.0@" + digestPass},
	}
	if diff := cmp.Diff(want, patch); diff != "" {
		t.Errorf("patch (-want +got):\n%s", diff)
	}
	// registry.local/web:1.4 is known from its scan: only the other two
	// tags went to the registry.
	if n := res.calls.Load(); n != 2 {
		t.Errorf("registry calls = %d, want 2", n)
	}
	// A second review is served from the cache entirely.
	post(t, h.Mutating(), reviewOf(t, withInitAndEphemeral(t, obj)))
	if n := res.calls.Load(); n != 2 {
		t.Errorf("registry calls after a repeat = %d, want still 2", n)
	}
}

func TestMutateUnresolvable(t *testing.T) {
	h, _, _, _ := newFixture(t, Config{})
	got := post(t, h.Mutating(), reviewOf(t, pod("shop", nil, "registry.local/gone:1")))
	if got.Allowed || !strings.Contains(message(got), "cannot resolve it to a digest") {
		t.Fatalf("want a denial naming the resolution failure, got %+v", got)
	}
	h, _, _, _ = newFixture(t, Config{Audit: true})
	got = post(t, h.Mutating(), reviewOf(t, pod("shop", nil, "registry.local/gone:1", "registry.local/web:1.4")))
	if !got.Allowed || len(got.Warnings) != 1 || got.Patch == nil {
		t.Fatalf("audit mode: want allowed with one warning and a patch for the resolvable image, got %+v", got)
	}
}

func TestBreakGlassAudited(t *testing.T) {
	log := &auditLog{}
	h, _, _, _ := newFixture(t, Config{Auditor: log})
	post(t, h.Validating(), reviewOf(t, pod("shop", map[string]string{BreakGlassAnnotation: "INC-42"}, "registry.local/new:0.1")))
	post(t, h.Mutating(), reviewOf(t, pod("shop", map[string]string{BreakGlassAnnotation: "INC-42"}, "registry.local/new:0.1")))
	want := []AuditEvent{{Kind: "break-glass", UID: "uid-1", User: "alice", Namespace: "shop", Object: "Pod/web", Operation: "CREATE", Reason: "INC-42",
		Problems: []string{"image registry.local/new:0.1 (" + digestNew + ") has not been scanned; run: bulwark scan image registry.local/new:0.1 --server https://bulwark.example"}}}
	if diff := cmp.Diff(want, log.events); diff != "" {
		t.Errorf("audit events (-want +got):\n%s", diff)
	}
}

func TestVerdictUpdateFlipsAdmission(t *testing.T) {
	h, store, cache, _ := newFixture(t, Config{Policy: failOnHigh()})
	review := reviewOf(t, pod("shop", nil, "registry.local/web:1.4"))
	if got := post(t, h.Validating(), review); !got.Allowed {
		t.Fatalf("before the rescan: denied: %s", message(got))
	}
	// A rescan finds a new HIGH vulnerability.
	v := Verdict{Digest: digestPass, Report: report(highFinding("CVE-2026-0001")), ScannedAt: now, DBBuiltAt: now}
	store.Put(v)
	if got := post(t, h.Validating(), review); !got.Allowed {
		t.Fatalf("the store changed but the cached verdict should still be served until updated: %s", message(got))
	}
	cache.Update(v)
	if got := post(t, h.Validating(), review); got.Allowed || !strings.Contains(message(got), "CVE-2026-0001") {
		t.Fatalf("after Update: want a denial naming CVE-2026-0001, got %+v", got)
	}
	// Invalidate re-reads the store.
	store.Put(Verdict{Digest: digestPass, Report: report(), ScannedAt: now, DBBuiltAt: now})
	cache.Invalidate(digestPass)
	if got := post(t, h.Validating(), review); !got.Allowed {
		t.Fatalf("after Invalidate: denied: %s", message(got))
	}
}

func TestNewUnscannedThenScanned(t *testing.T) {
	h, _, cache, _ := newFixture(t, Config{})
	review := reviewOf(t, pod("shop", nil, "registry.local/new:0.1"))
	if got := post(t, h.Validating(), review); got.Allowed {
		t.Fatal("unscanned image admitted")
	}
	cache.Update(Verdict{Digest: digestNew, Decision: model.Decision{Pass: true}, ScannedAt: now})
	if got := post(t, h.Validating(), review); !got.Allowed {
		t.Fatalf("scanned image denied: %s", message(got))
	}
}

func TestServeRejectsBadRequests(t *testing.T) {
	h, _, _, _ := newFixture(t, Config{})
	for _, tc := range []struct {
		name, method, ctype, body string
		code                      int
	}{
		{"get", http.MethodGet, "application/json", "", http.StatusMethodNotAllowed},
		{"text", http.MethodPost, "text/plain", "{}", http.StatusUnsupportedMediaType},
		{"garbage", http.MethodPost, "application/json", "{", http.StatusBadRequest},
		{"no request", http.MethodPost, "application/json", `{"kind":"AdmissionReview"}`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			rec := httptest.NewRecorder()
			h.Validating().ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Errorf("status %d, want %d (%s)", rec.Code, tc.code, rec.Body.String())
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cache, _ := NewCache(&MemoryVerdicts{}, CacheOptions{})
	if _, err := New(Config{}, nil, &fakeResolver{}); err == nil {
		t.Error("no cache: want an error")
	}
	if _, err := New(Config{ExemptNamespaces: []string{"["}}, cache, &fakeResolver{}); err == nil || !strings.Contains(err.Error(), `"["`) {
		t.Errorf("bad glob: err = %v", err)
	}
	if _, err := New(Config{Policy: &policy.Policy{Rules: policy.Rules{FailOn: "severe"}}}, cache, &fakeResolver{}); err == nil {
		t.Error("bad policy: want an error")
	}
}

func TestUpdateJudgesOnlyChangedImages(t *testing.T) {
	h, _, _, _ := newFixture(t, Config{Policy: failOnHigh()})
	update := func(oldImage, newImage string) []byte {
		var rev map[string]any
		if err := json.Unmarshal(reviewOf(t, deployment("shop", newImage)), &rev); err != nil {
			t.Fatal(err)
		}
		var old map[string]any
		if err := json.Unmarshal(reviewOf(t, deployment("shop", oldImage)), &old); err != nil {
			t.Fatal(err)
		}
		req := rev["request"].(map[string]any)
		req["operation"] = "UPDATE"
		req["oldObject"] = old["request"].(map[string]any)["object"]
		b, _ := json.Marshal(rev)
		return b
	}
	// A failing image that already runs does not block other edits, and is not re-pinned.
	if got := post(t, h.Validating(), update("registry.local/api:2.0", "registry.local/api:2.0")); !got.Allowed {
		t.Errorf("unchanged failing image blocked an update: %s", message(got))
	}
	if got := post(t, h.Mutating(), update("registry.local/web:1.4", "registry.local/web:1.4")); got.Patch != nil {
		t.Errorf("unchanged image re-pinned: %s", got.Patch)
	}
	// A changed image is judged.
	if got := post(t, h.Validating(), update("registry.local/web:1.4", "registry.local/api:2.0")); got.Allowed {
		t.Error("update to a failing image admitted")
	}
}

type rejectAll struct{}

func (rejectAll) Verify(_ context.Context, ref, _ string) error {
	return errors.New("no signatures found for " + ref)
}

type acceptAll struct{}

func (acceptAll) Verify(context.Context, string, string) error { return nil }
