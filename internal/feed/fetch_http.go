package feed

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// maxValidators bounds the validators carried in a fingerprint so that a
// mirror with thousands of files keeps a short fingerprint; such mirrors
// are re-downloaded and recognised as unchanged by their content hash.
const maxValidators = 6 << 10

// validator is one file's HTTP cache validators.
type validator struct {
	Name         string `json:"n"`
	ETag         string `json:"e,omitempty"`
	LastModified string `json:"m,omitempty"`
}

// splitFingerprint separates the content hash from the HTTP validators of
// a fingerprint written by fetchRemote: "sha256:<hex>[ v1:<base64 json>]".
func splitFingerprint(fp string) (string, map[string]validator) {
	hash, enc, ok := strings.Cut(fp, " v1:")
	if !ok {
		return fp, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return hash, nil
	}
	var vs []validator
	if json.Unmarshal(raw, &vs) != nil {
		return hash, nil
	}
	out := make(map[string]validator, len(vs))
	for _, v := range vs {
		out[v.Name] = v
	}
	return hash, out
}

// fetchRemote downloads remotes into a scratch directory. When prev holds
// validators for every file, it first asks with conditional requests; if
// every answer is 304 Not Modified the feed is unchanged and nothing is
// downloaded.
func fetchRemote(ctx context.Context, src Source, prev string, remotes []Remote) (*Data, error) {
	if len(remotes) == 0 {
		return nil, fmt.Errorf("feed has no upstream location; use a mirror")
	}
	c := doer(src)
	prevHash, prevVals := splitFingerprint(prev)
	conditional := len(prevVals) > 0
	for _, r := range remotes {
		v, ok := prevVals[r.Name]
		if (!ok && !r.Optional) || (ok && v.ETag == "" && v.LastModified == "") {
			conditional = false
		}
	}
	s, err := NewScratch()
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.Remove()
		}
	}()
	var vals []validator
	notModified := map[string]bool{}
	for i := 0; i < len(remotes); i++ {
		r := remotes[i]
		var hdr http.Header
		if v, ok := prevVals[r.Name]; conditional && ok {
			hdr = http.Header{}
			if v.ETag != "" {
				hdr.Set("If-None-Match", v.ETag)
			}
			if v.LastModified != "" {
				hdr.Set("If-Modified-Since", v.LastModified)
			}
		}
		v, status, err := download(ctx, c, r, hdr, s)
		if err != nil {
			if r.Optional && IsNotFound(err) {
				continue
			}
			return nil, err
		}
		if status == http.StatusNotModified {
			notModified[r.Name] = true
			continue
		}
		if conditional {
			// Something changed: every file is needed for the parse, so
			// fetch again, in full, those that were not modified.
			conditional = false
			if len(notModified) > 0 {
				clear(notModified)
				vals = nil
				i = -1
				continue
			}
		}
		vals = append(vals, v)
	}
	if conditional && len(notModified) > 0 {
		return nil, ErrUnchanged
	}
	if len(s.names) == 0 {
		return nil, fmt.Errorf("feed: none of %d upstream files is published (first %s)", len(remotes), remotes[0].URL)
	}
	h := sha256.New()
	names := slices.Sorted(slices.Values(s.names))
	for _, name := range names {
		sum, size, err := hashFile(s.paths[name])
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(h, "%s\x00%d\x00%s\n", name, size, sum)
	}
	fp := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if fp == prevHash {
		return nil, ErrUnchanged
	}
	if enc := encodeValidators(vals); enc != "" {
		fp += " v1:" + enc
	}
	ok = true
	return s.Data(fp), nil
}

func encodeValidators(vals []validator) string {
	for _, v := range vals {
		if v.ETag == "" && v.LastModified == "" {
			return ""
		}
	}
	raw, err := json.Marshal(vals)
	if err != nil || len(raw) > maxValidators {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// download fetches one remote into the scratch directory, unless the
// server answers 304 to the conditional headers in hdr.
func download(ctx context.Context, c HTTPDoer, r Remote, hdr http.Header, s *Scratch) (validator, int, error) {
	res, err := get(ctx, c, r.URL, hdr)
	if err != nil {
		return validator{}, 0, err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotModified && hdr != nil {
		return validator{}, res.StatusCode, nil
	}
	if res.StatusCode != http.StatusOK {
		return validator{}, 0, statusError(r.URL, res)
	}
	f, err := s.Create(r.Name)
	if err != nil {
		return validator{}, 0, err
	}
	if _, err := copyBounded(f, res.Body, r.URL); err != nil {
		f.Close()
		return validator{}, 0, err
	}
	if err := f.Close(); err != nil {
		return validator{}, 0, fmt.Errorf("GET %s: %w", r.URL, err)
	}
	return validator{Name: r.Name, ETag: res.Header.Get("ETag"), LastModified: res.Header.Get("Last-Modified")}, res.StatusCode, nil
}

var hrefRE = regexp.MustCompile(`(?i)href\s*=\s*"([^"]+)"`)

// maxListing bounds the files an http mirror listing may name.
const maxListing = 200_000

// listHTTP lists the files under base, an http(s) directory URL ending in
// "/", by reading the HTML index pages that static file servers generate
// (Go's http.FileServer, nginx autoindex, Apache, python -m http.server).
// It returns slash-separated paths relative to base, sorted.
func listHTTP(ctx context.Context, c HTTPDoer, base string) ([]string, error) {
	root, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("mirror %q: %w", base, err)
	}
	var out []string
	var walk func(dir *url.URL, depth int) error
	walk = func(dir *url.URL, depth int) error {
		if depth > 8 {
			return fmt.Errorf("mirror listing %s: nested too deep", dir)
		}
		res, err := get(ctx, c, dir.String(), nil)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return statusError(dir.String(), res)
		}
		page, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
		if err != nil {
			return fmt.Errorf("mirror listing %s: %w", dir, err)
		}
		seen := map[string]bool{}
		for _, m := range hrefRE.FindAllSubmatch(page, -1) {
			ref, err := url.Parse(string(m[1]))
			if err != nil || ref.RawQuery != "" || ref.Fragment != "" {
				continue
			}
			u := dir.ResolveReference(ref)
			if u.Host != root.Host || !strings.HasPrefix(u.Path, dir.Path) || u.Path == dir.Path || seen[u.Path] {
				continue
			}
			seen[u.Path] = true
			if strings.HasSuffix(u.Path, "/") {
				if err := walk(u, depth+1); err != nil {
					return err
				}
				continue
			}
			out = append(out, strings.TrimPrefix(u.Path, root.Path))
			if len(out) > maxListing {
				return fmt.Errorf("mirror listing %s: more than %d files", root, maxListing)
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}
