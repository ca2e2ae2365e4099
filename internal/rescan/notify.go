package rescan

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
)

// NotifyPolicy says which new findings cause a message, and to which
// sinks (by name).
type NotifyPolicy struct {
	Sinks []string
	// MinSeverity is the lowest rating that notifies.
	MinSeverity model.Rating
	// AllImages notifies for every image; otherwise only for images a
	// workload report says are running.
	AllImages bool
}

// Message is one notification: a new finding in one image. It is the
// JSON body a webhook receives.
type Message struct {
	Event         string           `json:"event"`
	Digest        string           `json:"digest"`
	Repo          string           `json:"repo,omitempty"`
	Tags          []string         `json:"tags,omitempty"`
	VulnID        string           `json:"vulnID"`
	Summary       string           `json:"summary,omitempty"`
	Package       string           `json:"package"`
	Version       string           `json:"version"`
	Severity      model.Rating     `json:"severity"`
	FixedVersions []string         `json:"fixedVersions,omitempty"`
	Running       bool             `json:"running"`
	Workloads     []store.Workload `json:"workloads,omitempty"`
	At            time.Time        `json:"at"`
}

// EventNewFinding is Message.Event for a finding a rescan found.
const EventNewFinding = "new-finding"

// notifications adds, to each update, one message per sink for every new
// finding the policy selects.
func (r *Rescanner) notifications(ctx context.Context, updates []store.ImageUpdate, invs []*model.Inventory, now time.Time) error {
	pol := r.Notify
	if len(pol.Sinks) == 0 {
		return nil
	}
	min := model.RatingRank(pol.MinSeverity)
	var candidates []string
	for i := range updates {
		for _, e := range updates[i].Events {
			if e.Kind == store.EventNew && model.RatingRank(e.Severity) >= min {
				candidates = append(candidates, updates[i].Digest)
				break
			}
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	ws, err := r.Store.Workloads(ctx, candidates, now)
	if err != nil {
		return fmt.Errorf("running workloads: %w", err)
	}
	byDigest := map[string][]store.Workload{}
	for _, w := range ws {
		byDigest[w.Digest] = append(byDigest[w.Digest], w)
	}
	for i := range updates {
		u := &updates[i]
		running := byDigest[u.Digest]
		if !pol.AllImages && len(running) == 0 {
			continue
		}
		for _, e := range u.Events {
			if e.Kind != store.EventNew || model.RatingRank(e.Severity) < min {
				continue
			}
			m := Message{Event: EventNewFinding, Digest: u.Digest, VulnID: e.VulnID, Package: e.Package, Version: e.Version,
				Severity: e.Severity, Running: len(running) > 0, Workloads: running, At: e.At}
			if inv := invs[i]; inv != nil {
				m.Repo, m.Tags = inv.Image.Name, inv.Image.Tags
			}
			if u.Report != nil {
				for j := range u.Report.Findings {
					f := &u.Report.Findings[j]
					if f.VulnID == e.VulnID && f.Package.Name == e.Package && f.Package.Version == e.Version {
						m.Summary, m.FixedVersions = f.Summary, f.FixedVersions
						break
					}
				}
			}
			body, err := json.Marshal(m)
			if err != nil {
				return err
			}
			for _, sink := range pol.Sinks {
				u.Notifications = append(u.Notifications, store.Notification{Sink: sink, Payload: body})
			}
		}
	}
	return nil
}
