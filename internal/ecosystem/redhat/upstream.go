package redhat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/bulwark-security/bulwark/internal/feed"
)

// apiBase is Red Hat's Security Data API.
const apiBase = "https://access.redhat.com/hydra/rest/securitydata/"

// Upstream paging and concurrency. The API has no bulk download of CVE
// documents, so a full upstream fetch makes one request per RHEL CVE
// (tens of thousands); sites that update often should use a mirror.
const (
	perPage     = 1000
	maxPages    = 500
	concurrency = 8
)

// fetchUpstream lists every CVE that names Red Hat Enterprise Linux and
// fetches each CVE document into one JSONL file, the bundle form.
func fetchUpstream(ctx context.Context, src feed.Source, prev string) (*feed.Data, error) {
	c := src.HTTP
	if c == nil {
		c = http.DefaultClient
	}
	var urls []string
	for page := 1; page <= maxPages; page++ {
		q := url.Values{"per_page": {strconv.Itoa(perPage)}, "page": {strconv.Itoa(page)}, "product": {"Red Hat Enterprise Linux"}}
		listURL := apiBase + "cve.json?" + q.Encode()
		var buf bytes.Buffer
		if _, err := feed.Download(ctx, c, listURL, &buf); err != nil {
			return nil, fmt.Errorf("redhat: %w", err)
		}
		var list []struct {
			CVE         string `json:"CVE"`
			ResourceURL string `json:"resource_url"`
		}
		if err := json.Unmarshal(buf.Bytes(), &list); err != nil {
			return nil, fmt.Errorf("redhat: %s: %w", listURL, err)
		}
		if len(list) == 0 {
			break
		}
		for _, e := range list {
			u := e.ResourceURL
			if u == "" && e.CVE != "" {
				u = apiBase + "cve/" + url.PathEscape(e.CVE) + ".json"
			}
			if u != "" {
				urls = append(urls, u)
			}
		}
	}
	slices.Sort(urls)
	urls = slices.Compact(urls)
	s, err := feed.NewScratch()
	if err != nil {
		return nil, err
	}
	out, err := s.Create("securitydata-cve.jsonl")
	if err != nil {
		s.Remove()
		return nil, err
	}
	// Documents are written as they arrive; the fingerprint hashes each
	// document's digest in URL order, so it does not depend on arrival
	// order and no more than one document is held per worker.
	sums := make([][sha256.Size]byte, len(urls))
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			doc, err := getDocument(ctx, c, u)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				sums[i] = sha256.Sum256(doc)
				if _, err = out.Write(append(doc, '\n')); err != nil {
					err = fmt.Errorf("write: %w", err)
				}
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	if err := out.Close(); err != nil && firstErr == nil {
		firstErr = err
	}
	if firstErr != nil {
		s.Remove()
		return nil, fmt.Errorf("redhat: %w", firstErr)
	}
	h := sha256.New()
	for i := range urls {
		h.Write(sums[i][:])
	}
	fp := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if fp == prev {
		s.Remove()
		return nil, feed.ErrUnchanged
	}
	return s.Data(fp), nil
}

// getDocument fetches one CVE document as compact JSON, retrying
// transient failures (network errors, 429, 5xx): one failed request out
// of tens of thousands should not fail the update.
func getDocument(ctx context.Context, c feed.HTTPDoer, u string) ([]byte, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * time.Second):
			}
		}
		var buf bytes.Buffer
		if _, err = feed.Download(ctx, c, u, &buf); err != nil {
			var he *feed.HTTPError
			if ctx.Err() != nil || (errors.As(err, &he) && he.StatusCode != http.StatusTooManyRequests && he.StatusCode < 500) {
				return nil, err
			}
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, buf.Bytes()); err != nil {
			return nil, fmt.Errorf("%s: %w", u, err)
		}
		return compact.Bytes(), nil
	}
	return nil, err
}
