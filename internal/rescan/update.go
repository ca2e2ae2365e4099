package rescan

import (
	"context"
	"fmt"
	"sync"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// Updater updates the vulnerability DB and queues the rescan its diff
// calls for. One update runs at a time per replica.
type Updater struct {
	Path      string
	Feeds     []feed.Feed
	Source    feed.Source
	Matcher   *Matcher
	Rescanner *Rescanner

	mu sync.Mutex
}

// UpdateResult is what an update did.
type UpdateResult struct {
	DB *vulndb.UpdateResult `json:"-"`
	// Packages is the number of (namespace, package) pairs the diff names.
	Packages int    `json:"packages"`
	Batch    string `json:"batch,omitempty"`
	Images   int    `json:"images"`
}

// Update runs vulndb.Update, swaps the new DB in and queues a rescan of
// the images holding a changed package.
func (u *Updater) Update(ctx context.Context) (*UpdateResult, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	res, err := vulndb.Update(ctx, u.Path, u.Feeds, vulndb.UpdateOptions{Source: u.Source})
	if err != nil {
		return nil, fmt.Errorf("db update: %w", err)
	}
	db, err := vulndb.Open(u.Path)
	if err != nil {
		return nil, fmt.Errorf("db update: reopen: %w", err)
	}
	u.Matcher.SetDB(db)
	out := &UpdateResult{DB: res}
	if res.Diff != nil {
		out.Packages = len(res.Diff.Changes)
	}
	if res.Diff != nil && res.Diff.Initial {
		// A first build lists every package; matching everything is
		// cheaper than looking each one up.
		out.Batch, out.Images, err = u.Rescanner.EnqueueAll(ctx)
	} else {
		out.Batch, out.Images, err = u.Rescanner.EnqueueDiff(ctx, res.Diff)
	}
	if err != nil {
		return out, err
	}
	return out, nil
}
