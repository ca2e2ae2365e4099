package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
)

// Bounds on what one agent batch may hold. The agent posts at most 256
// events at a time; the rest leaves room for bursts without letting one
// client fill the store in a single request.
const (
	// MaxEventBatch is the most events one POST may carry.
	MaxEventBatch = 2000
	// maxEventBody caps a POST's body below the server-wide MaxBody.
	maxEventBody  = 16 << 20
	maxPathLen    = 4096
	maxFieldLen   = 1024
	maxParents    = 64
	maxListLen    = 64
	maxFutureSkew = time.Hour
	// DefaultEventRetention is how long runtime events are kept unless
	// configured.
	DefaultEventRetention = 30 * 24 * time.Hour
)

var imageDigestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Event types and verdicts the agent writes (internal/agent, internal/runtime).
var (
	eventTypes    = map[string]bool{"exec": true, "agent": true}
	eventVerdicts = map[string]bool{"": true, "allow": true, "alert": true, "deny": true}
)

// validateEvent reports the first problem with e, naming the field.
func validateEvent(e *model.RuntimeEvent, now time.Time) error {
	if !eventTypes[e.Type] {
		return fmt.Errorf("type %q: want exec or agent", e.Type)
	}
	if e.Time.IsZero() {
		return errors.New("time is required")
	}
	if e.Time.After(now.Add(maxFutureSkew)) {
		return fmt.Errorf("time %s is more than %s in the future", e.Time.Format(time.RFC3339), maxFutureSkew)
	}
	if e.ImageDigest != "" && !imageDigestRE.MatchString(e.ImageDigest) {
		return fmt.Errorf("imageDigest %q: want sha256:<64 hex>", e.ImageDigest)
	}
	if !eventVerdicts[e.Verdict] {
		return fmt.Errorf("verdict %q: want allow, alert or deny", e.Verdict)
	}
	if e.Type == "exec" && e.Verdict == "" {
		return errors.New("an exec event needs a verdict")
	}
	if e.SHA256 != "" && !sha256HexRE.MatchString(e.SHA256) {
		return fmt.Errorf("sha256 %q: want 64 lowercase hex digits", e.SHA256)
	}
	if len(e.Path) > maxPathLen || len(e.Message) > maxPathLen {
		return fmt.Errorf("path or message longer than %d bytes", maxPathLen)
	}
	for name, v := range map[string]string{"containerId": e.ContainerID, "containerName": e.ContainerName, "imageName": e.ImageName,
		"pod": e.Pod, "namespace": e.Namespace, "comm": e.Comm, "mode": e.Mode, "reason": e.Reason, "mechanism": e.Mechanism,
		"enforcer": e.Enforcer, "profile": e.Profile} {
		if len(v) > maxFieldLen {
			return fmt.Errorf("%s longer than %d bytes", name, maxFieldLen)
		}
	}
	if len(e.Parents) > maxParents {
		return fmt.Errorf("%d parents: at most %d", len(e.Parents), maxParents)
	}
	for i, p := range e.Parents {
		if len(p.Path) > maxPathLen || len(p.Comm) > maxFieldLen {
			return fmt.Errorf("parents[%d]: path or comm too long", i)
		}
	}
	if len(e.RepoDigests) > maxListLen || len(e.Probes) > maxListLen {
		return fmt.Errorf("repoDigests or probes: more than %d entries", maxListLen)
	}
	return nil
}

var sha256HexRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// EventsResponse answers a POST of runtime events.
type EventsResponse struct {
	Accepted int `json:"accepted"`
}

// postEvents stores a batch of agent events, all or none: a batch with
// one malformed event is refused whole with 400 naming the event and the
// problem, and every refused event is counted, so nothing is lost
// without a trace on either side.
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxEventBody)
	var evs []model.RuntimeEvent
	if err := json.NewDecoder(r.Body).Decode(&evs); err != nil {
		s.cfg.Metrics.EventBatchesRejected.Inc()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errStatus(http.StatusBadRequest, "runtime events: want a JSON array of events: %v", err)
	}
	reject := func(format string, args ...any) error {
		s.cfg.Metrics.EventBatchesRejected.Inc()
		s.cfg.Metrics.RuntimeEvents.WithLabelValues("rejected").Add(float64(len(evs)))
		return errStatus(http.StatusBadRequest, format, args...)
	}
	if len(evs) > MaxEventBatch {
		return reject("runtime events: batch of %d events: at most %d per request", len(evs), MaxEventBatch)
	}
	now := s.now()
	for i := range evs {
		if err := validateEvent(&evs[i], now); err != nil {
			return reject("runtime events: event %d: %v", i, err)
		}
	}
	if err := s.cfg.Store.PutRuntimeEvents(r.Context(), evs, now); err != nil {
		s.cfg.Metrics.RuntimeEvents.WithLabelValues("error").Add(float64(len(evs)))
		return err
	}
	s.cfg.Metrics.RuntimeEvents.WithLabelValues("accepted").Add(float64(len(evs)))
	writeJSON(w, http.StatusAccepted, EventsResponse{Accepted: len(evs)})
	return nil
}

// listEvents answers GET /api/v1/runtime/events?image=&namespace=&verdict=&type=&since=&limit=.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := parseEventQuery(r.URL.Query().Get, s.now())
	if err != nil {
		return errStatus(http.StatusBadRequest, "%v", err)
	}
	evs, err := s.cfg.Store.RuntimeEvents(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, evs)
	return nil
}

// parseEventQuery reads the query parameters; since is a duration back
// from now ("1h", "30m") or an RFC 3339 time.
func parseEventQuery(get func(string) string, now time.Time) (store.RuntimeEventQuery, error) {
	q := store.RuntimeEventQuery{Digest: get("image"), Namespace: get("namespace"), Verdict: get("verdict"), Type: get("type")}
	if q.Digest != "" && !imageDigestRE.MatchString(q.Digest) {
		return q, fmt.Errorf("image %q: want sha256:<64 hex>", q.Digest)
	}
	if !eventVerdicts[q.Verdict] {
		return q, fmt.Errorf("verdict %q: want allow, alert or deny", q.Verdict)
	}
	if q.Type != "" && !eventTypes[q.Type] {
		return q, fmt.Errorf("type %q: want exec or agent", q.Type)
	}
	if v := get("since"); v != "" {
		since, err := ParseSince(v, now)
		if err != nil {
			return q, err
		}
		q.Since = since
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxRuntimeEvents {
			return q, fmt.Errorf("limit %q: want 1 to %d", v, store.MaxRuntimeEvents)
		}
		q.Limit = n
	}
	return q, nil
}

// ParseSince reads "1h"/"90m" (back from now) or an RFC 3339 time.
func ParseSince(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("since %q: a duration must not be negative", v)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("since %q: want a duration (1h, 30m) or an RFC 3339 time", v)
	}
	return t, nil
}

// expireEvents deletes runtime events older than the retention, now and
// then every interval until ctx ends.
func (s *Server) expireEvents(ctx context.Context, every time.Duration, onErr func(string, error)) {
	run := func() {
		n, err := s.cfg.Store.DeleteRuntimeEventsBefore(ctx, s.now().Add(-s.cfg.EventRetention))
		if err != nil {
			if ctx.Err() == nil {
				onErr("runtime event retention", err)
			}
			return
		}
		s.cfg.Metrics.RuntimeEventsExpired.Add(float64(n))
	}
	run()
	repeat(ctx, every, run)
}
