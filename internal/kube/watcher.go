package kube

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Options tune a Watcher.
type Options struct {
	// Cluster names the cluster in every workload (required).
	Cluster string
	// Reporter identifies this watcher to the server (default "watcher/<cluster>").
	Reporter string
	// Interval is how often the full set is resent even without changes
	// (default 1m); the set is reported to expire after three intervals.
	Interval time.Duration
	// Debounce batches changes that arrive close together (default 2s).
	Debounce time.Duration
	// Resync is the informers' resync period (default 10m).
	Resync time.Duration
	// OnError is told about failed reports, which are retried at the next
	// change or interval (may be nil).
	OnError func(error)
}

// Watcher reports the pods of a cluster to a Reporter.
type Watcher struct {
	client   kubernetes.Interface
	reporter Reporter
	opt      Options

	pods    corelisters.PodLister
	rsets   appslisters.ReplicaSetLister
	jobs    batchlisters.JobLister
	changed chan struct{}
}

// NewWatcher returns a watcher over client reporting to rep.
func NewWatcher(client kubernetes.Interface, rep Reporter, opt Options) (*Watcher, error) {
	if client == nil || rep == nil {
		return nil, errors.New("workload watcher: a Kubernetes client and a reporter are required")
	}
	if opt.Cluster == "" {
		return nil, errors.New("workload watcher: a cluster name is required")
	}
	if opt.Reporter == "" {
		opt.Reporter = "watcher/" + opt.Cluster
	}
	if opt.Interval <= 0 {
		opt.Interval = time.Minute
	}
	if opt.Debounce <= 0 {
		opt.Debounce = 2 * time.Second
	}
	if opt.Resync <= 0 {
		opt.Resync = 10 * time.Minute
	}
	return &Watcher{client: client, reporter: rep, opt: opt, changed: make(chan struct{}, 1)}, nil
}

// Run watches until ctx ends, reporting after changes and every interval.
// It returns ctx's error, or an error when the caches cannot sync.
func (w *Watcher) Run(ctx context.Context) error {
	f := informers.NewSharedInformerFactory(w.client, w.opt.Resync)
	podInf := f.Core().V1().Pods()
	w.pods = podInf.Lister()
	w.rsets = f.Apps().V1().ReplicaSets().Lister()
	w.jobs = f.Batch().V1().Jobs().Lister()
	if _, err := podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { w.poke() },
		UpdateFunc: func(old, cur any) { w.podUpdated(old, cur) },
		DeleteFunc: func(any) { w.poke() },
	}); err != nil {
		return fmt.Errorf("workload watcher: %w", err)
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("workload watcher: the %v cache did not sync", typ)
		}
	}
	tick := time.NewTicker(w.opt.Interval)
	defer tick.Stop()
	w.report(ctx)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		case <-w.changed:
			// Let a rollout's burst of pod events settle into one report.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(w.opt.Debounce):
			}
		}
		w.report(ctx)
	}
}

func (w *Watcher) poke() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// podUpdated reports only changes that alter what is reported: status
// heartbeats and condition flips do not.
func (w *Watcher) podUpdated(old, cur any) {
	o, ok1 := old.(*corev1.Pod)
	c, ok2 := cur.(*corev1.Pod)
	if !ok1 || !ok2 || !slices.Equal(containersOf(o, "", nil), containersOf(c, "", nil)) {
		w.poke()
	}
}

func (w *Watcher) report(ctx context.Context) {
	ws, err := w.Snapshot()
	if err == nil {
		ttl := int((3 * w.opt.Interval).Seconds())
		err = w.reporter.ReportWorkloads(ctx, Report{Reporter: w.opt.Reporter, Workloads: ws, TTLSeconds: ttl})
	}
	if err != nil && w.opt.OnError != nil && ctx.Err() == nil {
		w.opt.OnError(err)
	}
}

// Snapshot lists every running container whose image digest is known,
// sorted by namespace, pod and container. Run must have started.
func (w *Watcher) Snapshot() ([]Workload, error) {
	if w.pods == nil {
		return nil, errors.New("workload watcher: not running")
	}
	pods, err := w.pods.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("workload watcher: listing pods: %w", err)
	}
	var out []Workload
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		start := len(out)
		out = containersOf(p, w.opt.Cluster, out)
		if len(out) == start {
			continue
		}
		kind, name := w.owner(p)
		for i := start; i < len(out); i++ {
			out[i].WorkloadKind, out[i].WorkloadName, out[i].Workload = kind, name, kind+"/"+name
		}
	}
	slices.SortFunc(out, func(a, b Workload) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Pod, b.Pod), cmp.Compare(a.Container, b.Container))
	})
	return out, nil
}

// containersOf appends the containers of p whose digest is known, without
// owner information.
func containersOf(p *corev1.Pod, cluster string, out []Workload) []Workload {
	specImage := map[string]string{}
	for _, c := range p.Spec.InitContainers {
		specImage[c.Name] = c.Image
	}
	for _, c := range p.Spec.Containers {
		specImage[c.Name] = c.Image
	}
	for _, c := range p.Spec.EphemeralContainers {
		specImage[c.Name] = c.Image
	}
	for _, statuses := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses, p.Status.EphemeralContainerStatuses} {
		for _, s := range statuses {
			image := cmp.Or(specImage[s.Name], s.Image)
			d := DigestOf(s.ImageID, image)
			if d == "" {
				continue
			}
			out = append(out, Workload{Cluster: cluster, Namespace: p.Namespace, Pod: p.Name, Container: s.Name, Image: image, Digest: d})
		}
	}
	return out
}

// DigestOf extracts the manifest digest from a container status imageID
// ("docker-pullable://registry/web@sha256:…", "registry/web@sha256:…"),
// falling back to a digest pinned in the spec image. A bare "sha256:…"
// imageID is the local image ID, not a registry digest, and is not used.
func DigestOf(imageID, specImage string) string {
	for _, s := range []string{imageID, specImage} {
		if _, d, ok := strings.Cut(s, "@"); ok && strings.HasPrefix(d, "sha256:") && len(d) == len("sha256:")+64 {
			return d
		}
	}
	return ""
}

// owner walks ownerReferences to the workload a person manages:
// ReplicaSet → Deployment and Job → CronJob.
func (w *Watcher) owner(p *corev1.Pod) (kind, name string) {
	ref := metav1.GetControllerOf(p)
	if ref == nil {
		return "Pod", p.Name
	}
	switch ref.Kind {
	case "ReplicaSet":
		if rs, err := w.rsets.ReplicaSets(p.Namespace).Get(ref.Name); err == nil {
			if up := metav1.GetControllerOf(rs); up != nil && up.Kind == "Deployment" {
				return up.Kind, up.Name
			}
		}
	case "Job":
		if j, err := w.jobs.Jobs(p.Namespace).Get(ref.Name); err == nil {
			if up := metav1.GetControllerOf(j); up != nil && up.Kind == "CronJob" {
				return up.Kind, up.Name
			}
		}
	}
	return ref.Kind, ref.Name
}
