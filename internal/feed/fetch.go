package feed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// MaxFileSize bounds every file a feed downloads. The largest upstream
// file Bulwark fetches (the OSV Debian export) is a few hundred MiB; a
// response beyond this bound is an error rather than a full disk.
const MaxFileSize int64 = 2 << 30

// userAgent identifies Bulwark to feed servers, some of which reject
// requests without one.
const userAgent = "bulwark-vulnerability-feed (+https://github.com/bulwark-security/bulwark)"

// Layout says where a feed's files live: in a feed bundle (a directory or
// an http(s) mirror laid out with one folder per source) and upstream.
type Layout struct {
	// Folder is the feed's folder in a bundle, e.g. "debian".
	Folder string
	// AltFolders are other folder names read when Folder is absent from
	// a bundle (older or third-party bundle layouts).
	AltFolders []string
	// Include reports whether a bundle file, given by its slash-separated
	// path relative to Folder, belongs to the feed. Nil includes all.
	Include func(rel string) bool
	// Upstream are the files fetched when no mirror is set.
	Upstream []Remote
}

// Remote is one upstream file.
type Remote struct {
	// URL is the real public location.
	URL string
	// Name is the file name Parse sees in Data.Files; its extension tells
	// the parser the form (".zip", ".gz", ".json", ".jsonl", ".xml").
	Name string
	// Optional files may be missing upstream (HTTP 404): they are left
	// out instead of failing the fetch. Used for release branches that
	// are not published yet.
	Optional bool
}

// Fetch fetches a feed laid out as l from src: a file:// bundle (or an
// absolute directory path), an http(s) bundle mirror, or upstream when
// src.Mirror is empty. It returns
// ErrUnchanged when the content's fingerprint equals prev.
func Fetch(ctx context.Context, src Source, prev string, l Layout) (*Data, error) {
	switch {
	case src.Mirror == "":
		return fetchRemote(ctx, src, prev, l.Upstream)
	case strings.HasPrefix(src.Mirror, "file://"), filepath.IsAbs(src.Mirror):
		root := src.Mirror
		if strings.HasPrefix(root, "file://") {
			u, err := url.Parse(src.Mirror)
			if err != nil {
				return nil, fmt.Errorf("mirror %q: %w", src.Mirror, err)
			}
			root = filepath.FromSlash(u.Path)
		}
		dir := filepath.Join(root, l.Folder)
		for _, alt := range l.AltFolders {
			if _, err := os.Stat(dir); err == nil {
				break
			}
			dir = filepath.Join(root, alt)
		}
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("feed bundle %s: no folder %q: %w", root, l.Folder, err)
		}
		return fetchDir(ctx, dir, prev, l.Include)
	case strings.HasPrefix(src.Mirror, "http://"), strings.HasPrefix(src.Mirror, "https://"):
		var base string
		var rels []string
		var err error
		for _, folder := range append([]string{l.Folder}, l.AltFolders...) {
			base = strings.TrimSuffix(src.Mirror, "/") + "/" + folder + "/"
			if rels, err = listHTTP(ctx, doer(src), base); !IsNotFound(err) {
				break
			}
		}
		if err != nil {
			return nil, err
		}
		var remotes []Remote
		for _, rel := range rels {
			if l.Include == nil || l.Include(rel) {
				remotes = append(remotes, Remote{URL: base + escapePath(rel), Name: rel})
			}
		}
		if len(remotes) == 0 {
			return nil, fmt.Errorf("mirror %s: no files for feed folder %q", src.Mirror, l.Folder)
		}
		return fetchRemote(ctx, src, prev, remotes)
	}
	return nil, fmt.Errorf("mirror %q: want a file:// directory or an http(s) URL", src.Mirror)
}

func doer(src Source) HTTPDoer {
	if src.HTTP != nil {
		return src.HTTP
	}
	return http.DefaultClient
}

func escapePath(rel string) string {
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// fetchDir reads a bundle folder in place: nothing is copied, and the
// fingerprint hashes every included file's path, size and content.
func fetchDir(ctx context.Context, dir, prev string, include func(string) bool) (*Data, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			// Bundles assembled with symlinks to downloaded files are
			// read through the links.
			st, err := os.Stat(p)
			if err != nil || !st.Mode().IsRegular() {
				return nil
			}
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if include == nil || include(rel) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("feed bundle %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("feed bundle %s: no feed files", dir)
	}
	slices.Sort(files)
	h := sha256.New()
	for _, rel := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sum, size, err := hashFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, fmt.Errorf("feed bundle %s: %w", dir, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00%s\n", rel, size, sum)
	}
	fp := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if fp == prev {
		return nil, ErrUnchanged
	}
	return &Data{
		Fingerprint: fp,
		Files:       files,
		Open: func(name string) (io.ReadCloser, error) {
			if !slices.Contains(files, name) {
				return nil, fmt.Errorf("feed bundle %s: no file %q", dir, name)
			}
			return os.Open(filepath.Join(dir, filepath.FromSlash(name)))
		},
		Close: func() error { return nil },
	}, nil
}

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Scratch is a temporary directory of fetched files presented as Data.
// Feeds whose upstream needs more than plain GETs (paging, discovery) use
// it to hand Parse the same Data as Fetch does.
type Scratch struct {
	dir   string
	names []string
	paths map[string]string
}

// NewScratch makes an empty scratch directory under the system temp dir.
func NewScratch() (*Scratch, error) {
	dir, err := os.MkdirTemp("", "bulwark-feed-*")
	if err != nil {
		return nil, fmt.Errorf("feed scratch dir: %w", err)
	}
	return &Scratch{dir: dir, paths: map[string]string{}}, nil
}

// Create makes the file name (which may hold slashes) in the scratch
// directory; the caller writes and closes it.
func (s *Scratch) Create(name string) (*os.File, error) {
	sum := sha256.Sum256([]byte(name))
	p := filepath.Join(s.dir, hex.EncodeToString(sum[:12])+path.Ext(name))
	f, err := os.Create(p)
	if err != nil {
		return nil, fmt.Errorf("feed scratch: %w", err)
	}
	if _, ok := s.paths[name]; !ok {
		s.names = append(s.names, name)
	}
	s.paths[name] = p
	return f, nil
}

// Remove deletes the scratch directory.
func (s *Scratch) Remove() error { return os.RemoveAll(s.dir) }

// Data presents the created files; closing it removes the directory.
func (s *Scratch) Data(fingerprint string) *Data {
	return &Data{
		Fingerprint: fingerprint,
		Files:       slices.Clone(s.names),
		Open: func(name string) (io.ReadCloser, error) {
			p, ok := s.paths[name]
			if !ok {
				return nil, fmt.Errorf("fetched feed: no file %q", name)
			}
			return os.Open(p)
		},
		Close: s.Remove,
	}
}

// Download GETs url into w, bounded by MaxFileSize, and returns the number
// of bytes written. It is for feeds with their own fetch logic.
func Download(ctx context.Context, c HTTPDoer, rawURL string, w io.Writer) (int64, error) {
	res, err := get(ctx, c, rawURL, nil)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, statusError(rawURL, res)
	}
	return copyBounded(w, res.Body, rawURL)
}

func get(ctx context.Context, c HTTPDoer, rawURL string, hdr http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", rawURL, err)
	}
	req.Header.Set("User-Agent", userAgent)
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", rawURL, err)
	}
	return res, nil
}

func statusError(rawURL string, res *http.Response) error {
	return &HTTPError{URL: rawURL, StatusCode: res.StatusCode, Status: res.Status}
}

// HTTPError is an unexpected HTTP status from a feed server.
type HTTPError struct {
	URL        string
	StatusCode int
	Status     string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("GET %s: %s", e.URL, e.Status) }

func copyBounded(w io.Writer, r io.Reader, rawURL string) (int64, error) {
	n, err := io.Copy(w, io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return n, fmt.Errorf("GET %s: %w", rawURL, err)
	}
	if n > MaxFileSize {
		return n, fmt.Errorf("GET %s: response larger than %d bytes", rawURL, MaxFileSize)
	}
	return n, nil
}

// IsNotFound reports whether err is an HTTP 404 from a feed server.
func IsNotFound(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && he.StatusCode == http.StatusNotFound
}
