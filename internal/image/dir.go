package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/bulwark-security/bulwark/internal/model"
)

// dirImage is an unpacked root filesystem or project directory. It has no
// layers; the catalog walker reads the tree in place.
type dirImage struct {
	id   model.Image
	root string
}

var (
	_ Image  = (*dirImage)(nil)
	_ Rooted = (*dirImage)(nil)
)

func openDir(ref, p string) (Image, error) {
	if p == "" {
		return nil, markErr(ErrBadReference, fmt.Errorf("%s: missing directory, want dir:PATH", ref))
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, markErr(ErrNotFound, fmt.Errorf("%s: no such directory", ref))
		}
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if !st.IsDir() {
		return nil, markErr(ErrBadReference, fmt.Errorf("%s: not a directory", ref))
	}
	return &dirImage{id: model.Image{Ref: ref, Source: SourceDir, Name: abs}, root: abs}, nil
}

func (d *dirImage) Identity() model.Image { return d.id }
func (d *dirImage) Root() string          { return d.root }
func (d *dirImage) Close() error          { return nil }

func (d *dirImage) OpenLayer(context.Context, int) (io.ReadCloser, error) {
	return nil, fmt.Errorf("%s: a directory has no layers", d.id.Ref)
}
