package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ServerEventsPath is where the server accepts agent events: a POST of a
// JSON array of Event.
const ServerEventsPath = "/api/v1/runtime/events"

var _ Sink = (*ServerSink)(nil)

// ServerSink batches events and posts them to a Bulwark server. It never
// blocks the agent: when the server is slow and the queue is full, events
// are dropped and counted.
type ServerSink struct {
	url    string
	token  string
	client *http.Client
	queue  chan *Event

	mu      sync.Mutex
	dropped uint64
	lastErr error
}

// NewServerSink returns a sink posting to base (e.g. "http://bulwark:8080")
// until ctx ends, with token (an ingest-scope API token; "" sends none)
// as its bearer token, through client (nil: a default client; pass one
// that trusts the server's CA when it is private).
func NewServerSink(ctx context.Context, base, token string, client *http.Client) *ServerSink {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	s := &ServerSink{
		url:    strings.TrimRight(base, "/") + ServerEventsPath,
		token:  token,
		client: client,
		queue:  make(chan *Event, 4096),
	}
	go s.loop(ctx)
	return s
}

// Emit queues e.
func (s *ServerSink) Emit(e *Event) error {
	select {
	case s.queue <- e:
		return nil
	default:
		s.mu.Lock()
		s.dropped++
		s.mu.Unlock()
		return fmt.Errorf("server event queue full")
	}
}

// Status returns how many events were dropped and the last post error.
func (s *ServerSink) Status() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped, s.lastErr
}

func (s *ServerSink) loop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var batch []*Event
	for {
		select {
		case <-ctx.Done():
			// What is still queued cannot be sent any more; count it
			// rather than lose it silently.
			s.mu.Lock()
			s.dropped += uint64(len(batch) + len(s.queue))
			s.mu.Unlock()
			return
		case e := <-s.queue:
			batch = append(batch, e)
			if len(batch) < 256 {
				continue
			}
		case <-t.C:
		}
		if len(batch) == 0 {
			continue
		}
		err := s.post(ctx, batch)
		s.mu.Lock()
		s.lastErr = err
		if err != nil {
			s.dropped += uint64(len(batch))
		}
		s.mu.Unlock()
		batch = batch[:0]
	}
}

func (s *ServerSink) post(ctx context.Context, batch []*Event) error {
	body, err := json.Marshal(batch)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("post events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		// The server names the problem (a refused event, a missing
		// scope); keep it so Status reports more than a code.
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("post events: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// Tee is a Sink writing to every sink in order; it returns the first error.
type Tee []Sink

var _ Sink = Tee(nil)

// Emit writes e to every sink.
func (t Tee) Emit(e *Event) error {
	var first error
	for _, s := range t {
		if err := s.Emit(e); err != nil && first == nil {
			first = err
		}
	}
	return first
}
