// Package kube is Bulwark's running-workload inventory for Kubernetes: a
// watcher built on client-go informers that reports which pods run which
// image digests, under which owner workload, so that "which workloads run
// an affected image" has an answer. Each report is the complete set the
// watcher sees; the server replaces the previous set, so removed pods
// drop out, and a set that is not renewed expires.
package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Workload is one running container, as POST /api/v1/workloads takes it.
type Workload struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
	// Workload is "Kind/name" of the top owner ("Deployment/web"); a bare
	// pod is "Pod/name".
	Workload     string `json:"workload"`
	WorkloadKind string `json:"workloadKind"`
	WorkloadName string `json:"workloadName"`
	Pod          string `json:"pod"`
	Container    string `json:"container"`
	// Image is the image as the pod spec names it; Digest is the manifest
	// digest the node pulled (from containerStatuses[].imageID).
	Image  string `json:"image"`
	Digest string `json:"imageDigest"`
}

// Report is the body of POST /api/v1/workloads: the complete set of
// containers one reporter sees, replacing its previous set.
type Report struct {
	Reporter  string     `json:"reporter"`
	Workloads []Workload `json:"workloads"`
	// TTLSeconds is how long the set counts unless renewed.
	TTLSeconds int `json:"ttlSeconds,omitempty"`
}

// Reporter receives workload reports.
type Reporter interface {
	ReportWorkloads(ctx context.Context, r Report) error
}

// HTTPReporter posts reports to a Bulwark server.
type HTTPReporter struct {
	// ServerURL is the server's base URL ("https://bulwark:8080").
	ServerURL string
	// Token is an API token with the ingest scope.
	Token  string
	Client *http.Client
}

var _ Reporter = (*HTTPReporter)(nil)

// ReportWorkloads implements Reporter.
func (h *HTTPReporter) ReportWorkloads(ctx context.Context, r Report) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("workload report: %w", err)
	}
	url := strings.TrimSuffix(h.ServerURL, "/") + "/api/v1/workloads"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("workload report: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("workload report to %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("workload report to %s: %s: %s", url, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
