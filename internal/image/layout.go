package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

const annotationRefName = "org.opencontainers.image.ref.name"

func openLayout(ctx context.Context, ref, spec string, opts Options) (Image, error) {
	dir, tag := splitTag(spec)
	if st, err := os.Stat(spec); err == nil && st.IsDir() {
		dir, tag = spec, ""
	}
	if dir == "" {
		return nil, markErr(ErrBadReference, fmt.Errorf("%s: missing directory, want oci:DIR[:TAG]", ref))
	}
	if _, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, markErr(ErrNotFound, fmt.Errorf("%s: no such directory", ref))
		}
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	img, err := layoutImage(ctx, ref, dir, tag, SourceOCILayout, opts)
	if err != nil {
		return nil, err
	}
	return img, nil
}

func layoutImage(_ context.Context, ref, dir, tag, source string, opts Options) (*v1Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, markErr(ErrInvalid, fmt.Errorf("%s: not an OCI image layout (no index.json): %w", ref, err))
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, markErr(ErrInvalid, fmt.Errorf("%s: index.json: %w", ref, err))
	}
	want, err := wantPlatform(opts.Platform)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	img, name, err := pickFromIndex(ref, idx, tag, want, opts.Platform != "")
	if err != nil {
		return nil, err
	}
	m, err := newV1Image(ref, source, "", img)
	if err != nil {
		return nil, err
	}
	if name != "" {
		m.id.Tags = []string{name}
	}
	return m, nil
}

// pickFromIndex selects an image from a layout's index: by the ref.name
// annotation when a tag is given, otherwise the only manifest, otherwise
// the one matching the platform. Nested indexes (multi-arch images stored
// in a layout) are descended by platform.
func pickFromIndex(ref string, idx v1.ImageIndex, tag string, want v1.Platform, explicit bool) (v1.Image, string, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", fmt.Errorf("%s: index: %w", ref, err)
	}
	cands := im.Manifests
	if tag != "" {
		cands = nil
		for _, d := range im.Manifests {
			if n := d.Annotations[annotationRefName]; n == tag || strings.HasSuffix(n, ":"+tag) {
				cands = append(cands, d)
			}
		}
		if len(cands) == 0 {
			return nil, "", markErr(ErrNotFound, fmt.Errorf("%s: no manifest tagged %q (annotation %s)", ref, tag, annotationRefName))
		}
	}
	if len(cands) == 0 {
		return nil, "", markErr(ErrNotFound, fmt.Errorf("%s: the index lists no manifests", ref))
	}
	var chosen *v1.Descriptor
	if len(cands) == 1 && (!explicit || cands[0].Platform == nil || cands[0].MediaType.IsIndex()) {
		chosen = &cands[0]
	} else {
		for i := range cands {
			if platformMatches(cands[i].Platform, want) {
				chosen = &cands[i]
				break
			}
		}
	}
	if chosen == nil {
		return nil, "", markErr(ErrNotFound, fmt.Errorf("%s: no manifest for platform %s (use --platform)", ref, want))
	}
	name := chosen.Annotations[annotationRefName]
	if chosen.MediaType.IsIndex() {
		child, err := idx.ImageIndex(chosen.Digest)
		if err != nil {
			return nil, "", fmt.Errorf("%s: nested index %s: %w", ref, chosen.Digest, err)
		}
		img, _, err := pickFromIndex(ref, child, "", want, true)
		return img, name, err
	}
	img, err := idx.Image(chosen.Digest)
	if err != nil {
		return nil, "", fmt.Errorf("%s: manifest %s: %w", ref, chosen.Digest, err)
	}
	if explicit {
		if cfg, err := img.ConfigFile(); err == nil && cfg.Platform() != nil && !platformMatches(cfg.Platform(), want) {
			return nil, "", markErr(ErrNotFound, fmt.Errorf("%s: the image is %s, not %s", ref, cfg.Platform(), want))
		}
	}
	return img, name, nil
}

func openOCIArchive(ctx context.Context, ref, spec string, opts Options) (Image, error) {
	file, tag := splitTag(spec)
	if st, err := os.Stat(spec); err == nil && !st.IsDir() {
		file, tag = spec, ""
	}
	if file == "" {
		return nil, markErr(ErrBadReference, fmt.Errorf("%s: missing file name, want oci-archive:FILE[:TAG]", ref))
	}
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, markErr(ErrNotFound, fmt.Errorf("%s: no such file", ref))
		}
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	defer f.Close()
	if opts.TempDir != "" {
		if err := os.MkdirAll(opts.TempDir, 0o700); err != nil {
			return nil, fmt.Errorf("%s: temp dir: %w", ref, err)
		}
	}
	dir, err := os.MkdirTemp(opts.TempDir, "oci-archive-")
	if err != nil {
		return nil, fmt.Errorf("%s: temp dir: %w", ref, err)
	}
	cleanup := func() error { return os.RemoveAll(dir) }
	if err := extractLayout(ctx, f, dir); err != nil {
		cleanup()
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	img, err := layoutImage(ctx, ref, dir, tag, SourceOCIArchive, opts)
	if err != nil {
		cleanup()
		return nil, err
	}
	img.cleanup = cleanup
	return img, nil
}

var layoutEntry = regexp.MustCompile(`^(oci-layout|index\.json|blobs/[a-z0-9]+/[a-f0-9]{32,128})$`)

// extractLayout copies only the files an OCI layout consists of (regular
// files named oci-layout, index.json and blobs/ALG/HEX) into dir through
// an os.Root, so no entry can be written outside it.
func extractLayout(ctx context.Context, r io.Reader, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(r)
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return markErr(ErrInvalid, fmt.Errorf("not a readable oci-archive (tar): %w", err))
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if h.Typeflag != tar.TypeReg || !layoutEntry.MatchString(name) {
			continue
		}
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o700); err != nil {
				return err
			}
		}
		out, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("extract %s: %w", name, err)
		}
		_, cerr := io.Copy(out, tr)
		if err := out.Close(); cerr == nil {
			cerr = err
		}
		if cerr != nil {
			return fmt.Errorf("extract %s: %w", name, cerr)
		}
		n++
	}
	if _, err := root.Stat("index.json"); err != nil || n == 0 {
		return errors.New("not an oci-archive: no index.json in the tar")
	}
	return nil
}
