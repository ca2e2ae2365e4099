package store

import (
	"context"
	"time"
)

// RuntimeEvent is one event a node agent reported: a judged execution or
// the agent's own state. Its JSON is the agent's event schema
// (docs/runtime.md), so an agent's batch decodes into it directly; ID and
// Received are the server's.
type RuntimeEvent struct {
	ID       int64     `json:"id,omitempty"`
	Received time.Time `json:"received,omitzero"`

	Time time.Time `json:"time"`
	Type string    `json:"type"`

	ContainerID   string   `json:"containerId,omitempty"`
	ContainerName string   `json:"containerName,omitempty"`
	ImageDigest   string   `json:"imageDigest,omitempty"`
	ImageName     string   `json:"imageName,omitempty"`
	RepoDigests   []string `json:"repoDigests,omitempty"`
	Pod           string   `json:"pod,omitempty"`
	Namespace     string   `json:"namespace,omitempty"`

	PID     uint32           `json:"pid,omitempty"`
	Comm    string           `json:"comm,omitempty"`
	Path    string           `json:"path,omitempty"`
	SHA256  string           `json:"sha256,omitempty"`
	Drift   bool             `json:"drift,omitempty"`
	Parents []RuntimeProcess `json:"parents,omitempty"`

	Verdict   string `json:"verdict,omitempty"`
	Mode      string `json:"mode,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Mechanism string `json:"mechanism,omitempty"`

	Message    string            `json:"message,omitempty"`
	Enforcer   string            `json:"enforcer,omitempty"`
	Probes     map[string]string `json:"probes,omitempty"`
	Dropped    *uint64           `json:"dropped,omitempty"`
	Unresolved uint64            `json:"unresolved,omitempty"`
	Profile    string            `json:"profile,omitempty"`
}

// RuntimeProcess is one ancestor in an exec's parent chain.
type RuntimeProcess struct {
	PID  uint32 `json:"pid"`
	Comm string `json:"comm,omitempty"`
	Path string `json:"path,omitempty"`
}

// RuntimeEventQuery selects stored runtime events; empty fields match
// everything.
type RuntimeEventQuery struct {
	Digest    string
	Namespace string
	Verdict   string
	Type      string
	// Since keeps events whose Time is at or after it.
	Since time.Time
	// Limit caps the answer; the store applies its own maximum when
	// Limit is zero or larger.
	Limit int
}

// MaxRuntimeEvents is the most events one query returns.
const MaxRuntimeEvents = 1000

// RuntimeEventStore keeps node agents' events for a bounded time.
type RuntimeEventStore interface {
	// PutRuntimeEvents stores a batch at once (all or nothing), stamped
	// with received.
	PutRuntimeEvents(ctx context.Context, evs []RuntimeEvent, received time.Time) error
	// RuntimeEvents returns the events q selects, newest first.
	RuntimeEvents(ctx context.Context, q RuntimeEventQuery) ([]RuntimeEvent, error)
	// DeleteRuntimeEventsBefore removes events whose Time is before t and
	// returns how many it removed.
	DeleteRuntimeEventsBefore(ctx context.Context, t time.Time) (int64, error)
}
