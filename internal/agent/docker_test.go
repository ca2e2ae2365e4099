package agent

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testContainer = "f0b0858705752885883b2a431ace6cf502f31e5aa85bbad870fb094f1613b292"
	testImage     = "sha256:98e1325ff4bc5c500e1a0338eb51875cd747c348f40a2fcef08fa726acf75583"
)

// fakeEngine serves the recorded Docker Engine responses on a unix socket.
func fakeEngine(t *testing.T) string {
	t.Helper()
	files := map[string]string{
		"/containers/" + testContainer + "/json": "testdata/container-inspect.json",
		"/images/" + testImage + "/json":         "testdata/image-inspect.json",
		"/containers/json":                       "testdata/containers-list.json",
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[r.URL.Path]
		if !ok {
			http.Error(w, `{"message":"No such container"}`, http.StatusNotFound)
			return
		}
		http.ServeFile(w, r, f)
	}))
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return "unix://" + sock
}

func TestDockerInspect(t *testing.T) {
	d, err := NewDocker(fakeEngine(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Inspect(context.Background(), testContainer)
	if err != nil {
		t.Fatal(err)
	}
	layer := "/var/lib/docker/overlay2/10a4431bdf79ec05804da3fcf6f34fff9a9882896b3491e08b3c0214159e4299"
	want := &Container{
		ID: testContainer, Name: "lucid_brahmagupta",
		ImageID: testImage, ImageName: "bulwark-test/debian12-base:1", RepoDigests: []string{},
		Labels:    map[string]string{"io.kubernetes.pod.name": "web-0", "io.kubernetes.pod.namespace": "shop"},
		Pid:       18686,
		MergedDir: layer + "/merged", UpperDir: layer + "/diff",
		LowerDirs: []string{layer + "-init/diff", "/var/lib/docker/overlay2/f769f8da4154054f94d172b2b344365717761bace5858de294ef86f48e3876b7/diff"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Inspect (-want +got):\n%s", diff)
	}
	if got.Pod() != "web-0" || got.Namespace() != "shop" {
		t.Errorf("pod/namespace = %q/%q", got.Pod(), got.Namespace())
	}
	if _, err := d.Inspect(context.Background(), "gone"); !errors.Is(err, ErrNoContainer) {
		t.Errorf("unknown container: err = %v, want ErrNoContainer", err)
	}
	ids, err := d.Running(context.Background())
	if err != nil || len(ids) != 1 || ids[0] != testContainer {
		t.Errorf("Running = %v, %v", ids, err)
	}
}

func TestNewDocker(t *testing.T) {
	for _, host := range []string{"ssh://host", "npipe:////./pipe/docker", "://"} {
		if _, err := NewDocker(host); err == nil || !strings.Contains(err.Error(), host) {
			t.Errorf("NewDocker(%q): err = %v, want one naming the host", host, err)
		}
	}
	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
	d, err := NewDocker("")
	if err != nil || d.base != "http://127.0.0.1:1" {
		t.Fatalf("DOCKER_HOST not honoured: %+v, %v", d, err)
	}
	if _, err := d.Running(context.Background()); err == nil {
		t.Error("unreachable engine: no error")
	}
}
