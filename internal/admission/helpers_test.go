package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/bulwark-security/bulwark/internal/model"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

const (
	digestPass = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	digestFail = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	digestNew  = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
)

// fakeResolver maps references to digests and counts registry calls.
type fakeResolver struct {
	digests map[string]string
	calls   atomic.Int64
}

func (f *fakeResolver) Resolve(_ context.Context, ref string) (string, error) {
	f.calls.Add(1)
	if d, ok := f.digests[ref]; ok {
		return d, nil
	}
	return "", &notFoundError{ref}
}

type notFoundError struct{ ref string }

func (e *notFoundError) Error() string { return "MANIFEST_UNKNOWN: " + e.ref }

type auditLog struct {
	mu     sync.Mutex
	events []AuditEvent
}

func (a *auditLog) Audit(_ context.Context, e AuditEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
}

func report(findings ...model.Finding) *model.Report {
	return &model.Report{Schema: 1, Findings: findings, DB: &model.DBInfo{BuiltAt: now.Add(-6 * time.Hour)}, CreatedAt: now.Add(-time.Hour)}
}

func highFinding(id string) model.Finding {
	return model.Finding{VulnID: id, State: model.MatchAffected, Severity: model.Rating("HIGH"), FixedVersions: []string{"1.2.3"}}
}

// newFixture is a handler over an in-memory store with one passing and
// one failing image (a HIGH finding).
func newFixture(t testing.TB, cfg Config) (*Handler, *MemoryVerdicts, *Cache, *fakeResolver) {
	t.Helper()
	store := &MemoryVerdicts{}
	store.Put(Verdict{Digest: digestPass, Refs: []string{"registry.local/web:1.4"}, Report: report(), Decision: model.Decision{Pass: true},
		ScannedAt: now.Add(-time.Hour), DBBuiltAt: now.Add(-6 * time.Hour)})
	store.Put(Verdict{Digest: digestFail, Report: report(highFinding("CVE-2024-3094")), Decision: model.Decision{Pass: false},
		ScannedAt: now.Add(-time.Hour), DBBuiltAt: now.Add(-6 * time.Hour)})
	cache, err := NewCache(store, CacheOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	res := &fakeResolver{digests: map[string]string{
		"registry.local/web:1.4":   digestPass,
		"registry.local/api:2.0":   digestFail,
		"registry.local/new:0.1":   digestNew,
		"registry.local/tools:1":   digestPass,
		"other.example/web:1.4":    digestPass,
		"registry.local/debug:1.0": digestPass,
	}}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return now }
	}
	if cfg.ServerURL == "" {
		cfg.ServerURL = "https://bulwark.example"
	}
	h, err := New(cfg, cache, res)
	if err != nil {
		t.Fatal(err)
	}
	return h, store, cache, res
}

func podSpec(images ...string) corev1.PodSpec {
	var s corev1.PodSpec
	for i, im := range images {
		s.Containers = append(s.Containers, corev1.Container{Name: "c" + string(rune('0'+i)), Image: im})
	}
	return s
}

func pod(ns string, annotations map[string]string, images ...string) runtime.Object {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, Annotations: annotations},
		Spec:       podSpec(images...),
	}
}

func deployment(ns string, images ...string) runtime.Object {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec:       appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: podSpec(images...)}},
	}
}

func cronJob(ns string, images ...string) runtime.Object {
	return &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: ns},
		Spec: batchv1.CronJobSpec{Schedule: "@daily", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
			Template: corev1.PodTemplateSpec{Spec: podSpec(images...)}}}},
	}
}

// reviewOf wraps obj in a CREATE AdmissionReview.
func reviewOf(t testing.TB, obj runtime.Object) []byte {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	m := obj.(metav1.Object)
	rev := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID("uid-1"),
			Kind:      metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
			Namespace: m.GetNamespace(),
			Name:      m.GetName(),
			Operation: admissionv1.Create,
			UserInfo:  authUser("alice"),
			Object:    runtime.RawExtension{Raw: raw},
		},
	}
	b, err := json.Marshal(rev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends body to hd and decodes the response.
func post(t testing.TB, hd http.Handler, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	hd.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Response == nil || out.Response.UID != "uid-1" {
		t.Fatalf("response does not answer the request: %+v", out.Response)
	}
	return out.Response
}

func message(r *admissionv1.AdmissionResponse) string {
	if r.Result == nil {
		return ""
	}
	return r.Result.Message
}

func authUser(name string) authenticationv1.UserInfo {
	return authenticationv1.UserInfo{Username: name}
}
