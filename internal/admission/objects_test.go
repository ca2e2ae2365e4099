package admission

import (
	"encoding/json"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// withInitAndEphemeral adds an init and an ephemeral container to a CronJob.
func withInitAndEphemeral(t *testing.T, obj runtime.Object) runtime.Object {
	t.Helper()
	cj := obj.DeepCopyObject().(*batchv1.CronJob)
	s := &cj.Spec.JobTemplate.Spec.Template.Spec
	s.InitContainers = []corev1.Container{{Name: "init", Image: "registry.local/tools:1"}}
	s.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "registry.local/debug:1.0"}}}
	return cj
}

func TestDecodeWorkloadKinds(t *testing.T) {
	for _, tc := range []struct {
		group, kind, path string
	}{
		{"", "Pod", "/spec"},
		{"apps", "Deployment", "/spec/template/spec"},
		{"apps", "StatefulSet", "/spec/template/spec"},
		{"apps", "DaemonSet", "/spec/template/spec"},
		{"apps", "ReplicaSet", "/spec/template/spec"},
		{"batch", "Job", "/spec/template/spec"},
		{"batch", "CronJob", "/spec/jobTemplate/spec/template/spec"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			// Every kind's image lives at its path; build the object from the path.
			obj := map[string]any{"metadata": map[string]any{"name": "x", "labels": map[string]string{"app": "x"}}}
			cur := obj
			parts := splitPointer(tc.path)
			for _, p := range parts[:len(parts)-1] {
				next := map[string]any{}
				if p == "template" {
					next["metadata"] = map[string]any{"labels": map[string]string{"tier": "web"}, "annotations": map[string]string{BreakGlassAnnotation: "why"}}
				}
				cur[p] = next
				cur = next
			}
			cur[parts[len(parts)-1]] = map[string]any{"containers": []map[string]string{{"name": "app", "image": "registry.local/web:1.4"}}}
			raw, _ := json.Marshal(obj)
			w, err := decodeWorkload(t, &admissionv1.AdmissionRequest{Kind: metav1.GroupVersionKind{Group: tc.group, Version: "v1", Kind: tc.kind},
				Namespace: "ns", Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}})
			if err != nil || w == nil {
				t.Fatalf("decodeWorkload: %v, %v", w, err)
			}
			imgs := w.images()
			if len(imgs) != 1 || imgs[0].path != tc.path+"/containers/0/image" || imgs[0].image != "registry.local/web:1.4" {
				t.Errorf("images = %+v", imgs)
			}
			if w.namespace != "ns" || w.labels["app"] != "x" || w.String() != tc.kind+"/x" {
				t.Errorf("workload = %+v", w)
			}
			if tc.kind != "Pod" && (w.labels["tier"] != "web" || w.annotations[BreakGlassAnnotation] != "why") {
				t.Errorf("template labels/annotations not merged: %v %v", w.labels, w.annotations)
			}
		})
	}
}

func splitPointer(p string) []string {
	var out []string
	for _, s := range []byte(p[1:]) {
		if s == '/' {
			out = append(out, "")
			continue
		}
		if len(out) == 0 {
			out = append(out, "")
		}
		out[len(out)-1] += string(s)
	}
	return out
}

// decodeWorkload sends req through the webhook's review decoding.
func decodeWorkload(t testing.TB, req *admissionv1.AdmissionRequest) (*workload, error) {
	t.Helper()
	body, err := json.Marshal(admissionv1.AdmissionReview{Request: req})
	if err != nil {
		t.Fatal(err)
	}
	return decodeRaw(body)
}

func decodeRaw(body []byte) (*workload, error) {
	r, err := decodeReview(body)
	if err != nil {
		return nil, err
	}
	w, err := workloadOf(r.Kind, r.Namespace, r.Name, r.Object)
	if err == nil && r.objectErr != nil && r.Kind.judged() {
		return nil, r.objectErr
	}
	return w, err
}

func TestDecodeWorkloadErrors(t *testing.T) {
	req := &admissionv1.AdmissionRequest{Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Namespace: "ns", Name: "web"}
	if _, err := decodeWorkload(t, req); err == nil || !strings.Contains(err.Error(), "Pod ns/web: the review carries no object") {
		t.Errorf("no object: err = %v", err)
	}
	req.Object.Raw = []byte(`{"spec":{"containers":"nope"}}`)
	if _, err := decodeWorkload(t, req); err == nil {
		t.Error("bad object: want an error")
	}
	// Kinds without a pod spec pass, whatever their spec looks like.
	req.Kind.Kind = "ConfigMap"
	if w, err := decodeWorkload(t, req); w != nil || err != nil {
		t.Errorf("other kinds pass through: %v %v", w, err)
	}
	for _, body := range []string{`{`, `{"request":null}`, `[]`} {
		if _, err := decodeRaw([]byte(body)); err == nil {
			t.Errorf("review %s: want an error", body)
		}
	}
}

// TestBadObjectDenied: a judged kind whose object cannot be read is
// denied (fail-closed); another kind with the same body passes.
func TestBadObjectDenied(t *testing.T) {
	h, _, _, _ := newFixture(t, Config{})
	body := func(kind string) []byte {
		return []byte(`{"request":{"uid":"uid-1","kind":{"group":"","version":"v1","kind":"` + kind + `"},"namespace":"shop","name":"web",
			"operation":"CREATE","object":{"spec":{"containers":"nope"}}}}`)
	}
	if got := post(t, h.Validating(), body("Pod")); got.Allowed || !strings.Contains(message(got), "Pod shop/web: decoding the object") {
		t.Errorf("bad pod: allowed=%v %q", got.Allowed, message(got))
	}
	if got := post(t, h.Validating(), body("Service")); !got.Allowed {
		t.Errorf("a Service with an odd spec was denied: %q", message(got))
	}
}

func FuzzDecodeWorkload(f *testing.F) {
	f.Add([]byte(`{"request":{"kind":{"group":"apps","kind":"Deployment"},"operation":"CREATE","object":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"}]}}}}}}`))
	f.Add([]byte(`{"request":{"kind":{"kind":"Pod"},"object":{"metadata":{"annotations":{"bulwark.dev/break-glass":"r"}},"spec":{"initContainers":[{"image":"y"}]}}}}`))
	f.Add([]byte(`{"request":{"kind":{"group":"batch","kind":"CronJob"},"object":{}}}`))
	f.Add([]byte(`{"request":{"kind":{"group":"batch","kind":"CronJob"},"object":{"spec":{"jobTemplate":null}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := decodeRaw(body)
		if err == nil && w != nil {
			_ = w.images()
		}
	})
}
