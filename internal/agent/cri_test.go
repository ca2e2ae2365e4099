package agent

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

const (
	criID    = "5d3c9f1a0b2e4c6d8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"
	criImage = "sha256:98e1325ff4bc5c500e1a0338eb51875cd747c348f40a2fcef08fa726acf75583"
)

// fakeCRI answers the few CRI calls the agent makes, as containerd does.
type fakeCRI struct {
	cri.UnimplementedRuntimeServiceServer
	cri.UnimplementedImageServiceServer
	// oldRuntime leaves ContainerStatus.ImageId empty, as runtimes before
	// CRI 1.31 do.
	oldRuntime bool
}

func (f *fakeCRI) Version(context.Context, *cri.VersionRequest) (*cri.VersionResponse, error) {
	return &cri.VersionResponse{RuntimeName: "containerd", RuntimeVersion: "v1.7.24", RuntimeApiVersion: "v1"}, nil
}

func (f *fakeCRI) ContainerStatus(_ context.Context, r *cri.ContainerStatusRequest) (*cri.ContainerStatusResponse, error) {
	if r.GetContainerId() != criID {
		return nil, status.Errorf(codes.NotFound, "an error occurred when try to find container %q: not found", r.GetContainerId())
	}
	st := &cri.ContainerStatus{
		Id: criID, Metadata: &cri.ContainerMetadata{Name: "cart"}, State: cri.ContainerState_CONTAINER_RUNNING,
		Image:    &cri.ImageSpec{Image: criImage, UserSpecifiedImage: "registry.example/shop/cart:1.4"},
		ImageRef: "registry.example/shop/cart@sha256:1111111111111111111111111111111111111111111111111111111111111111",
		ImageId:  criImage,
		Labels: map[string]string{"io.kubernetes.pod.name": "cart-7d9f", "io.kubernetes.pod.namespace": "shop",
			"io.kubernetes.container.name": "cart"},
	}
	if f.oldRuntime {
		st.ImageId = ""
	}
	info := map[string]string{}
	if r.GetVerbose() {
		info["info"] = `{"sandboxID":"abc","pid":4242,"snapshotter":"overlayfs","runtimeSpec":{"root":{"path":"rootfs"}}}`
	}
	return &cri.ContainerStatusResponse{Status: st, Info: info}, nil
}

func (f *fakeCRI) ListContainers(_ context.Context, r *cri.ListContainersRequest) (*cri.ListContainersResponse, error) {
	if r.GetFilter().GetState().GetState() != cri.ContainerState_CONTAINER_RUNNING {
		return nil, status.Error(codes.InvalidArgument, "test expects a running-state filter")
	}
	return &cri.ListContainersResponse{Containers: []*cri.Container{{Id: criID, State: cri.ContainerState_CONTAINER_RUNNING}}}, nil
}

func (f *fakeCRI) ImageStatus(_ context.Context, r *cri.ImageStatusRequest) (*cri.ImageStatusResponse, error) {
	if !strings.HasPrefix(r.GetImage().GetImage(), "registry.example/shop/cart") {
		return &cri.ImageStatusResponse{}, nil
	}
	return &cri.ImageStatusResponse{Image: &cri.Image{Id: criImage,
		RepoDigests: []string{"registry.example/shop/cart@sha256:1111111111111111111111111111111111111111111111111111111111111111"}}}, nil
}

// serveCRI starts f on a unix socket in a temporary directory.
func serveCRI(t *testing.T, f *fakeCRI) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "cri.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	cri.RegisterRuntimeServiceServer(srv, f)
	cri.RegisterImageServiceServer(srv, f)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return "unix://" + sock
}

// procWithMounts writes <proc>/4242/mountinfo with an overlay root the
// way containerd's overlayfs snapshotter mounts it.
func procWithMounts(t *testing.T) string {
	t.Helper()
	proc := t.TempDir()
	dir := filepath.Join(proc, "4242")
	os.MkdirAll(dir, 0o755)
	snap := "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots"
	mi := "1234 1200 0:61 / / rw,relatime master:300 - overlay overlay rw,lowerdir=" + snap + "/12/fs:" + snap + "/11/fs,upperdir=" + snap + "/13/fs,workdir=" + snap + "/13/work\n" +
		"1235 1234 0:63 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n" +
		"1236 1234 8:1 /var/lib/kubelet/pods/x/volumes/data /data\\040dir rw - ext4 /dev/sda1 rw\n"
	if err := os.WriteFile(filepath.Join(dir, "mountinfo"), []byte(mi), 0o644); err != nil {
		t.Fatal(err)
	}
	return proc
}

func TestCRIResolver(t *testing.T) {
	snap := "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots"
	for _, old := range []bool{false, true} {
		endpoint := serveCRI(t, &fakeCRI{oldRuntime: old})
		c, err := NewCRI(context.Background(), endpoint)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.ProcRoot = procWithMounts(t)
		if c.Name != "containerd v1.7.24" {
			t.Errorf("Name = %q", c.Name)
		}
		got, err := c.Inspect(context.Background(), criID)
		if err != nil {
			t.Fatalf("old runtime %t: %v", old, err)
		}
		want := &Container{
			ID: criID, Name: "cart", ImageID: criImage, ImageName: "registry.example/shop/cart:1.4",
			RepoDigests: []string{"registry.example/shop/cart@sha256:1111111111111111111111111111111111111111111111111111111111111111"},
			Labels: map[string]string{"io.kubernetes.pod.name": "cart-7d9f", "io.kubernetes.pod.namespace": "shop",
				"io.kubernetes.container.name": "cart"},
			Pid: 4242, MergedDir: filepath.Join(c.ProcRoot, "4242", "root"),
			UpperDir: snap + "/13/fs", LowerDirs: []string{snap + "/12/fs", snap + "/11/fs"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("old runtime %t: Inspect (-want +got):\n%s", old, diff)
		}
		if got.Pod() != "cart-7d9f" || got.Namespace() != "shop" {
			t.Errorf("pod %q namespace %q", got.Pod(), got.Namespace())
		}
		if _, err := c.Inspect(context.Background(), "feedface"); !errors.Is(err, ErrNoContainer) {
			t.Errorf("unknown container: %v, want ErrNoContainer", err)
		}
		ids, err := c.Running(context.Background())
		if err != nil || len(ids) != 1 || ids[0] != criID {
			t.Errorf("Running = %v, %v", ids, err)
		}
	}
}

func TestCRIEndpointErrors(t *testing.T) {
	if _, err := NewCRI(context.Background(), "tcp://localhost:1"); err == nil || !strings.Contains(err.Error(), "want unix://") {
		t.Errorf("tcp endpoint: %v", err)
	}
	missing := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	if _, err := NewCRI(context.Background(), missing); err == nil || !strings.Contains(err.Error(), "no CRI service") {
		t.Errorf("missing socket: %v", err)
	}
	// A gRPC server without the CRI (containerd with the cri plugin
	// disabled) is refused too.
	sock := filepath.Join(t.TempDir(), "plain.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	go srv.Serve(ln)
	defer srv.Stop()
	if _, err := NewCRI(context.Background(), "unix://"+sock); err == nil || !strings.Contains(err.Error(), "cri plugin") {
		t.Errorf("server without CRI: %v", err)
	}
}

// staticRuntime knows one container.
type staticRuntime struct {
	id  string
	err error
}

func (s staticRuntime) Inspect(_ context.Context, id string) (*Container, error) {
	if s.err != nil {
		return nil, s.err
	}
	if id != s.id {
		return nil, ErrNoContainer
	}
	return &Container{ID: id}, nil
}

func (s staticRuntime) Running(context.Context) ([]string, error) {
	if s.err != nil {
		return nil, s.err
	}
	return []string{s.id}, nil
}

func TestRuntimes(t *testing.T) {
	rs := Runtimes{staticRuntime{id: "a"}, staticRuntime{id: "b"}}
	if c, err := rs.Inspect(context.Background(), "b"); err != nil || c.ID != "b" {
		t.Errorf("Inspect(b) = %v, %v", c, err)
	}
	if _, err := rs.Inspect(context.Background(), "c"); !errors.Is(err, ErrNoContainer) {
		t.Errorf("Inspect(c) = %v, want ErrNoContainer", err)
	}
	if ids, err := rs.Running(context.Background()); err != nil || strings.Join(ids, ",") != "a,b" {
		t.Errorf("Running = %v, %v", ids, err)
	}
	down := Runtimes{staticRuntime{id: "a"}, staticRuntime{err: errors.New("docker: connection refused")}}
	if _, err := down.Running(context.Background()); err == nil {
		t.Error("Running with one runtime down succeeded; its containers would look stopped")
	}
	if c, err := down.Inspect(context.Background(), "a"); err != nil || c.ID != "a" {
		t.Errorf("Inspect with the second runtime down = %v, %v", c, err)
	}
}

func TestOverlayDirsNotOverlay(t *testing.T) {
	f := filepath.Join(t.TempDir(), "mountinfo")
	os.WriteFile(f, []byte("22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"), 0o644)
	if up, low, err := overlayDirs(f); err != nil || up != "" || low != nil {
		t.Errorf("ext4 root: %q %q %v", up, low, err)
	}
	if _, _, err := overlayDirs(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing mountinfo: no error")
	}
	if got := unescapeMount(`/a\040b\134c\04`); got != `/a b\c\04` {
		t.Errorf("unescapeMount = %q", got)
	}
}
