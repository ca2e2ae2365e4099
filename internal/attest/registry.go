package attest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bulwark-security/bulwark/internal/image"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// cosign's tag scheme and layer vocabulary (cosign pkg/oci, pkg/types).
const (
	DSSEMediaType          = "application/vnd.dsse.envelope.v1+json"
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	SignatureAnnotation    = "dev.cosignproject.cosign/signature"
	PredicateAnnotation    = "predicateType"
	attSuffix              = ".att"
	sigSuffix              = ".sig"
	maxLayers              = 64
)

// Registry says how to reach registries: credentials from the Docker
// config (and its credential helpers) unless Keychain is set; plain HTTP
// only for loopback hosts and those listed in InsecureRegistries, which
// also skip TLS verification.
type Registry struct {
	Keychain           authn.Keychain
	InsecureRegistries []string
	// Transport replaces the HTTP transport (tests); the plain-HTTP guard
	// still applies.
	Transport http.RoundTripper
}

func (r Registry) options(ctx context.Context) []remote.Option {
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(r.guard()),
		remote.WithUserAgent("bulwark"),
	}
}

func (r Registry) insecure(host string) bool {
	return image.InsecureRegistry(host, r.InsecureRegistries)
}

// guard refuses plain HTTP to anything but loopback and listed hosts, so
// a signature check is never downgraded silently (image.GuardTransport).
func (r Registry) guard() http.RoundTripper {
	return image.GuardTransport(r.Transport, r.InsecureRegistries)
}

// parseRef parses ref, over plain HTTP when its registry is listed as
// insecure.
func (r Registry) parseRef(ref string) (name.Reference, error) {
	var opts []name.Option
	host, _, _ := strings.Cut(ref, "/")
	if r.insecure(host) {
		opts = append(opts, name.Insecure)
	}
	pr, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	return pr, nil
}

// parseRepo parses the repository of ref (tag or digest ignored).
func (r Registry) parseRepo(ref string) (name.Repository, error) {
	pr, err := r.parseRef(ref)
	if err != nil {
		return name.Repository{}, err
	}
	return pr.Context(), nil
}

// Digest resolves ref (a tag or a digest reference) to the manifest
// digest the registry serves for it.
func (r Registry) Digest(ctx context.Context, ref string) (string, error) {
	pr, err := r.parseRef(ref)
	if err != nil {
		return "", err
	}
	if d, ok := pr.(name.Digest); ok {
		return d.DigestStr(), nil
	}
	desc, err := remote.Head(pr, r.options(ctx)...)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", ref, err)
	}
	return desc.Digest.String(), nil
}

// cosignTag is where cosign keeps a digest's signatures or attestations:
// <repo>:sha256-<hex>.sig / .att.
func cosignTag(repo name.Repository, digest, suffix string) (name.Tag, error) {
	hex, err := sha256Hex(digest)
	if err != nil {
		return name.Tag{}, err
	}
	return repo.Tag("sha256-" + hex + suffix), nil
}

// Attach appends a signed attestation envelope to the image's cosign
// attestation tag (<repo>:sha256-<hex>.att), keeping attestations already
// there, so cosign verify-attestation finds it. ref names the repository;
// digest is the image's manifest digest. It returns the tag written.
func (r Registry) Attach(ctx context.Context, ref, digest string, envelope []byte) (string, error) {
	env, err := ParseEnvelope(envelope)
	if err != nil {
		return "", err
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return "", fmt.Errorf("DSSE envelope payload: %w", err)
	}
	st, err := ParseStatement(payload)
	if err != nil {
		return "", err
	}
	if !st.Covers(digest) {
		return "", fmt.Errorf("attach to %s: %w: the statement's subject does not name %s", ref, ErrDigestMismatch, digest)
	}
	repo, err := r.parseRepo(ref)
	if err != nil {
		return "", err
	}
	tag, err := cosignTag(repo, digest, attSuffix)
	if err != nil {
		return "", err
	}
	opts := r.options(ctx)
	base, err := existing(tag, opts)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", tag, err)
	}
	layer := static.NewLayer(envelope, DSSEMediaType)
	ld, err := layer.Digest()
	if err != nil {
		return "", err
	}
	if has, err := hasLayer(base, ld); err != nil {
		return "", fmt.Errorf("reading %s: %w", tag, err)
	} else if has {
		return tag.String(), nil
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: DSSEMediaType,
		Annotations: map[string]string{
			PredicateAnnotation: st.PredicateType,
			// cosign reads the signature annotation on every layer; a
			// DSSE envelope carries its signature inside, so it is empty.
			SignatureAnnotation: "",
		},
	})
	if err != nil {
		return "", err
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return "", fmt.Errorf("writing %s: %w", tag, err)
	}
	return tag.String(), nil
}

// existing returns the image at tag, or an empty cosign signatures image
// (OCI manifest, OCI config) when the tag does not exist yet.
func existing(tag name.Tag, opts []remote.Option) (v1.Image, error) {
	img, err := remote.Image(tag, opts...)
	if err == nil {
		return img, nil
	}
	if !notFound(err) {
		return nil, err
	}
	return mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON), nil
}

func hasLayer(img v1.Image, d v1.Hash) (bool, error) {
	m, err := img.Manifest()
	if err != nil {
		return false, err
	}
	for _, l := range m.Layers {
		if l.Digest == d {
			return true, nil
		}
	}
	return false, nil
}

func notFound(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range te.Errors {
		if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}

// blob is one layer of a cosign tag image: its media type, annotations
// and content.
type blob struct {
	mediaType   types.MediaType
	annotations map[string]string
	data        []byte
}

// fetchBlobs reads the layers of the cosign tag for digest; where names
// the tag, and found is false when it does not exist.
func (r Registry) fetchBlobs(ctx context.Context, ref, digest, suffix string) (blobs []blob, where string, found bool, err error) {
	repo, err := r.parseRepo(ref)
	if err != nil {
		return nil, "", false, err
	}
	tag, err := cosignTag(repo, digest, suffix)
	if err != nil {
		return nil, "", false, err
	}
	blobs, found, err = r.readTag(ctx, tag)
	return blobs, tag.String(), found, err
}

func (r Registry) readTag(ctx context.Context, tag name.Tag) (blobs []blob, found bool, err error) {
	img, err := remote.Image(tag, r.options(ctx)...)
	if err != nil {
		if notFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("reading %s: %w", tag, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", tag, err)
	}
	if len(m.Layers) > maxLayers {
		return nil, false, fmt.Errorf("reading %s: %d layers, more than the %d a signature image may have", tag, len(m.Layers), maxLayers)
	}
	for _, d := range m.Layers {
		if d.Size > maxEnvelope {
			return nil, false, fmt.Errorf("reading %s: layer %s is %d bytes, over the %d byte limit", tag, d.Digest, d.Size, maxEnvelope)
		}
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, false, fmt.Errorf("reading %s layer %s: %w", tag, d.Digest, err)
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, false, fmt.Errorf("reading %s layer %s: %w", tag, d.Digest, err)
		}
		var buf bytes.Buffer
		_, err = io.Copy(&buf, io.LimitReader(rc, maxEnvelope+1))
		rc.Close()
		if err != nil {
			return nil, false, fmt.Errorf("reading %s layer %s: %w", tag, d.Digest, err)
		}
		blobs = append(blobs, blob{mediaType: d.MediaType, annotations: d.Annotations, data: buf.Bytes()})
	}
	return blobs, true, nil
}
