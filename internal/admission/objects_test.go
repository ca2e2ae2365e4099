package admission

import (
	"encoding/json"
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
			req := &admissionv1.AdmissionRequest{Kind: metav1.GroupVersionKind{Group: tc.group, Version: "v1", Kind: tc.kind}, Namespace: "ns", Object: runtime.RawExtension{Raw: raw}}
			w, err := decodeWorkload(req)
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

func TestDecodeWorkloadErrors(t *testing.T) {
	req := &admissionv1.AdmissionRequest{Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Namespace: "ns", Name: "web"}
	if _, err := decodeWorkload(req); err == nil {
		t.Error("no object: want an error")
	}
	req.Object.Raw = []byte(`{"spec":{"containers":"nope"}}`)
	if _, err := decodeWorkload(req); err == nil {
		t.Error("bad object: want an error")
	}
	req.Kind.Kind = "ConfigMap"
	if w, err := decodeWorkload(req); w != nil || err != nil {
		t.Errorf("other kinds pass through: %v %v", w, err)
	}
}

func FuzzDecodeWorkload(f *testing.F) {
	f.Add("apps", "Deployment", []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"}]}}}}`))
	f.Add("", "Pod", []byte(`{"metadata":{"annotations":{"bulwark.dev/break-glass":"r"}},"spec":{"initContainers":[{"image":"y"}]}}`))
	f.Add("batch", "CronJob", []byte(`{}`))
	f.Fuzz(func(t *testing.T, group, kind string, raw []byte) {
		req := &admissionv1.AdmissionRequest{Kind: metav1.GroupVersionKind{Group: group, Kind: kind}, Object: runtime.RawExtension{Raw: raw}}
		w, err := decodeWorkload(req)
		if err == nil && w != nil {
			_ = w.images()
		}
	})
}
