package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/bulwark-security/bulwark/internal/model"
)

// dockerArchive reads `docker save` output in place: the outer tar is
// indexed once (headers only, skipping by seek) and each layer is a section
// of the file, so layers can be read in parallel and nothing is copied.
type dockerArchive struct {
	id      model.Image
	f       *os.File
	entries map[string]archiveEntry
	layers  []string
}

type archiveEntry struct{ off, size int64 }

var _ Image = (*dockerArchive)(nil)

// saveManifest is one entry of manifest.json in `docker save` output.
type saveManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

const (
	maxArchiveMeta = 16 << 20 // manifest.json, index.json, config blobs
	mediaDockerTar = "application/vnd.docker.image.rootfs.diff.tar"
)

func openDockerArchive(ctx context.Context, ref, file string) (Image, error) {
	if file == "" {
		return nil, markErr(ErrBadReference, fmt.Errorf("%s: missing file name, want docker-archive:FILE", ref))
	}
	return readDockerArchive(ctx, ref, file, SourceDockerArchive)
}

func readDockerArchive(ctx context.Context, ref, file, source string) (*dockerArchive, error) {
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, markErr(ErrNotFound, fmt.Errorf("%s: no such file", ref))
		}
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	a := &dockerArchive{f: f, entries: map[string]archiveEntry{}}
	if err := a.load(ctx, ref, source); err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

func (a *dockerArchive) load(ctx context.Context, ref, source string) error {
	if err := a.index(ctx); err != nil {
		return markErr(ErrInvalid, fmt.Errorf("%s: not a readable docker-archive (want `docker save` output): %w", ref, err))
	}
	raw, err := a.read("manifest.json")
	if err != nil {
		return markErr(ErrInvalid, fmt.Errorf("%s: not a docker-archive: %w", ref, err))
	}
	var mfs []saveManifest
	if err := json.Unmarshal(raw, &mfs); err != nil || len(mfs) == 0 {
		return fmt.Errorf("%s: manifest.json: no image listed (%v)", ref, err)
	}
	mf := mfs[0]
	rawCfg, err := a.read(mf.Config)
	if err != nil {
		return fmt.Errorf("%s: config: %w", ref, err)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(rawCfg))
	if err != nil {
		return fmt.Errorf("%s: config %s: %w", ref, mf.Config, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(mf.Layers) {
		return fmt.Errorf("%s: manifest.json lists %d layers but the config %d diff IDs", ref, len(mf.Layers), len(cfg.RootFS.DiffIDs))
	}
	sum := sha256.Sum256(rawCfg)
	a.id = identityFromConfig(ref, source, cfg)
	a.id.ConfigDigest = "sha256:" + hex.EncodeToString(sum[:])
	a.id.Tags = sortedUnique(append([]string(nil), mf.RepoTags...))
	if len(mf.RepoTags) > 0 {
		a.id.Name = repoOf(mf.RepoTags[0])
	}
	a.layers = mf.Layers
	for i, l := range mf.Layers {
		e, ok := a.entries[cleanArchivePath(l)]
		if !ok {
			return fmt.Errorf("%s: layer %s listed in manifest.json is missing from the archive", ref, l)
		}
		a.id.Layers[i].Size = e.size
		// Saved layers are uncompressed tars, so the blob digest is the
		// diff ID.
		a.id.Layers[i].Digest = a.id.Layers[i].DiffID
		a.id.Layers[i].MediaType = mediaDockerTar
	}
	a.ociDigest()
	return nil
}

// ociDigest fills the manifest digest when the archive also carries an OCI
// index (Docker 25 and later write both), matching it by config digest.
func (a *dockerArchive) ociDigest() {
	raw, err := a.read("index.json")
	if err != nil {
		return
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return
	}
	for _, d := range idx.Manifests {
		mraw, err := a.read("blobs/" + d.Digest.Algorithm + "/" + d.Digest.Hex)
		if err != nil {
			continue
		}
		mf, err := v1.ParseManifest(bytes.NewReader(mraw))
		if err != nil || mf.Config.Digest.String() != a.id.ConfigDigest || len(mf.Layers) != len(a.id.Layers) {
			continue
		}
		a.id.Digest = d.Digest.String()
		for i, l := range mf.Layers {
			a.id.Layers[i].Digest = l.Digest.String()
			a.id.Layers[i].MediaType = string(l.MediaType)
		}
		return
	}
}

func (a *dockerArchive) index(ctx context.Context) error {
	tr := tar.NewReader(a.f)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		// tar.Reader neither buffers nor reads ahead, so the file offset
		// after Next is where the entry's data starts.
		off, err := a.f.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		a.entries[cleanArchivePath(h.Name)] = archiveEntry{off: off, size: h.Size}
	}
	if len(a.entries) == 0 {
		return errors.New("empty archive")
	}
	return nil
}

func (a *dockerArchive) read(name string) ([]byte, error) {
	e, ok := a.entries[cleanArchivePath(name)]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	if e.size > maxArchiveMeta {
		return nil, fmt.Errorf("%s: %d bytes is too big for metadata", name, e.size)
	}
	buf := make([]byte, e.size)
	if _, err := a.f.ReadAt(buf, e.off); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return buf, nil
}

func (a *dockerArchive) Identity() model.Image { return a.id }

func (a *dockerArchive) OpenLayer(ctx context.Context, i int) (io.ReadCloser, error) {
	if i < 0 || i >= len(a.layers) {
		return nil, fmt.Errorf("%s: no layer %d", a.id.Ref, i)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := a.entries[cleanArchivePath(a.layers[i])]
	return Decompress(io.NopCloser(io.NewSectionReader(a.f, e.off, e.size)))
}

func (a *dockerArchive) Close() error { return a.f.Close() }

func cleanArchivePath(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}

// repoOf strips the tag from "repo[:tag]".
func repoOf(tag string) string {
	i := strings.LastIndex(tag, ":")
	if i > strings.LastIndex(tag, "/") {
		return tag[:i]
	}
	return tag
}
