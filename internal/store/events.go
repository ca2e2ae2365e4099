package store

import (
	"context"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
)

// RuntimeEvent is one event a node agent reported: a judged execution or
// the agent's own state. Its JSON is the agent's event schema
// (docs/runtime.md), so an agent's batch decodes into it directly; ID and
// Received are the server's.
type RuntimeEvent struct {
	ID       int64     `json:"id,omitempty"`
	Received time.Time `json:"received,omitzero"`

	model.RuntimeEvent
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
	PutRuntimeEvents(ctx context.Context, evs []model.RuntimeEvent, received time.Time) error
	// RuntimeEvents returns the events q selects, newest first.
	RuntimeEvents(ctx context.Context, q RuntimeEventQuery) ([]RuntimeEvent, error)
	// DeleteRuntimeEventsBefore removes events whose Time is before t and
	// returns how many it removed.
	DeleteRuntimeEventsBefore(ctx context.Context, t time.Time) (int64, error)
}
