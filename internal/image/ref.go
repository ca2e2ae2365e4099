package image

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Open resolves ref and returns the image. The reference syntax is
//
//	docker-archive:FILE     `docker save` output
//	oci:DIR[:TAG]           OCI image layout
//	oci-archive:FILE[:TAG]  tar of an OCI image layout
//	docker:REF              the local Docker Engine (DOCKER_HOST honoured)
//	registry:REF            a registry
//	dir:PATH                an unpacked root filesystem or project directory
//	REF                     a registry host in REF means the registry;
//	                        otherwise the local Engine first, then the registry
func Open(ctx context.Context, ref string, opts Options) (Image, error) {
	if ref == "" {
		return nil, markErr(ErrBadReference, errors.New("empty reference"))
	}
	kind, rest, ok := strings.Cut(ref, ":")
	if ok {
		switch kind {
		case "docker-archive":
			return openDockerArchive(ctx, ref, rest)
		case "oci":
			return openLayout(ctx, ref, rest, opts)
		case "oci-archive":
			return openOCIArchive(ctx, ref, rest, opts)
		case "docker":
			return openDaemon(ctx, ref, rest, opts)
		case "registry":
			return openRemote(ctx, ref, rest, opts)
		case "dir":
			return openDir(ref, rest)
		}
	}
	if hasRegistryHost(ref) {
		return openRemote(ctx, ref, ref, opts)
	}
	img, err := openDaemon(ctx, ref, ref, opts)
	if err == nil {
		return img, nil
	}
	if !isDaemonMissing(err) {
		return nil, err
	}
	rimg, rerr := openRemote(ctx, ref, ref, opts)
	if rerr != nil {
		return nil, fmt.Errorf("%w (local Docker Engine: %v)", rerr, err)
	}
	return rimg, nil
}

// hasRegistryHost reports whether the first path component of ref looks
// like a registry host (contains a dot or a port, or is "localhost"), the
// rule Docker uses.
func hasRegistryHost(ref string) bool {
	first, _, ok := strings.Cut(ref, "/")
	if !ok {
		return false
	}
	return strings.ContainsAny(first, ".:") || first == "localhost"
}

// splitTag splits "PATH:TAG" where TAG must not contain a path separator,
// so "./dir" and "C:/x" style paths keep their colons.
func splitTag(s string) (string, string) {
	i := strings.LastIndex(s, ":")
	if i <= 0 || strings.ContainsAny(s[i+1:], `/\`) {
		return s, ""
	}
	return s[:i], s[i+1:]
}

// wantPlatform parses Options.Platform, defaulting to the host.
func wantPlatform(p string) (v1.Platform, error) {
	if p == "" {
		plat := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
		if runtime.GOARCH == "arm" {
			plat.Variant = "v7"
		}
		return plat, nil
	}
	parsed, err := v1.ParsePlatform(p)
	if err != nil || parsed.OS == "" || parsed.Architecture == "" {
		return v1.Platform{}, markErr(ErrBadReference, fmt.Errorf("platform %q: want os/arch[/variant], e.g. linux/arm64", p))
	}
	return *parsed, nil
}

// platformMatches reports whether got satisfies want (variant only when
// asked for).
func platformMatches(got *v1.Platform, want v1.Platform) bool {
	if got == nil {
		return false
	}
	if got.OS != want.OS || got.Architecture != want.Architecture {
		return false
	}
	return want.Variant == "" || got.Variant == want.Variant
}
