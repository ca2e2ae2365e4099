//go:build integration

package admission

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/bulwark-security/bulwark/internal/kube/kubetest"
)

// warnings collects the API server's warning headers.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) take() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.Join(w.msgs, "\n")
	w.msgs = nil
	return s
}

// pushImage puts a random image in reg and returns its reference and digest.
func pushImage(t *testing.T, host, repoTag string) (string, string) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return host + "/" + repoTag, d.String()
}

func TestEnvtestAdmission(t *testing.T) {
	cfg := kubetest.Start(t)
	ctx := t.Context()

	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	webRef, webDigest := pushImage(t, host, "web:1.4")
	apiRef, apiDigest := pushImage(t, host, "api:2.0")
	newRef, newDigest := pushImage(t, host, "new:0.1")

	store := &MemoryVerdicts{}
	cache, err := NewCache(store, CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	audit := &auditLog{}
	h, err := New(Config{
		Policy:           failOnHigh(),
		ExemptNamespaces: []string{"kube-system"},
		AuditNamespaces:  []string{"staging"},
		ServerURL:        "https://bulwark.test",
		Auditor:          audit,
	}, cache, &RegistryResolver{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(ValidatePath, h.Validating())
	mux.Handle(MutatePath, h.Mutating())
	hook := httptest.NewUnstartedServer(mux)
	tlsCfg, caPEM := kubetest.ServingTLS(t)
	hook.TLS = tlsCfg
	hook.StartTLS()
	defer hook.Close()

	warn := &warnings{}
	wcfg := rest.CopyConfig(cfg)
	wcfg.WarningHandler = warn
	kc := kubernetes.NewForConfigOrDie(wcfg)
	registerWebhooks(t, kc, hook.URL, caPEM)
	for _, ns := range []string{"shop", "staging", "legacy", "kube-system"} {
		ensureNamespace(t, kc, ns)
	}

	// The API server picks webhook configurations up asynchronously: wait
	// until an unscanned image is refused.
	var denial error
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, denial = kc.CoreV1().Pods("shop").Create(ctx, testPod("probe", newRef), metav1.CreateOptions{})
		if denial != nil || time.Now().After(deadline) {
			break
		}
		_ = kc.CoreV1().Pods("shop").Delete(ctx, "probe", metav1.DeleteOptions{})
		time.Sleep(200 * time.Millisecond)
	}

	t.Run("unscanned is denied with the fix", func(t *testing.T) {
		want := fmt.Sprintf("image %s (%s) has not been scanned; run: bulwark scan image %s --server https://bulwark.test", newRef, newDigest, newRef)
		if denial == nil || !strings.Contains(denial.Error(), want) {
			t.Fatalf("err = %v\nwant it to contain %q", denial, want)
		}
		t.Logf("kubectl would print: %v", denial)
	})

	store.Put(Verdict{Digest: webDigest, Refs: []string{webRef}, Report: report(), ScannedAt: time.Now(), DBBuiltAt: time.Now()})
	store.Put(Verdict{Digest: apiDigest, Refs: []string{apiRef}, Report: report(highFinding("CVE-2024-3094")), ScannedAt: time.Now(), DBBuiltAt: time.Now()})

	t.Run("scanned passing is admitted and pinned", func(t *testing.T) {
		p, err := kc.CoreV1().Pods("shop").Create(ctx, testPod("web", webRef), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := p.Spec.Containers[0].Image, webRef+"@"+webDigest; got != want {
			t.Errorf("image = %q, want %q", got, want)
		}
	})

	t.Run("failing is denied naming the rule", func(t *testing.T) {
		_, err := kc.CoreV1().Pods("shop").Create(ctx, testPod("api", apiRef), metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), `fails policy "prod": failOn: 1 finding(s) at or above HIGH (CVE-2024-3094)`) {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("namespace override admits", func(t *testing.T) {
		if _, err := kc.CoreV1().Pods("legacy").Create(ctx, testPod("api", apiRef), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("kube-system is exempt", func(t *testing.T) {
		p, err := kc.CoreV1().Pods("kube-system").Create(ctx, testPod("new", newRef), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Spec.Containers[0].Image != newRef {
			t.Errorf("exempt pod was mutated: %q", p.Spec.Containers[0].Image)
		}
	})

	t.Run("audit mode warns", func(t *testing.T) {
		warn.take()
		if _, err := kc.CoreV1().Pods("staging").Create(ctx, testPod("new", newRef), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if w := warn.take(); !strings.Contains(w, "audit mode, would deny: image "+newRef) {
			t.Errorf("warnings = %q", w)
		}
	})

	t.Run("break-glass admits and is audited", func(t *testing.T) {
		p := testPod("hotfix", newRef)
		p.Annotations = map[string]string{BreakGlassAnnotation: "INC-42"}
		if _, err := kc.CoreV1().Pods("shop").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		audit.mu.Lock()
		defer audit.mu.Unlock()
		var found bool
		for _, e := range audit.events {
			found = found || (e.Kind == "break-glass" && e.Reason == "INC-42" && e.Object == "Pod/hotfix")
		}
		if !found {
			t.Errorf("no break-glass audit event in %+v", audit.events)
		}
	})

	t.Run("deployment template is checked and pinned", func(t *testing.T) {
		_, err := kc.AppsV1().Deployments("shop").Create(ctx, testDeployment("api", apiRef), metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "CVE-2024-3094") {
			t.Fatalf("failing deployment: err = %v", err)
		}
		d, err := kc.AppsV1().Deployments("shop").Create(ctx, testDeployment("web", webRef), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Spec.Template.Spec.Containers[0].Image; got != webRef+"@"+webDigest {
			t.Errorf("template image = %q", got)
		}
	})

	t.Run("verdict update flips admission", func(t *testing.T) {
		v := Verdict{Digest: webDigest, Refs: []string{webRef}, Report: report(highFinding("CVE-2026-0001")), ScannedAt: time.Now(), DBBuiltAt: time.Now()}
		store.Put(v)
		cache.Update(v)
		_, err := kc.CoreV1().Pods("shop").Create(ctx, testPod("web2", webRef), metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "CVE-2026-0001") {
			t.Fatalf("after the rescan: err = %v", err)
		}
	})
}

func testPod(name, image string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
	}
}

func testDeployment(name, image string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}},
		},
	}
}

// ensureNamespace creates ns with its default service account, which no
// controller makes in a bare control plane.
func ensureNamespace(t *testing.T, kc kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	_, _ = kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	_, _ = kc.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
}

func registerWebhooks(t *testing.T, kc kubernetes.Interface, base string, caPEM []byte) {
	t.Helper()
	ctx := context.Background()
	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	timeout := int32(10)
	rules := []admissionregistrationv1.RuleWithOperations{
		{Operations: []admissionregistrationv1.OperationType{"CREATE", "UPDATE"}, Rule: admissionregistrationv1.Rule{
			APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods", "pods/ephemeralcontainers"}}},
		{Operations: []admissionregistrationv1.OperationType{"CREATE", "UPDATE"}, Rule: admissionregistrationv1.Rule{
			APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments", "statefulsets", "daemonsets", "replicasets"}}},
		{Operations: []admissionregistrationv1.OperationType{"CREATE", "UPDATE"}, Rule: admissionregistrationv1.Rule{
			APIGroups: []string{"batch"}, APIVersions: []string{"v1"}, Resources: []string{"jobs", "cronjobs"}}},
	}
	url := func(p string) *string { s := base + p; return &s }
	_, err := kc.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "bulwark"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: "pin.bulwark.dev", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: url(MutatePath), CABundle: caPEM},
			Rules: rules, FailurePolicy: &fail, SideEffects: &none, TimeoutSeconds: &timeout, AdmissionReviewVersions: []string{"v1"},
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = kc.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "bulwark"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: "verdict.bulwark.dev", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: url(ValidatePath), CABundle: caPEM},
			Rules: rules, FailurePolicy: &fail, SideEffects: &none, TimeoutSeconds: &timeout, AdmissionReviewVersions: []string{"v1"},
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}
