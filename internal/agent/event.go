package agent

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Event types.
const (
	// EventExec is one judged execution.
	EventExec = "exec"
	// EventAgent reports the agent's state: mechanisms at start, counters
	// (dropped events) while running and at exit, saved profiles.
	EventAgent = "agent"
)

// Mechanisms, strongest first. A verdict names the one that acted.
const (
	MechLSM      = "bpf-lsm"    // execve failed with EPERM in bprm_check_security
	MechFanotify = "fanotify"   // execve failed with EPERM via FAN_OPEN_EXEC_PERM
	MechKill     = "bpf-signal" // SIGKILL from the exec tracepoint
	MechLateKill = "late-kill"  // SIGKILL from user space after the exec was seen
	MechObserve  = "observe"    // reported only
)

// Event is one JSON line on the agent's output. The schema is documented
// in docs/runtime.md; fields are only ever added.
type Event struct {
	Time time.Time `json:"time"`
	Type string    `json:"type"`

	ContainerID   string   `json:"containerId,omitempty"`
	ContainerName string   `json:"containerName,omitempty"`
	ImageDigest   string   `json:"imageDigest,omitempty"`
	ImageName     string   `json:"imageName,omitempty"`
	RepoDigests   []string `json:"repoDigests,omitempty"`
	Pod           string   `json:"pod,omitempty"`
	Namespace     string   `json:"namespace,omitempty"`

	PID     uint32    `json:"pid,omitempty"`
	Comm    string    `json:"comm,omitempty"`
	Path    string    `json:"path,omitempty"`
	SHA256  string    `json:"sha256,omitempty"`
	Drift   bool      `json:"drift,omitempty"`
	Parents []Process `json:"parents,omitempty"`

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

// Process is one ancestor in an exec's parent chain, nearest first.
type Process struct {
	PID  uint32 `json:"pid"`
	Comm string `json:"comm,omitempty"`
	Path string `json:"path,omitempty"`
}

// Sink receives events.
type Sink interface {
	Emit(e *Event) error
}

var _ Sink = (*JSONLines)(nil)

// JSONLines writes events as JSON lines; safe for concurrent use.
type JSONLines struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSONLines returns a Sink writing to w.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{enc: json.NewEncoder(w)} }

// Emit writes e as one line.
func (j *JSONLines) Emit(e *Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.enc.Encode(e); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	return nil
}
