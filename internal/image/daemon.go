package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// openDaemon reads an image from the local Docker Engine (DOCKER_HOST and
// the other DOCKER_* variables are honoured). The engine's `docker save`
// stream is spooled once into a file under Options.TempDir and then read
// in place like a docker-archive, so layers can be scanned in parallel.
func openDaemon(ctx context.Context, ref, spec string, opts Options) (Image, error) {
	if spec == "" {
		return nil, markErr(ErrBadReference, fmt.Errorf("%s: missing image name, want docker:NAME[:TAG]", ref))
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, markErr(ErrUnreachable, fmt.Errorf("%s: Docker Engine client: %v", ref, err))
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return nil, markErr(ErrUnreachable, fmt.Errorf("%s: Docker Engine not reachable (is dockerd running? DOCKER_HOST=%q): %v", ref, os.Getenv("DOCKER_HOST"), err))
	}
	inspect, err := cli.ImageInspect(ctx, spec)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, markErr(ErrNotFound, fmt.Errorf("%s: no such image in the Docker Engine", ref))
		}
		return nil, markErr(ErrUnreachable, fmt.Errorf("%s: inspect: %v", ref, err))
	}
	if err := os.MkdirAll(tempRoot(opts), 0o700); err != nil {
		return nil, fmt.Errorf("%s: temp dir: %w", ref, err)
	}
	f, err := os.CreateTemp(tempRoot(opts), "docker-save-*.tar")
	if err != nil {
		return nil, fmt.Errorf("%s: temp file: %w", ref, err)
	}
	tmp := f.Name()
	fail := func(err error) (Image, error) {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	rc, err := cli.ImageSave(ctx, []string{inspect.ID})
	if err != nil {
		return fail(markErr(ErrUnreachable, fmt.Errorf("%s: save: %v", ref, err)))
	}
	_, err = io.Copy(f, rc)
	rc.Close()
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		return fail(fmt.Errorf("%s: spool image: %w", ref, err))
	}
	a, err := readDockerArchive(ctx, ref, tmp, SourceDaemon)
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	// The spool file stays readable through the open handle.
	os.Remove(tmp)
	a.id.Tags = sortedUnique(append([]string(nil), inspect.RepoTags...))
	a.id.RepoDigests = sortedUnique(append([]string(nil), inspect.RepoDigests...))
	if len(a.id.Tags) > 0 {
		a.id.Name = repoOf(a.id.Tags[0])
	}
	if a.id.Digest == "" && len(a.id.RepoDigests) > 0 {
		if _, d, ok := strings.Cut(a.id.RepoDigests[0], "@"); ok {
			a.id.Digest = d
		}
	}
	if a.id.ConfigDigest == "" {
		a.id.ConfigDigest = inspect.ID
	}
	return a, nil
}

func tempRoot(opts Options) string {
	if opts.TempDir != "" {
		return opts.TempDir
	}
	return os.TempDir()
}

// isDaemonMissing reports errors that mean "try elsewhere".
func isDaemonMissing(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnreachable)
}
