package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// DefaultCRIEndpoint is containerd's socket, which serves the CRI when
// its CRI plugin is enabled (as on every Kubernetes node using it).
const DefaultCRIEndpoint = "unix:///run/containerd/containerd.sock"

var _ Runtime = (*CRI)(nil)

// CRI resolves containers through the Kubernetes Container Runtime
// Interface: containerd's CRI plugin or CRI-O. Kubernetes creates its
// containers there, so this is the runtime to ask on a node.
type CRI struct {
	conn *grpc.ClientConn
	rt   cri.RuntimeServiceClient
	img  cri.ImageServiceClient
	// ProcRoot is where the containers' processes are seen ("/proc");
	// the container's root filesystem and overlay directories are read
	// from its init process there.
	ProcRoot string
	// Name is the runtime's name and version, from the CRI Version call.
	Name string
}

// NewCRI connects to endpoint ("unix:///run/containerd/containerd.sock",
// "unix:///run/crio/crio.sock") and checks that it serves the CRI.
func NewCRI(ctx context.Context, endpoint string) (*CRI, error) {
	sock, ok := strings.CutPrefix(endpoint, "unix://")
	if !ok {
		return nil, fmt.Errorf("cri endpoint %q: want unix:///path/to.sock", endpoint)
	}
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("cri endpoint %q: %w", endpoint, err)
	}
	c := &CRI{conn: conn, rt: cri.NewRuntimeServiceClient(conn), img: cri.NewImageServiceClient(conn), ProcRoot: "/proc"}
	vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := c.rt.Version(vctx, &cri.VersionRequest{})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("cri endpoint %q: no CRI service there (for containerd, is the cri plugin enabled?): %w", endpoint, err)
	}
	c.Name = v.GetRuntimeName() + " " + v.GetRuntimeVersion()
	return c, nil
}

// Close closes the connection.
func (c *CRI) Close() error { return c.conn.Close() }

// Inspect returns container id (full or unique prefix).
func (c *CRI) Inspect(ctx context.Context, id string) (*Container, error) {
	resp, err := c.rt.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if status.Code(err) == codes.NotFound {
		return nil, fmt.Errorf("cri container %s: %w", id, ErrNoContainer)
	}
	if err != nil {
		return nil, fmt.Errorf("cri container %s: %w", id, err)
	}
	st := resp.GetStatus()
	if st == nil {
		return nil, fmt.Errorf("cri container %s: %w", id, ErrNoContainer)
	}
	ctr := &Container{
		ID: st.GetId(), Name: st.GetMetadata().GetName(), Labels: st.GetLabels(),
		ImageID: st.GetImageId(), ImageName: st.GetImage().GetUserSpecifiedImage(),
	}
	if ctr.ImageName == "" {
		ctr.ImageName = st.GetImage().GetImage()
	}
	// The image ID is the profile key; runtimes older than CRI 1.31 do
	// not report it with the container, so ask the image service.
	if ref := firstNonEmpty(st.GetImageRef(), st.GetImage().GetImage()); ref != "" {
		is, err := c.img.ImageStatus(ctx, &cri.ImageStatusRequest{Image: &cri.ImageSpec{Image: ref}})
		if err == nil && is.GetImage() != nil {
			if ctr.ImageID == "" {
				ctr.ImageID = is.GetImage().GetId()
			}
			ctr.RepoDigests = is.GetImage().GetRepoDigests()
		}
	}
	if ctr.ImageID == "" {
		return nil, fmt.Errorf("cri container %s: the runtime reports no image ID", id)
	}
	ctr.Pid, err = criPid(resp.GetInfo())
	if err != nil {
		return nil, fmt.Errorf("cri container %s: %w", id, err)
	}
	if ctr.Pid > 0 {
		// The container's root as its init process sees it; fanotify
		// marks and file lookups go through it like through Docker's
		// MergedDir.
		ctr.MergedDir = filepath.Join(c.ProcRoot, strconv.Itoa(ctr.Pid), "root")
		ctr.UpperDir, ctr.LowerDirs, err = overlayDirs(filepath.Join(c.ProcRoot, strconv.Itoa(ctr.Pid), "mountinfo"))
		if err != nil {
			return nil, fmt.Errorf("cri container %s: %w", id, err)
		}
	}
	return ctr, nil
}

// Running lists running containers.
func (c *CRI) Running(ctx context.Context) ([]string, error) {
	resp, err := c.rt.ListContainers(ctx, &cri.ListContainersRequest{Filter: &cri.ContainerFilter{
		State: &cri.ContainerStateValue{State: cri.ContainerState_CONTAINER_RUNNING}}})
	if err != nil {
		return nil, fmt.Errorf("cri list containers: %w", err)
	}
	ids := make([]string, 0, len(resp.GetContainers()))
	for _, x := range resp.GetContainers() {
		ids = append(ids, x.GetId())
	}
	return ids, nil
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// criPid reads the init pid from the verbose status info, which
// containerd and CRI-O both give as a JSON document under "info".
func criPid(info map[string]string) (int, error) {
	raw, ok := info["info"]
	if !ok {
		return 0, nil
	}
	var v struct {
		Pid int `json:"pid"`
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return 0, fmt.Errorf("verbose status info: %w", err)
	}
	return v.Pid, nil
}

// overlayDirs returns the upper and lower directories of the overlay
// mounted at "/" in a mountinfo file; empty when the root is not an
// overlay (drift detection then has no upper layer to consult).
func overlayDirs(mountinfo string) (string, []string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return "", nil, fmt.Errorf("read container mounts: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var upper string
	var lower []string
	for sc.Scan() {
		// id parent major:minor root mountpoint opts [optional…] - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(tail) < 3 || fields[4] != "/" || tail[0] != "overlay" {
			continue
		}
		upper, lower = "", nil
		for _, opt := range strings.Split(tail[2], ",") {
			switch k, v, _ := strings.Cut(opt, "="); k {
			case "upperdir":
				upper = unescapeMount(v)
			case "lowerdir":
				for _, l := range strings.Split(v, ":") {
					lower = append(lower, unescapeMount(l))
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", nil, fmt.Errorf("read container mounts: %w", err)
	}
	return upper, lower, nil
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Runtimes asks several container runtimes in order: a node may run
// Kubernetes pods through the CRI and other containers through Docker.
type Runtimes []Runtime

var _ Runtime = Runtimes(nil)

// Inspect returns the first runtime's answer that knows id; ErrNoContainer
// (joined with the other runtimes' errors) when none does.
func (rs Runtimes) Inspect(ctx context.Context, id string) (*Container, error) {
	var errs []error
	for _, r := range rs {
		c, err := r.Inspect(ctx, id)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("container %s: %w", id, ErrNoContainer)
	}
	return nil, errors.Join(errs...)
}

// Running lists the running containers of every runtime. It fails when
// any runtime fails, so a runtime that is briefly unreachable does not
// make its containers look stopped.
func (rs Runtimes) Running(ctx context.Context) ([]string, error) {
	var ids []string
	for _, r := range rs {
		part, err := r.Running(ctx)
		if err != nil {
			return nil, err
		}
		ids = append(ids, part...)
	}
	return ids, nil
}

// DetectRuntime picks the container runtimes to resolve containers with.
// An explicit criEndpoint or dockerHost is used alone. Otherwise, when
// containerd's socket exists and serves the CRI, that comes first and
// the Docker Engine second if it answers too; else the Docker Engine. It
// returns a description of the choice for the agent's start event.
func DetectRuntime(ctx context.Context, criEndpoint, dockerHost string) (Runtime, string, error) {
	if criEndpoint != "" {
		c, err := NewCRI(ctx, criEndpoint)
		if err != nil {
			return nil, "", err
		}
		return c, "cri " + criEndpoint + " (" + c.Name + ")", nil
	}
	d, err := NewDocker(dockerHost)
	if err != nil {
		return nil, "", err
	}
	if dockerHost != "" || os.Getenv("DOCKER_HOST") != "" {
		return d, "docker", nil
	}
	if _, err := os.Stat(strings.TrimPrefix(DefaultCRIEndpoint, "unix://")); err != nil {
		return d, "docker", nil
	}
	c, err := NewCRI(ctx, DefaultCRIEndpoint)
	if err != nil {
		return d, "docker (containerd socket without CRI: " + err.Error() + ")", nil
	}
	desc := "cri " + DefaultCRIEndpoint + " (" + c.Name + ")"
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := d.Running(pctx); err != nil {
		return c, desc, nil
	}
	return Runtimes{c, d}, desc + " and docker", nil
}
