package admission

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// workload is the part of an admitted object the webhook judges: where
// its pod spec lives and the labels and annotations that apply to it.
type workload struct {
	kind, name, namespace string
	// labels and annotations merge the object's with its pod template's;
	// the template wins, being closer to what runs.
	labels, annotations map[string]string
	spec                *corev1.PodSpec
	// specPath is the JSON pointer of spec inside the object.
	specPath string
	// unchanged holds path+"\x00"+image of the images an update keeps.
	unchanged map[string]bool
}

// containerImage is one image field of a pod spec.
type containerImage struct {
	container string
	image     string
	// path is the JSON pointer of the image field, for patches.
	path string
}

// decodeWorkload reads the object of req. It returns nil for kinds that
// carry no pod spec, which the webhook lets through.
func decodeWorkload(req *admissionv1.AdmissionRequest) (*workload, error) {
	raw := req.Object.Raw
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s %s/%s: the review carries no object", req.Kind.Kind, req.Namespace, req.Name)
	}
	var (
		meta     metav1.ObjectMeta
		tmpl     *metav1.ObjectMeta
		spec     *corev1.PodSpec
		specPath string
	)
	unmarshal := func(v any) error {
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("%s %s/%s: decoding the object: %w", req.Kind.Kind, req.Namespace, req.Name, err)
		}
		return nil
	}
	switch gk := req.Kind.Group + "/" + req.Kind.Kind; gk {
	case "/Pod":
		var o corev1.Pod
		if err := unmarshal(&o); err != nil {
			return nil, err
		}
		meta, spec, specPath = o.ObjectMeta, &o.Spec, "/spec"
	case "apps/Deployment":
		var o appsv1.Deployment
		if err := unmarshal(&o); err != nil {
			return nil, err
		}
		meta, tmpl, spec, specPath = o.ObjectMeta, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "/spec/template/spec"
	case "apps/StatefulSet":
		var o appsv1.StatefulSet
		if err := unmarshal(&o); err != nil {
			return nil, err
		}
		meta, tmpl, spec, specPath = o.ObjectMeta, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "/spec/template/spec"
	case "apps/DaemonSet":
		var o appsv1.DaemonSet
		if err := unmarshal(&o); err != nil {
			return nil, err
		}
		meta, tmpl, spec, specPath = o.ObjectMeta, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "/spec/template/spec"
	case "apps/ReplicaSet":
		var o appsv1.ReplicaSet
		if err := unmarshal(&o); err != nil {
			return nil, err
		}
		meta, tmpl, spec, specPath = o.ObjectMeta, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "/spec/template/spec"
	case "batch/Job":
		var o batchv1.Job
		if err := unmarshal(&o); err != nil {
			return nil, err
		}
		meta, tmpl, spec, specPath = o.ObjectMeta, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "/spec/template/spec"
	case "batch/CronJob":
		var o batchv1.CronJob
		if err := unmarshal(&o); err != nil {
			return nil, err
		}
		t := &o.Spec.JobTemplate.Spec.Template
		meta, tmpl, spec, specPath = o.ObjectMeta, &t.ObjectMeta, &t.Spec, "/spec/jobTemplate/spec/template/spec"
	default:
		return nil, nil
	}
	w := &workload{
		kind:        req.Kind.Kind,
		name:        meta.Name,
		namespace:   meta.Namespace,
		labels:      maps.Clone(meta.Labels),
		annotations: maps.Clone(meta.Annotations),
		spec:        spec,
		specPath:    specPath,
	}
	if w.name == "" {
		w.name = req.Name
	}
	if w.name == "" {
		w.name = meta.GenerateName
	}
	if w.namespace == "" {
		w.namespace = req.Namespace
	}
	if tmpl != nil {
		w.labels = merge(w.labels, tmpl.Labels)
		w.annotations = merge(w.annotations, tmpl.Annotations)
	}
	return w, nil
}

func merge(a, b map[string]string) map[string]string {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = make(map[string]string, len(b))
	}
	maps.Copy(a, b)
	return a
}

// images lists every container, init container and ephemeral container
// image of the workload, in spec order.
func (w *workload) images() []containerImage {
	var out []containerImage
	for i, c := range w.spec.InitContainers {
		out = append(out, containerImage{c.Name, c.Image, w.specPath + "/initContainers/" + strconv.Itoa(i) + "/image"})
	}
	for i, c := range w.spec.Containers {
		out = append(out, containerImage{c.Name, c.Image, w.specPath + "/containers/" + strconv.Itoa(i) + "/image"})
	}
	for i, c := range w.spec.EphemeralContainers {
		out = append(out, containerImage{c.Name, c.Image, w.specPath + "/ephemeralContainers/" + strconv.Itoa(i) + "/image"})
	}
	return out
}

// changedImages are the images to judge: all of them on create, those
// an update adds or changes otherwise.
func (w *workload) changedImages() []containerImage {
	all := w.images()
	if w.unchanged == nil {
		return all
	}
	var out []containerImage
	for _, ci := range all {
		if !w.unchanged[ci.path+"\x00"+ci.image] {
			out = append(out, ci)
		}
	}
	return out
}

func (w *workload) String() string { return w.kind + "/" + w.name }
