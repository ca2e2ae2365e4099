// Package image resolves a reference to an image (digest, platform, config,
// ordered layers) and opens its layers as streams. Catalogers never see
// registries or daemons; they get files from the catalog walker, which reads
// layers through this package.
package image

import (
	"context"
	"errors"
	"io"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Image is a resolved image: identity plus layers that can be opened as
// uncompressed tar streams, base layer first.
type Image interface {
	// Identity returns the image's identity including its layers (diff
	// IDs, history lines).
	Identity() model.Image
	// OpenLayer returns the uncompressed tar stream of layer i (index into
	// Identity().Layers). The caller closes it.
	OpenLayer(ctx context.Context, i int) (io.ReadCloser, error)
	// Close releases temporary files and connections.
	Close() error
}

// Rooted is implemented by sources that are a directory tree rather than
// layers (the "dir:" source). Root is the directory; the image has no
// layers and the tree is read in place.
type Rooted interface {
	Root() string
}

// Options control how a reference is resolved.
type Options struct {
	// Platform selects a manifest from an index: "os/arch[/variant]".
	// Empty means the host's platform.
	Platform string
	// InsecureRegistries lists registries (host[:port]) that may be
	// reached over plain HTTP or with unverified TLS. Loopback registries
	// are allowed plain HTTP without being listed.
	InsecureRegistries []string
	// TempDir is where sources that must spool data (daemon exports) may
	// write. It is inside the cache dir.
	TempDir string
}

// Errors callers branch on (the CLI maps them to exit codes). Every error
// Open returns names the input; these are wrapped with %w.
var (
	// ErrBadReference: the reference cannot be parsed or names an
	// unknown source kind.
	ErrBadReference = errors.New("bad reference")
	// ErrNotFound: the file, directory, tag or image does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnreachable: the Docker Engine or registry could not be reached.
	ErrUnreachable = errors.New("unreachable")
	// ErrInvalid: the input exists but is not a readable image of the
	// kind the reference names (a truncated or corrupt archive).
	ErrInvalid = errors.New("invalid image")
)

// Source kinds recorded in model.Image.Source.
const (
	SourceDockerArchive = "docker-archive"
	SourceOCILayout     = "oci-layout"
	SourceOCIArchive    = "oci-archive"
	SourceDaemon        = "docker-daemon"
	SourceRegistry      = "registry"
	SourceDir           = "dir"
)

// kindError carries one of the sentinels above for errors.Is without
// repeating its text in the message.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.err, e.kind} }
func markErr(kind, err error) error  { return &kindError{kind: kind, err: err} }
