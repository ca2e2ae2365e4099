package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Container is what the agent needs to know about one container.
type Container struct {
	ID   string
	Name string
	// ImageID is the image's config digest ("sha256:…"), the key of its
	// profile; ImageName is the reference the container was started from.
	ImageID     string
	ImageName   string
	RepoDigests []string
	Labels      map[string]string
	Pid         int
	// MergedDir, UpperDir and LowerDirs are the overlay directories on the
	// host (GraphDriver.Data of the overlay2 storage driver).
	MergedDir string
	UpperDir  string
	LowerDirs []string
}

// Pod and Namespace are the Kubernetes pod of the container, when the
// container runtime labelled it.
func (c *Container) Pod() string       { return c.Labels["io.kubernetes.pod.name"] }
func (c *Container) Namespace() string { return c.Labels["io.kubernetes.pod.namespace"] }

// Runtime resolves container IDs to containers.
type Runtime interface {
	Inspect(ctx context.Context, id string) (*Container, error)
	// Running lists the IDs of running containers.
	Running(ctx context.Context) ([]string, error)
}

// ErrNoContainer is returned by Inspect for an unknown container.
var ErrNoContainer = errors.New("no such container")

var _ Runtime = (*Docker)(nil)

// Docker talks to the Docker Engine API over plain HTTP.
type Docker struct {
	base   string
	client *http.Client
}

// NewDocker returns a client for host ("unix:///var/run/docker.sock",
// "tcp://host:2375"); "" means $DOCKER_HOST or the default socket.
func NewDocker(host string) (*Docker, error) {
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("docker host %q: %w", host, err)
	}
	tr := &http.Transport{MaxIdleConns: 4, IdleConnTimeout: 30 * time.Second}
	d := &Docker{client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	switch u.Scheme {
	case "unix":
		sock := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", sock)
		}
		d.base = "http://docker"
	case "tcp", "http":
		d.base = "http://" + u.Host
	default:
		return nil, fmt.Errorf("docker host %q: unsupported scheme %q (want unix or tcp)", host, u.Scheme)
	}
	return d, nil
}

func (d *Docker) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("docker %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("docker %s: %w", path, ErrNoContainer)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("docker %s: %s: %s", path, resp.Status, strings.TrimSpace(string(msg)))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("docker %s: decode: %w", path, err)
	}
	return nil
}

type dockerInspect struct {
	ID     string `json:"Id"`
	Name   string `json:"Name"`
	Image  string `json:"Image"`
	Config struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	State struct {
		Pid     int  `json:"Pid"`
		Running bool `json:"Running"`
	} `json:"State"`
	GraphDriver struct {
		Name string            `json:"Name"`
		Data map[string]string `json:"Data"`
	} `json:"GraphDriver"`
}

// Inspect returns the container id (full or unique prefix).
func (d *Docker) Inspect(ctx context.Context, id string) (*Container, error) {
	var in dockerInspect
	if err := d.get(ctx, "/containers/"+url.PathEscape(id)+"/json", &in); err != nil {
		return nil, err
	}
	c := &Container{
		ID: in.ID, Name: strings.TrimPrefix(in.Name, "/"),
		ImageID: in.Image, ImageName: in.Config.Image, Labels: in.Config.Labels,
		Pid:       in.State.Pid,
		MergedDir: in.GraphDriver.Data["MergedDir"],
		UpperDir:  in.GraphDriver.Data["UpperDir"],
	}
	if lower := in.GraphDriver.Data["LowerDir"]; lower != "" {
		c.LowerDirs = strings.Split(lower, ":")
	}
	var img struct {
		RepoDigests []string `json:"RepoDigests"`
	}
	if in.Image != "" {
		if err := d.get(ctx, "/images/"+url.PathEscape(in.Image)+"/json", &img); err == nil {
			c.RepoDigests = img.RepoDigests
		}
	}
	return c, nil
}

// Running lists running containers.
func (d *Docker) Running(ctx context.Context) ([]string, error) {
	var list []struct {
		ID string `json:"Id"`
	}
	if err := d.get(ctx, "/containers/json", &list); err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return ids, nil
}
