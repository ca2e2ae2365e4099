package admission

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RegistryResolver resolves references against their registries with
// go-containerregistry. For a multi-platform index it resolves the
// manifest of Platform, which is the digest the scanner stores a report
// under, so that what is pinned is exactly what was scanned.
type RegistryResolver struct {
	// Platform is the nodes' platform, "os/arch[/variant]" (default linux/amd64).
	Platform string
	// InsecureRegistries (host[:port]) may be reached over plain HTTP.
	InsecureRegistries []string
	// Keychain supplies registry credentials (default: the Docker config
	// and credential helpers of the process).
	Keychain authn.Keychain
	// Transport is the HTTP transport (default http.DefaultTransport).
	Transport http.RoundTripper
}

var _ Resolver = (*RegistryResolver)(nil)

// Resolve implements Resolver.
func (r *RegistryResolver) Resolve(ctx context.Context, ref string) (string, error) {
	var opts []name.Option
	if p, err := name.ParseReference(ref, name.WeakValidation); err == nil && slices.Contains(r.InsecureRegistries, p.Context().RegistryStr()) {
		opts = append(opts, name.Insecure)
	}
	parsed, err := name.ParseReference(ref, append(opts, name.WeakValidation)...)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", ref, err)
	}
	if d, ok := parsed.(name.Digest); ok {
		return d.DigestStr(), nil
	}
	plat := v1.Platform{OS: "linux", Architecture: "amd64"}
	if r.Platform != "" {
		p, err := v1.ParsePlatform(r.Platform)
		if err == nil && (p.OS == "" || p.Architecture == "") {
			err = fmt.Errorf("want os/arch[/variant]")
		}
		if err != nil {
			return "", fmt.Errorf("platform %q: %w", r.Platform, err)
		}
		plat = *p
	}
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithPlatform(plat), remote.WithUserAgent("bulwark-admission")}
	if r.Transport != nil {
		ropts = append(ropts, remote.WithTransport(r.Transport))
	}
	img, err := remote.Image(parsed, ropts...)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", ref, err)
	}
	h, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("image %s: digest: %w", ref, err)
	}
	return h.String(), nil
}
