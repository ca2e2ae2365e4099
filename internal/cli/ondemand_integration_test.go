//go:build integration

package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/bulwark-security/bulwark/internal/admission"
	"github.com/bulwark-security/bulwark/internal/kube/kubetest"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
)

// testImagesDir is where the Debian 12 test images are built.
func testImagesDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BULWARK_TEST_IMAGES")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "bulwark-test-images")
	}
	if _, err := os.Stat(filepath.Join(dir, "debian12-app.oci")); err != nil {
		t.Fatalf("test images missing (run scripts/setup-test-env.sh): %v", err)
	}
	return dir
}

// pushTestImage starts a registry with basic auth (scripts/start-registry.sh),
// pushes the Debian 12 app image to it as repo:tag, points DOCKER_CONFIG at
// its credentials and returns the registry host and the manifest digest.
func pushTestImage(t *testing.T, repoTag string) (host, digest string) {
	t.Helper()
	addr := freeAddr(t)
	port := addr[strings.LastIndex(addr, ":")+1:]
	user, pass := "bulwark", "on-demand-"+port
	out, err := exec.Command(filepath.Join("..", "..", "scripts", "start-registry.sh"), port, user, pass).Output()
	if err != nil {
		t.Fatalf("start-registry.sh: %v", err)
	}
	if i := strings.LastIndex(string(out), "STATE_DIR="); i >= 0 {
		if state := strings.TrimSpace(string(out)[i+len("STATE_DIR="):]); state != "" {
			t.Cleanup(func() {
				if pid, err := os.ReadFile(filepath.Join(state, "pid")); err == nil {
					_ = exec.Command("kill", strings.TrimSpace(string(pid))).Run()
				}
				os.RemoveAll(state)
			})
		}
	}
	host = "127.0.0.1:" + port
	idx, err := layout.ImageIndexFromPath(filepath.Join(testImagesDir(t), "debian12-app.oci"))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: user, Password: pass})); err != nil {
		t.Fatalf("push: %v", err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	cfg := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", cfg)
	return host, d.String()
}

// podReview is a CREATE AdmissionReview for a pod running image.
func podReview(t *testing.T, namespace, image string) []byte {
	t.Helper()
	raw, err := json.Marshal(&corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: namespace},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{UID: "review-1", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Namespace: namespace, Name: "web", Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func postReview(t *testing.T, c *http.Client, url string, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Response == nil {
		t.Fatalf("review answer (HTTP %d): %v", resp.StatusCode, err)
	}
	return out.Response
}

// TestAdmissionScanOnDemand runs "bulwark server --admission
// --admission-scan-on-demand" and reviews a pod whose image was never
// scanned: the webhook scans it from the registry within the budget,
// stores it like a pushed scan, and admits it.
func TestAdmissionScanOnDemand(t *testing.T) {
	host, digest := pushTestImage(t, "bulwark-test/app:1")
	data := t.TempDir()
	debianDB(t, data)
	serving, caPEM := kubetest.ServingTLS(t)
	certFile, keyFile := writeTLS(t, serving)
	addr := freeAddr(t)
	base := "https://" + addr
	admin := server.NewTokenSecret()
	logs := startCommand(t, "--cache-dir", t.TempDir(), "server", "--data", data, "--listen", addr,
		"--tls-cert", certFile, "--tls-key", keyFile, "--bootstrap-token", admin, "--db-update-interval", "0", "--notify-log=false",
		"--admission", "--admission-server-url", base, "--admission-insecure-registries", host,
		"--admission-scan-on-demand", "--admission-scan-budget", "25s")
	c := tlsClient(t, caPEM)
	waitHealthy(t, c, base, logs)

	image := host + "/bulwark-test/app:1"
	start := time.Now()
	got := postReview(t, c, base+admission.ValidatePath, podReview(t, "shop", image))
	took := time.Since(start)
	if !got.Allowed {
		t.Fatalf("the review was denied: %s\nserver log:\n%s", got.Result.Message, logs.String())
	}
	t.Logf("first review, scanned on demand: %s", took)

	// The scan is in the inventory, under the digest the pod runs, with its tag.
	var imgs []store.ImageSummary
	if code := apiCall(t, c, http.MethodGet, base+"/api/v1/images", admin, nil, &imgs); code != http.StatusOK {
		t.Fatalf("images: HTTP %d", code)
	}
	i := slices.IndexFunc(imgs, func(s store.ImageSummary) bool { return s.Digest == digest })
	if i < 0 {
		t.Fatalf("images %+v lack %s", imgs, digest)
	}
	if imgs[i].Repo != host+"/bulwark-test/app" || !slices.Contains(imgs[i].Tags, "1") || imgs[i].Distro == "" {
		t.Errorf("stored image %+v: want repo %s/bulwark-test/app, tag 1 and a distro", imgs[i], host)
	}
	var rep model.Report
	if code := apiCall(t, c, http.MethodGet, base+"/api/v1/images/"+digest+"/report", admin, nil, &rep); code != http.StatusOK {
		t.Fatalf("report: HTTP %d", code)
	}
	if len(rep.Findings) == 0 {
		t.Errorf("the on-demand report of the Debian 12 image has no findings")
	}

	// The verdict is cached: the next review neither scans nor waits.
	start = time.Now()
	if got := postReview(t, c, base+admission.ValidatePath, podReview(t, "shop", image)); !got.Allowed {
		t.Fatalf("second review denied: %s", got.Result.Message)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second review took %s; the verdict should come from the cache", d)
	}
	// The on-demand ingest token is not usable from outside.
	if code := apiCall(t, c, http.MethodGet, base+"/api/v1/images", "bwk_guess", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("unknown token: HTTP %d, want 401", code)
	}
}
