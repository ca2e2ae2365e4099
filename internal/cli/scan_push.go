package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
)

// pushOptions are the scan flags that send the inventory to a server.
type pushOptions struct {
	server    string
	token     string
	ciJobURL  string
	gitCommit string
	repo      string
	tags      []string
}

func (o *pushOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.server, "server", os.Getenv("BULWARK_SERVER"), "after the scan, push the inventory and scan context to this Bulwark server (env BULWARK_SERVER)")
	f.StringVar(&o.token, "token", "", "API token with the ingest scope for --server (env BULWARK_TOKEN)")
	f.StringVar(&o.ciJobURL, "ci-job-url", "", "CI job URL stored with the pushed inventory (default: from GitHub Actions, GitLab CI, Jenkins, CircleCI or Buildkite variables)")
	f.StringVar(&o.gitCommit, "git-commit", "", "git commit stored with the pushed inventory (default: from CI variables)")
	f.StringVar(&o.repo, "repo", "", "repository name stored with the pushed inventory (default: the image's)")
	f.StringArrayVar(&o.tags, "tag", nil, "tag label stored with the pushed inventory (repeatable; default: the image's tags)")
}

// push sends inv to the server when --server is set. The server matches
// it itself, so its report follows every later DB update.
func (o *pushOptions) push(ctx context.Context, g *globals, inv *model.Inventory) error {
	if o.server == "" {
		return nil
	}
	c, err := newServerClient(o.server, o.token)
	if err != nil {
		return usageErr(err)
	}
	if inv.Image.Digest == "" && inv.Image.ConfigDigest != "" {
		// An image read from a docker archive or daemon has no manifest
		// digest; its image ID identifies it as well.
		c := *inv
		c.Image.Digest = inv.Image.ConfigDigest
		inv = &c
	}
	if inv.Image.Digest == "" {
		return usageErr(fmt.Errorf("--server: %s has no image digest; the server keys everything by digest (scan an image, or an SBOM that records one)", inv.Image.Ref))
	}
	sc := store.ScanContext{Repo: o.repo, Tags: o.tags, CIJobURL: o.ciJobURL, GitCommit: o.gitCommit}
	if sc.Repo == "" {
		sc.Repo = inv.Image.Name
	}
	if len(sc.Tags) == 0 {
		sc.Tags = inv.Image.Tags
	}
	if sc.CIJobURL == "" {
		sc.CIJobURL = ciJobURL(os.Getenv)
	}
	if sc.GitCommit == "" {
		sc.GitCommit = firstEnv(os.Getenv, "GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT", "CIRCLE_SHA1", "BUILDKITE_COMMIT")
	}
	var resp server.IngestResponse
	if err := c.do(ctx, http.MethodPost, "/api/v1/inventories", server.IngestRequest{Inventory: inv, Context: sc}, &resp); err != nil {
		return opErr(fmt.Errorf("push to %s: %w", o.server, err))
	}
	if !g.quiet {
		fmt.Fprintf(g.stderr, "bulwark: pushed %s to %s: %d findings (%d new, %d resolved since the last push)\n",
			resp.Digest, o.server, resp.Findings, resp.New, resp.Resolved)
	}
	return nil
}

// ciJobURL reads the job URL from the variables common CI systems set.
func ciJobURL(getenv func(string) string) string {
	if s, r, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID"); s != "" && r != "" && id != "" {
		return s + "/" + r + "/actions/runs/" + id
	}
	return firstEnv(getenv, "CI_JOB_URL", "BUILD_URL", "CIRCLE_BUILD_URL", "BUILDKITE_BUILD_URL")
}

func firstEnv(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// serverClient calls a Bulwark server's API.
type serverClient struct {
	base  string
	token string
	http  *http.Client
}

func newServerClient(server, token string) (*serverClient, error) {
	if token == "" {
		token = os.Getenv("BULWARK_TOKEN")
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q: want http(s)://host[:port]", server)
	}
	if token == "" {
		return nil, fmt.Errorf("--server needs --token (or env BULWARK_TOKEN)")
	}
	hc, err := serverHTTPClient("BULWARK_CA_CERT", os.Getenv("BULWARK_CA_CERT"), 2*time.Minute)
	if err != nil {
		return nil, err
	}
	return &serverClient{base: strings.TrimRight(server, "/"), token: token, http: hc}, nil
}

// serverHTTPClient returns a client for a Bulwark server that trusts the
// PEM certificates in caFile (named by what, the flag or variable, in
// errors) as well as the system's roots: a server behind a private CA
// (cert-manager, an internal PKI) needs no change to the trust store.
func serverHTTPClient(what, caFile string, timeout time.Duration) (*http.Client, error) {
	if caFile == "" {
		return &http.Client{Timeout: timeout}, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %s: no PEM certificate in it; give the CA certificate that signed the server's", what, caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Timeout: timeout, Transport: tr}, nil
}

func (c *serverClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return fmt.Errorf("%s", resp.Status)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decoding the server's answer: %w", err)
		}
	}
	return nil
}
