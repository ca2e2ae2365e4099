//go:build integration

package accuracy

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path"
	"strings"
	"testing"
)

// The oracles read the feeds' raw files and the image's own bytes with
// this file's few lines of code and nothing of Bulwark's, so that a bug in
// a Bulwark parser cannot hide itself.

// rawRecord is the part of an OSV record the oracles use.
type rawRecord struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases"`
	Withdrawn string   `json:"withdrawn"`
	Severity  []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
}

// interval is one affected span of a range: from lo (inclusive; "0" is
// the start of time) to hi, exclusive for a fixed version and inclusive
// for a last affected one; hi "" is open.
type interval struct {
	lo, hi    string
	inclusive bool
}

// intervals walks a range's events in order, the way OSV defines them.
func intervals(events []map[string]string) []interval {
	var out []interval
	var cur *interval
	for _, ev := range events {
		switch {
		case ev["introduced"] != "":
			if cur != nil {
				out = append(out, *cur)
			}
			cur = &interval{lo: ev["introduced"]}
		case ev["fixed"] != "" && cur != nil:
			cur.hi = ev["fixed"]
			out = append(out, *cur)
			cur = nil
		case ev["last_affected"] != "" && cur != nil:
			cur.hi, cur.inclusive = ev["last_affected"], true
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}

// contains decides v ∈ iv with a comparison cmp(a, b) < 0, == 0, > 0.
func (iv interval) contains(v string, cmp func(a, b string) int) bool {
	if iv.lo != "0" && cmp(v, iv.lo) < 0 {
		return false
	}
	if iv.hi == "" {
		return true
	}
	c := cmp(v, iv.hi)
	return c < 0 || (iv.inclusive && c == 0)
}

// bounds lists the versions an interval compares against.
func (iv interval) bounds() []string {
	var out []string
	if iv.lo != "0" {
		out = append(out, iv.lo)
	}
	if iv.hi != "" {
		out = append(out, iv.hi)
	}
	return out
}

// readJSONL calls fn for each record of a file of one OSV record per line.
func readJSONL(tb testing.TB, name string, fn func(*rawRecord)) {
	tb.Helper()
	f, err := os.Open(name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	line := 0
	for sc.Scan() {
		line++
		var r rawRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatalf("%s:%d: %v", name, line, err)
		}
		fn(&r)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
}

// imageFiles returns the named files (paths without a leading slash) as
// the last layer of a `docker save` archive that has them holds them.
func imageFiles(tb testing.TB, archive string, names ...string) map[string][]byte {
	tb.Helper()
	f, err := os.Open(archive)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var manifest []struct{ Layers []string }
	mb, err := io.ReadAll(outerEntry(tb, f, "manifest.json"))
	if err != nil {
		tb.Fatalf("%s: manifest.json: %v", archive, err)
	}
	if err := json.Unmarshal(mb, &manifest); err != nil || len(manifest) != 1 {
		tb.Fatalf("%s: manifest.json: %v (%d images)", archive, err, len(manifest))
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string][]byte{}
	for _, layer := range manifest[0].Layers {
		br := bufio.NewReader(outerEntry(tb, f, layer))
		var r io.Reader = br
		if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
			if r, err = gzip.NewReader(br); err != nil {
				tb.Fatalf("%s: %s: %v", archive, layer, err)
			}
		}
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatalf("%s: %s: %v", archive, layer, err)
			}
			name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
			if want[name] && h.Typeflag == tar.TypeReg {
				if out[name], err = io.ReadAll(tr); err != nil {
					tb.Fatalf("%s: %s: %s: %v", archive, layer, name, err)
				}
			}
		}
	}
	for _, n := range names {
		if out[n] == nil {
			tb.Fatalf("%s: no file %s in any layer", archive, n)
		}
	}
	return out
}

// outerEntry positions a reader at one entry of the archive itself.
func outerEntry(tb testing.TB, f *os.File, name string) io.Reader {
	tb.Helper()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		tb.Fatal(err)
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			tb.Fatalf("%s: no entry %s", f.Name(), name)
		}
		if err != nil {
			tb.Fatalf("%s: %v", f.Name(), err)
		}
		if path.Clean(h.Name) == path.Clean(name) {
			return tr
		}
	}
}
