package catalog

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"
)

// FuzzWalkerLayer: any byte stream gives a result or an error, never a
// panic or a hang, and every recorded path is absolute and clean.
func FuzzWalkerLayer(f *testing.F) {
	f.Add(layerTar(f, file("var/lib/fake/status", "libc 2.36\n"), file("a.lock", "x 1\nBAD\n")))
	f.Add(layerTar(f, file("../../x.lock", "x 1\n"), entry{name: "y.lock", link: "../x.lock", typ: tar.TypeLink}))
	f.Add(layerTar(f, file("app/.wh..wh..opq", ""), file(".wh.etc", "")))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w := &Walker{Catalogers: []Cataloger{&fakeOS{}, &fakeLang{}}, Detectors: []Detector{fakeRelease{}}, SpoolDir: t.TempDir()}
		res, err := w.Layer(context.Background(), bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, list := range [][]string{res.Entries, res.Whiteouts, res.Opaque} {
			for _, p := range list {
				if c, ok := cleanPath(p); !ok || c != p {
					t.Errorf("unclean path %q recorded", p)
				}
			}
		}
		Coalesce(nil, []*LayerResult{res}, w.Catalogers, w.Detectors)
	})
}
