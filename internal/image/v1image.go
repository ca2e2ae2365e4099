package image

import (
	"context"
	"fmt"
	"io"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/bulwark-security/bulwark/internal/model"
)

// v1Image adapts a go-containerregistry image whose layers are read as
// compressed blobs (OCI layouts and registries).
type v1Image struct {
	id      model.Image
	layers  []v1.Layer
	cleanup func() error
}

var _ Image = (*v1Image)(nil)

func (m *v1Image) Identity() model.Image { return m.id }

func (m *v1Image) OpenLayer(ctx context.Context, i int) (io.ReadCloser, error) {
	if i < 0 || i >= len(m.layers) {
		return nil, fmt.Errorf("%s: no layer %d", m.id.Ref, i)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rc, err := m.layers[i].Compressed()
	if err != nil {
		return nil, fmt.Errorf("%s: open layer %d (%s): %w", m.id.Ref, i, m.id.Layers[i].Digest, err)
	}
	dec, err := Decompress(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: layer %d (%s): %w", m.id.Ref, i, m.id.Layers[i].Digest, err)
	}
	return dec, nil
}

func (m *v1Image) Close() error {
	if m.cleanup != nil {
		return m.cleanup()
	}
	return nil
}

// newV1Image fills the identity from img's manifest and config.
func newV1Image(ref, source, name string, img v1.Image) (*v1Image, error) {
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("%s: manifest digest: %w", ref, err)
	}
	mf, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("%s: manifest: %w", ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("%s: config: %w", ref, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("%s: layers: %w", ref, err)
	}
	if len(layers) != len(cfg.RootFS.DiffIDs) || len(layers) != len(mf.Layers) {
		return nil, fmt.Errorf("%s: manifest lists %d layers but the config %d diff IDs", ref, len(mf.Layers), len(cfg.RootFS.DiffIDs))
	}
	id := identityFromConfig(ref, source, cfg)
	id.Name = name
	id.Digest = digest.String()
	id.ConfigDigest = mf.Config.Digest.String()
	for i := range id.Layers {
		d := mf.Layers[i]
		id.Layers[i].Digest = d.Digest.String()
		id.Layers[i].Size = d.Size
		id.Layers[i].MediaType = string(d.MediaType)
	}
	return &v1Image{id: id, layers: layers}, nil
}

// identityFromConfig fills platform, labels and layers (diff IDs paired
// with the history lines of non-empty layers).
func identityFromConfig(ref, source string, cfg *v1.ConfigFile) model.Image {
	id := model.Image{Ref: ref, Source: source}
	if p := cfg.Platform(); p != nil {
		id.Platform = p.OS + "/" + p.Architecture
		if p.Variant != "" {
			id.Platform += "/" + p.Variant
		}
	}
	if len(cfg.Config.Labels) > 0 {
		id.Labels = make(map[string]string, len(cfg.Config.Labels))
		for k, v := range cfg.Config.Labels {
			id.Labels[k] = v
		}
	}
	var created []string
	for _, h := range cfg.History {
		if h.EmptyLayer {
			continue
		}
		created = append(created, h.CreatedBy)
	}
	// History is optional; pair it only when it accounts for every layer,
	// otherwise lines would be attributed to the wrong layers.
	pair := len(created) == len(cfg.RootFS.DiffIDs)
	for i, d := range cfg.RootFS.DiffIDs {
		l := model.Layer{Index: i, DiffID: d.String()}
		if pair {
			l.CreatedBy = created[i]
		}
		id.Layers = append(id.Layers, l)
	}
	return id
}

func sortedUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
