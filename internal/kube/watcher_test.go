package kube

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

const (
	dWeb = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	dJob = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// chanReporter hands each report to the test.
type chanReporter chan Report

func (c chanReporter) ReportWorkloads(_ context.Context, r Report) error {
	c <- r
	return nil
}

func controller(kind, name string) []metav1.OwnerReference {
	yes := true
	return []metav1.OwnerReference{{APIVersion: "v1", Kind: kind, Name: name, UID: types.UID("u-" + name), Controller: &yes}}
}

func runningPod(ns, name string, owner []metav1.OwnerReference, image, imageID string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, OwnerReferences: owner},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "app", Image: image, ImageID: imageID}}},
	}
}

func TestWatcherReportsOwnersAndExpiresPods(t *testing.T) {
	objs := []runtime.Object{
		&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-7f9c", OwnerReferences: controller("Deployment", "web")}},
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: "nightly-2911", OwnerReferences: controller("CronJob", "nightly")}},
		runningPod("shop", "web-7f9c-abcde", controller("ReplicaSet", "web-7f9c"), "registry.local/web:1.4", "docker-pullable://registry.local/web@"+dWeb),
		runningPod("ops", "nightly-2911-xyz", controller("Job", "nightly-2911"), "registry.local/job:1", "registry.local/job@"+dJob),
		runningPod("shop", "debug", nil, "registry.local/web@"+dWeb, "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"),
		runningPod("shop", "orphan-rs-pod", controller("ReplicaSet", "gone"), "registry.local/web:1.4", "registry.local/web@"+dWeb),
		runningPod("shop", "pulling", nil, "registry.local/web:1.5", ""),
	}
	done := runningPod("shop", "finished", nil, "registry.local/web:1.4", "registry.local/web@"+dWeb)
	done.Status.Phase = corev1.PodSucceeded
	objs = append(objs, done)
	client := fake.NewClientset(objs...)
	rep := make(chanReporter, 10)
	w, err := NewWatcher(client, rep, Options{Cluster: "prod", Interval: time.Hour, Debounce: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()

	first := next(t, rep)
	if first.Reporter != "watcher/prod" || first.TTLSeconds != 3*3600 {
		t.Errorf("report header = %q ttl %d", first.Reporter, first.TTLSeconds)
	}
	want := []Workload{
		{Cluster: "prod", Namespace: "ops", Workload: "CronJob/nightly", WorkloadKind: "CronJob", WorkloadName: "nightly", Pod: "nightly-2911-xyz", Container: "app", Image: "registry.local/job:1", Digest: dJob},
		{Cluster: "prod", Namespace: "shop", Workload: "Pod/debug", WorkloadKind: "Pod", WorkloadName: "debug", Pod: "debug", Container: "app", Image: "registry.local/web@" + dWeb, Digest: dWeb},
		{Cluster: "prod", Namespace: "shop", Workload: "ReplicaSet/gone", WorkloadKind: "ReplicaSet", WorkloadName: "gone", Pod: "orphan-rs-pod", Container: "app", Image: "registry.local/web:1.4", Digest: dWeb},
		{Cluster: "prod", Namespace: "shop", Workload: "Deployment/web", WorkloadKind: "Deployment", WorkloadName: "web", Pod: "web-7f9c-abcde", Container: "app", Image: "registry.local/web:1.4", Digest: dWeb},
	}
	if diff := cmp.Diff(want, first.Workloads); diff != "" {
		t.Errorf("first report (-want +got):\n%s", diff)
	}

	if err := client.CoreV1().Pods("shop").Delete(ctx, "web-7f9c-abcde", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// A report already on its way (informer events arriving after the
	// first one) may still list the pod; the deletion must show in a
	// report that follows.
	second := next(t, rep)
	for deadline := time.Now().Add(10 * time.Second); len(second.Workloads) == len(want) && time.Now().Before(deadline); {
		second = next(t, rep)
	}
	if diff := cmp.Diff(want[:3], second.Workloads); diff != "" {
		t.Errorf("after deleting a pod (-want +got):\n%s", diff)
	}
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}

func next(t *testing.T, rep chanReporter) Report {
	t.Helper()
	select {
	case r := <-rep:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no report within 10s")
	}
	return Report{}
}

func TestDigestOf(t *testing.T) {
	for _, tc := range []struct{ imageID, image, want string }{
		{"docker-pullable://registry.local/web@" + dWeb, "registry.local/web:1.4", dWeb},
		{"registry.local/web@" + dWeb, "", dWeb},
		{"sha256:" + strings.Repeat("c", 64), "registry.local/web@" + dJob, dJob},
		{"sha256:" + strings.Repeat("c", 64), "registry.local/web:1.4", ""},
		{"registry.local/web@sha256:short", "", ""},
		{"", "", ""},
	} {
		if got := DigestOf(tc.imageID, tc.image); got != tc.want {
			t.Errorf("DigestOf(%q, %q) = %q, want %q", tc.imageID, tc.image, got, tc.want)
		}
	}
}

func FuzzDigestOf(f *testing.F) {
	f.Add("docker-pullable://r/w@"+dWeb, "r/w:1")
	f.Fuzz(func(t *testing.T, id, image string) {
		d := DigestOf(id, image)
		if d != "" && (!strings.HasPrefix(d, "sha256:") || len(d) != 71) {
			t.Errorf("DigestOf(%q, %q) = %q", id, image, d)
		}
	})
}

func TestHTTPReporter(t *testing.T) {
	var got Report
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/workloads" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "bad request line", http.StatusUnauthorized)
			return
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	in := Report{Reporter: "watcher/prod", Workloads: []Workload{{Cluster: "prod", Pod: "p", Digest: dWeb}}, TTLSeconds: 180}
	if err := (&HTTPReporter{ServerURL: srv.URL + "/", Token: "tok"}).ReportWorkloads(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("posted (-want +got):\n%s", diff)
	}
	err := (&HTTPReporter{ServerURL: srv.URL, Token: "wrong"}).ReportWorkloads(t.Context(), in)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "bad request line") {
		t.Errorf("rejected report: err = %v", err)
	}
}

func TestNewWatcherNeedsCluster(t *testing.T) {
	if _, err := NewWatcher(fake.NewClientset(), make(chanReporter), Options{}); err == nil {
		t.Error("want an error without a cluster name")
	}
}
