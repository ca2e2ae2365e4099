package cli

import (
	"context"
	"errors"

	"github.com/bulwark-security/bulwark/internal/admission"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
)

// storeVerdicts serves admission verdicts from the server's stored
// reports: the latest report for a digest, with its stored decision and
// data age. The admission cache in front of it keeps the webhook's hot path
// off the store.
type storeVerdicts struct{ q store.InventoryQuery }

var _ admission.Verdicts = storeVerdicts{}

func (v storeVerdicts) Lookup(ctx context.Context, digest string) (admission.Verdict, bool, error) {
	r, err := v.q.Report(ctx, digest)
	if errors.Is(err, store.ErrNotFound) {
		return admission.Verdict{}, false, nil
	}
	if err != nil {
		return admission.Verdict{}, false, err
	}
	return verdictOf(digest, r), true, nil
}

// verdictOf is the admission verdict a stored report stands for.
func verdictOf(digest string, r *model.Report) admission.Verdict {
	out := admission.Verdict{Digest: digest, Report: r, ScannedAt: r.CreatedAt}
	if r.Decision != nil {
		out.Decision = *r.Decision
	} else {
		// The server evaluated no policy: being scanned is the requirement.
		// A --policy on the server (or per-namespace rules) tightens it.
		out.Decision = model.Decision{Pass: true, Policy: "none configured: scanned images pass"}
	}
	if r.DB != nil {
		out.DBBuiltAt = r.DB.BuiltAt
	}
	img := r.Inventory.Image
	if img.Name != "" {
		for _, t := range img.Tags {
			out.Refs = append(out.Refs, img.Name+":"+t)
		}
	}
	return out
}
