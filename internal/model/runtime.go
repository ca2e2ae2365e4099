package model

import "time"

// RuntimeEvent is what a node agent reports: one judged execution, or the
// agent's own state. It is the agent's JSON line and what the server
// stores; the schema is documented in docs/runtime.md, and fields are only
// ever added.
type RuntimeEvent struct {
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

	// Agent events.
	Message    string            `json:"message,omitempty"`
	Enforcer   string            `json:"enforcer,omitempty"`
	Probes     map[string]string `json:"probes,omitempty"`
	Dropped    *uint64           `json:"dropped,omitempty"`
	Unresolved uint64            `json:"unresolved,omitempty"`
	Profile    string            `json:"profile,omitempty"`
}

// RuntimeProcess is one ancestor in an exec's parent chain, nearest first.
type RuntimeProcess struct {
	PID  uint32 `json:"pid"`
	Comm string `json:"comm,omitempty"`
	Path string `json:"path,omitempty"`
}
