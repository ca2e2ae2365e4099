package agent

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/bulwark-security/bulwark/internal/model"
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

// Event is one JSON line on the agent's output (docs/runtime.md); the
// server stores the same schema.
type Event = model.RuntimeEvent

// Process is one ancestor in an exec's parent chain, nearest first.
type Process = model.RuntimeProcess

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
