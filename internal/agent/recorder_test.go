package agent

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a Sink the tests wait on.
type recorder struct {
	mu     sync.Mutex
	events []*Event
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) Emit(e *Event) error {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return nil
}

func (r *recorder) all() []*Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Event(nil), r.events...)
}

// wait returns the first event matching ok, failing after 15s.
func (r *recorder) wait(t *testing.T, what string, ok func(*Event) bool) *Event {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		for _, e := range r.all() {
			if ok(e) {
				return e
			}
		}
		select {
		case <-r.notify:
		case <-deadline:
			var lines []string
			for _, e := range r.all() {
				lines = append(lines, fmt.Sprintf("%+v", *e))
			}
			t.Fatalf("no event: %s; got:\n%s", what, strings.Join(lines, "\n"))
		}
	}
}
