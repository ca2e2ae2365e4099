// Package image resolves a reference to an image (digest, platform, config,
// ordered layers) and opens its layers as streams. Catalogers never see
// registries or daemons; they get files from the catalog walker, which reads
// layers through this package.
package image

import (
	"context"
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
