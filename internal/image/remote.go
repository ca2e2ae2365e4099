package image

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func openRemote(ctx context.Context, ref, spec string, opts Options) (Image, error) {
	if spec == "" {
		return nil, markErr(ErrBadReference, fmt.Errorf("%s: missing image reference, want registry:HOST/REPO:TAG", ref))
	}
	want, err := wantPlatform(opts.Platform)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	var nameOpts []name.Option
	host := registryHost(spec)
	insecure := InsecureRegistry(host, opts.InsecureRegistries)
	if insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	r, err := name.ParseReference(spec, nameOpts...)
	if err != nil {
		return nil, markErr(ErrBadReference, fmt.Errorf("%s: %v", ref, err))
	}
	tr := GuardTransport(nil, opts.InsecureRegistries)
	img, err := remote.Image(r,
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithPlatform(want),
		remote.WithTransport(tr),
		remote.WithUserAgent("bulwark"),
	)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, classifyRemote(err))
	}
	m, err := newV1Image(ref, SourceRegistry, r.Context().Name(), img)
	if err != nil {
		return nil, fmt.Errorf("%w", classifyRemote(err))
	}
	if t, ok := r.(name.Tag); ok {
		m.id.Tags = []string{t.Name()}
	}
	m.id.RepoDigests = []string{r.Context().Name() + "@" + m.id.Digest}
	return m, nil
}

// classifyRemote wraps registry errors with ErrNotFound (unknown
// repository or tag) or ErrUnreachable (network, TLS, server errors) so the
// caller can choose an exit code.
func classifyRemote(err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusNotFound:
			return markErr(ErrNotFound, err)
		case http.StatusUnauthorized, http.StatusForbidden:
			return markErr(ErrNotFound, fmt.Errorf("%w (check docker login or the credential helper for this registry)", err))
		}
		for _, d := range te.Errors {
			if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
				return markErr(ErrNotFound, err)
			}
		}
		return markErr(ErrUnreachable, err)
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, errPlainHTTP) {
		return markErr(ErrUnreachable, err)
	}
	return err
}

// registryHost returns the host[:port] part of a reference, or Docker
// Hub's host when there is none.
func registryHost(ref string) string {
	if hasRegistryHost(ref) {
		h, _, _ := strings.Cut(ref, "/")
		return h
	}
	return name.DefaultRegistry
}

// isLoopback reports whether host (with optional port) is a loopback
// address or localhost.
func isLoopback(host string) bool {
	h := host
	if sh, _, err := net.SplitHostPort(host); err == nil {
		h = sh
	}
	h = strings.Trim(h, "[]")
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// InsecureRegistry reports whether host (host[:port]) is listed in insecure,
// with or without its port.
func InsecureRegistry(host string, insecure []string) bool {
	for _, h := range insecure {
		if strings.EqualFold(h, host) {
			return true
		}
		if sh, _, err := net.SplitHostPort(host); err == nil && strings.EqualFold(h, sh) {
			return true
		}
	}
	return false
}

var errPlainHTTP = errors.New("plain HTTP refused: the registry is neither loopback nor listed with --insecure-registry")

// GuardTransport wraps base (nil: a clone of http.DefaultTransport) for
// registry traffic: it refuses plain-HTTP requests to anything but
// loopback and the listed insecure registries (go-containerregistry would
// otherwise fall back to HTTP for private RFC 1918 addresses, silently
// downgrading a pull or a signature check), and skips TLS verification
// only for the listed registries (when base is an *http.Transport).
func GuardTransport(base http.RoundTripper, insecure []string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	var loose http.RoundTripper
	if t, ok := base.(*http.Transport); ok && len(insecure) > 0 {
		l := t.Clone()
		l.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // only for --insecure-registry hosts
		loose = l
	}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		host := req.URL.Host
		listed := InsecureRegistry(host, insecure)
		if req.URL.Scheme == "http" && !listed && !isLoopback(host) {
			return nil, fmt.Errorf("%s: %w", host, errPlainHTTP)
		}
		if listed && loose != nil {
			return loose.RoundTrip(req)
		}
		return base.RoundTrip(req)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
