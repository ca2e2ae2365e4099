//go:build integration

package cli

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/bulwark-security/bulwark/internal/kube/kubetest"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/scan"
	"github.com/bulwark-security/bulwark/internal/server"
)

// writeKubeconfig writes cfg as a kubeconfig file for --kubeconfig.
func writeKubeconfig(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["envtest"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "envtest"}
	kc.CurrentContext = "envtest"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWatcherAffected runs a real server, a real API server and the real
// "bulwark watch": a scanned image's pod, created through its Deployment
// and ReplicaSet, makes "bulwark affected" name the namespace, workload
// and pod; deleting the pod takes it off the list. The watcher reports
// with an ingest-only token from --token-file.
func TestWatcherAffected(t *testing.T) {
	data := t.TempDir()
	debianDB(t, data)
	admin, watcherSecret, readerSecret := server.NewTokenSecret(), server.NewTokenSecret(), server.NewTokenSecret()
	tokenFile := filepath.Join(t.TempDir(), "tokens")
	lines := fmt.Sprintf("# pre-provisioned tokens\nwatcher ingest sha256:%s\nreader read %s\n", server.HashToken(watcherSecret), readerSecret)
	if err := os.WriteFile(tokenFile, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	base := "http://" + addr
	logs := startCommand(t, "--cache-dir", t.TempDir(), "server", "--data", data, "--listen", addr, "--bootstrap-token", admin,
		"--token-file", tokenFile, "--db-update-interval", "0", "--notify-log=false")
	c := &http.Client{Timeout: time.Minute}
	waitHealthy(t, c, base, logs)

	// A scanned image in the inventory.
	inv, err := scan.Inventory(t.Context(), "docker-archive:"+filepath.Join(testImagesDir(t), "debian12-app.docker.tar"), scan.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	digest := inv.Image.Digest
	if digest == "" {
		digest = inv.Image.ConfigDigest
	}
	var ingested server.IngestResponse
	if code := apiCall(t, c, http.MethodPost, base+"/api/v1/inventories", admin, server.IngestRequest{Inventory: inv, Digest: digest}, &ingested); code != http.StatusCreated {
		t.Fatalf("ingest: HTTP %d", code)
	}
	var rep model.Report
	if code := apiCall(t, c, http.MethodGet, base+"/api/v1/images/"+digest+"/report", admin, nil, &rep); code != http.StatusOK || len(rep.Findings) == 0 {
		t.Fatalf("report: HTTP %d, %d findings; want some", code, len(rep.Findings))
	}
	vuln := rep.Findings[0].VulnID

	// The watcher's token may report workloads and nothing else.
	if code := apiCall(t, c, http.MethodGet, base+"/api/v1/images", watcherSecret, nil, nil); code != http.StatusForbidden {
		t.Errorf("watcher token reading images: HTTP %d, want 403", code)
	}

	// The cluster: Deployment → ReplicaSet → Pod, running the image.
	cfg := kubetest.Start(t)
	kc := kubernetes.NewForConfigOrDie(cfg)
	ctx := t.Context()
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "web"}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.local/app:1"}}}}
	yes := true
	dep, err := kc.AppsV1().Deployments("shop").Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// No controller manager or kubelet runs here: create what they would.
	rs, err := kc.AppsV1().ReplicaSets("shop").Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-5d4f", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: &yes}}},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod, err := kc.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-5d4f-x7k2q", Labels: labels, OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes}}},
		Spec: tmpl.Spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "app", Image: "registry.local/app:1", ImageID: "registry.local/app@" + digest, Ready: true,
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}}}}
	if _, err := kc.CoreV1().Pods("shop").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	watchLogs := startCommand(t, "watch", "--cluster", "test", "--server", base, "--token", watcherSecret,
		"--kubeconfig", writeKubeconfig(t, cfg), "--interval", "1h")

	affected := func() string {
		code, out, errOut := runCLI(t, "affected", vuln, "--server", base, "--token", readerSecret)
		if code != ExitOK {
			t.Fatalf("bulwark affected %s: exit %d: %s", vuln, code, errOut)
		}
		return out
	}
	waitFor := func(what string, ok func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			out := affected()
			if ok(out) {
				return out
			}
			if time.Now().After(deadline) {
				t.Fatalf("bulwark affected never showed %s:\n%s\nwatcher log:\n%s\nserver log:\n%s", what, out, watchLogs.String(), logs.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	const running = "test/shop/web-5d4f-x7k2q (Deployment/web)"
	out := waitFor("the running pod", func(s string) bool { return strings.Contains(s, running) })
	if !strings.Contains(out, shortDigest(digest)) || !strings.Contains(out, "1 running container(s)") {
		t.Errorf("affected output lacks the image or the count:\n%s", out)
	}

	if err := kc.CoreV1().Pods("shop").Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	out = waitFor("the deleted pod gone", func(s string) bool { return strings.Contains(s, "0 running container(s)") })
	if strings.Contains(out, "web-5d4f-x7k2q") {
		t.Errorf("the deleted pod is still listed:\n%s", out)
	}
}
