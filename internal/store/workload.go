package store

import (
	"context"
	"time"
)

// Workload is one running container as a watcher or node agent reports it.
type Workload struct {
	// Cluster is the cluster or host name.
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace,omitempty"`
	Workload  string `json:"workload,omitempty"`
	Pod       string `json:"pod,omitempty"`
	Container string `json:"container,omitempty"`
	Digest    string `json:"imageDigest"`
}

// WorkloadStore keeps the set of running containers. Each reporter owns
// its set: a new report replaces the previous one, and a set not renewed
// before it expires stops counting.
type WorkloadStore interface {
	// PutWorkloads replaces reporter's set; it expires at expires.
	PutWorkloads(ctx context.Context, reporter string, ws []Workload, expires time.Time) error
	// Workloads returns the unexpired workloads running any of digests.
	Workloads(ctx context.Context, digests []string, now time.Time) ([]Workload, error)
	// Running reports which of digests run somewhere at now.
	Running(ctx context.Context, digests []string, now time.Time) (map[string]bool, error)
}
