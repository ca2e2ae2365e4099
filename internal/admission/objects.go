package admission

import (
	"fmt"
	"maps"
	"strconv"
)

// The webhook decodes only what it reads of an AdmissionReview, in one
// pass: names, labels, annotations and container images. Decoding the
// typed Kubernetes objects cost more than the rest of a review together.

// objectMeta is the part of metav1.ObjectMeta the webhook reads.
type objectMeta struct {
	Name         string            `json:"name"`
	GenerateName string            `json:"generateName"`
	Namespace    string            `json:"namespace"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
}

// container is a container, init container or ephemeral container.
type container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

// imageSpec is the part of a pod spec (corev1.PodSpec) the webhook reads.
type imageSpec struct {
	InitContainers      []container `json:"initContainers"`
	Containers          []container `json:"containers"`
	EphemeralContainers []container `json:"ephemeralContainers"`
}

type podTemplate struct {
	Metadata objectMeta `json:"metadata"`
	Spec     imageSpec  `json:"spec"`
}

// object is the union of the judged kinds' shapes: a Pod's spec is a pod
// spec, a Deployment's (StatefulSet's, …, Job's) holds a template, a
// CronJob's a job template. Which part counts follows from the kind.
type object struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		imageSpec
		Template    *podTemplate `json:"template"`
		JobTemplate *struct {
			Spec struct {
				Template *podTemplate `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

// groupKind is the kind of the reviewed object.
type groupKind struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

// judged reports whether objects of kind carry a pod spec the webhook checks.
func (k groupKind) judged() bool {
	switch k.Group + "/" + k.Kind {
	case "/Pod", "apps/Deployment", "apps/StatefulSet", "apps/DaemonSet", "apps/ReplicaSet", "batch/Job", "batch/CronJob":
		return true
	}
	return false
}

// workload is the part of an admitted object the webhook judges: where
// its pod spec lives and the labels and annotations that apply to it.
type workload struct {
	kind, name, namespace string
	// labels and annotations merge the object's with its pod template's;
	// the template wins, being closer to what runs.
	labels, annotations map[string]string
	spec                *imageSpec
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

// workloadOf returns the workload of o, an object of kind reviewed in
// namespace under name. It returns nil for kinds that carry no pod spec,
// which the webhook lets through.
func workloadOf(kind groupKind, namespace, name string, o *object) (*workload, error) {
	if !kind.judged() {
		return nil, nil
	}
	if o == nil {
		return nil, fmt.Errorf("%s %s/%s: the review carries no object", kind.Kind, namespace, name)
	}
	var (
		tmpl     *podTemplate
		spec     *imageSpec
		specPath = "/spec/template/spec"
	)
	switch kind.Kind {
	case "Pod":
		spec, specPath = &o.Spec.imageSpec, "/spec"
	case "CronJob":
		if jt := o.Spec.JobTemplate; jt != nil {
			tmpl = jt.Spec.Template
		}
		specPath = "/spec/jobTemplate/spec/template/spec"
	default:
		tmpl = o.Spec.Template
	}
	if spec == nil {
		if tmpl == nil {
			tmpl = &podTemplate{}
		}
		spec = &tmpl.Spec
	}
	meta := o.Metadata
	w := &workload{
		kind:        kind.Kind,
		name:        meta.Name,
		namespace:   meta.Namespace,
		labels:      meta.Labels,
		annotations: meta.Annotations,
		spec:        spec,
		specPath:    specPath,
	}
	if w.name == "" {
		w.name = name
	}
	if w.name == "" {
		w.name = meta.GenerateName
	}
	if w.namespace == "" {
		w.namespace = namespace
	}
	if tmpl != nil {
		w.labels = merge(w.labels, tmpl.Metadata.Labels)
		w.annotations = merge(w.annotations, tmpl.Metadata.Annotations)
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
