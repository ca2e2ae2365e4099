package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/policy"
)

// patchOp is one RFC 6902 operation.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value"`
}

// reviewed is the workload of a request that needs judging, or nil with
// the response to give when it does not.
func (h *Handler) reviewed(req *request) (*workload, *response) {
	if req.Operation != "CREATE" && req.Operation != "UPDATE" {
		return nil, allow()
	}
	if h.gateFor(req.Namespace) == exempt || !req.Kind.judged() {
		return nil, allow()
	}
	var (
		w   *workload
		err = req.objectErr
	)
	if err != nil {
		err = fmt.Errorf("%s %s/%s: decoding the object: %w", req.Kind.Kind, req.Namespace, req.Name, err)
	} else {
		w, err = workloadOf(req.Kind, req.Namespace, req.Name, req.Object)
	}
	if err != nil {
		if h.gateFor(req.Namespace) == auditOnly {
			return nil, allow("bulwark: audit mode, would deny: " + err.Error())
		}
		return nil, deny("bulwark: " + err.Error())
	}
	if req.Operation == "UPDATE" && req.OldObject != nil {
		// Only what an update changes is judged: re-judging images that
		// already run would let a changed verdict block label edits,
		// scaling and garbage collection, and pinning them would restart
		// running containers.
		if ow, err := workloadOf(req.Kind, req.Namespace, req.Name, req.OldObject); err == nil && ow != nil {
			w.unchanged = map[string]bool{}
			for _, ci := range ow.images() {
				w.unchanged[ci.path+"\x00"+ci.image] = true
			}
		}
	}
	return w, nil
}

// mutate pins every image reference that has no digest to the digest it
// resolves to now.
func (h *Handler) mutate(ctx context.Context, req *request) *response {
	w, resp := h.reviewed(req)
	if w == nil {
		return resp
	}
	var (
		patch    []patchOp
		problems []string
	)
	for _, ci := range w.changedImages() {
		ref := h.refs.parse(ci.image)
		if ref.err != nil {
			problems = append(problems, fmt.Sprintf("container %s: image %q is not a valid reference: %v", ci.container, ci.image, ref.err))
			continue
		}
		if ref.digest != "" {
			continue
		}
		digest, err := h.digestOf(ctx, ci.image, ref)
		if err != nil {
			problems = append(problems, fmt.Sprintf("image %s: cannot resolve it to a digest: %v", ci.image, err))
			continue
		}
		patch = append(patch, patchOp{Op: "replace", Path: ci.path, Value: ci.image + "@" + digest})
	}
	out := h.answer(ctx, req, w, problems, false)
	if out.Allowed && len(patch) > 0 {
		b, err := json.Marshal(patch)
		if err != nil {
			return deny("bulwark: encoding the image patch: " + err.Error())
		}
		out.Patch, out.PatchType = b, "JSONPatch"
	}
	return out
}

// validate admits the workload when every image passes every check.
func (h *Handler) validate(ctx context.Context, req *request) *response {
	w, resp := h.reviewed(req)
	if w == nil {
		return resp
	}
	var problems []string
	seen := map[string]bool{}
	for _, ci := range w.changedImages() {
		if seen[ci.image] {
			continue
		}
		seen[ci.image] = true
		if p := h.checkImage(ctx, w, ci); p != "" {
			problems = append(problems, p)
		}
	}
	return h.answer(ctx, req, w, problems, true)
}

// digestOf returns the digest a tag reference points to: from the cache
// when known, otherwise from the registry within the resolve budget.
func (h *Handler) digestOf(ctx context.Context, ref string, parsed *parsedRef) (string, error) {
	if parsed.tagKey != "" {
		if d, ok := h.cache.digestByKey(parsed.tagKey); ok {
			return d, nil
		}
	}
	rctx, cancel := context.WithTimeout(ctx, h.cfg.ResolveTimeout)
	defer cancel()
	d, err := h.resolver.Resolve(rctx, ref)
	if err != nil {
		return "", err
	}
	h.cache.SetDigest(ref, d)
	return d, nil
}

// checkImage returns why ci may not run, or "" when it may.
func (h *Handler) checkImage(ctx context.Context, w *workload, ci containerImage) string {
	parsed := h.refs.parse(ci.image)
	if parsed.err != nil {
		return fmt.Sprintf("container %s: image %q is not a valid reference: %v", ci.container, ci.image, parsed.err)
	}
	ref, digest, shown := parsed.ref, parsed.digest, ci.image
	if digest != "" {
		shown = strings.TrimSuffix(ci.image, "@"+digest)
	}
	var err error
	registry := ref.Context().RegistryStr()
	if len(h.cfg.AllowedRegistries) > 0 && !globMatch(h.cfg.AllowedRegistries, registry) {
		return fmt.Sprintf("image %s: registry %s is not allowed (allowed: %s)", ci.image, registry, strings.Join(h.cfg.AllowedRegistries, ", "))
	}
	if digest == "" {
		if digest, err = h.digestOf(ctx, ci.image, parsed); err != nil {
			return fmt.Sprintf("image %s: cannot resolve it to a digest: %v", ci.image, err)
		}
	}
	scanRef := shown
	if _, tagged := ref.(name.Tag); !tagged && strings.LastIndex(shown, ":") <= strings.LastIndex(shown, "/") {
		// Without a tag, only the digest names what runs.
		scanRef = ref.Context().Name() + "@" + digest
	}
	scanHint := fmt.Sprintf("run: bulwark scan image %s --server %s", scanRef, h.cfg.ServerURL)
	v, found, err := h.cache.Lookup(ctx, digest)
	if err != nil {
		return fmt.Sprintf("image %s (%s): looking up its scan failed: %v", shown, digest, err)
	}
	if !found && h.scans != nil {
		v, err = h.scans.await(ctx, shown, digest)
		switch {
		case errors.Is(err, errScanPending):
			return fmt.Sprintf("image %s (%s) has not been scanned; a scan on demand is in progress and did not finish within %s: retry in a minute (or %s)",
				shown, digest, h.cfg.ScanBudget, scanHint)
		case err != nil:
			return fmt.Sprintf("image %s (%s) has not been scanned and the scan on demand failed: %v; %s", shown, digest, err, scanHint)
		}
		found = true
	}
	if !found {
		return fmt.Sprintf("image %s (%s) has not been scanned; %s", shown, digest, scanHint)
	}
	now := h.cfg.Now()
	if h.cfg.MaxScanAge > 0 && now.Sub(v.ScannedAt) > h.cfg.MaxScanAge {
		return fmt.Sprintf("image %s (%s) was last scanned %s ago, more than the %s allowed; %s",
			shown, digest, roundAge(now.Sub(v.ScannedAt)), h.cfg.MaxScanAge, scanHint)
	}
	if h.cfg.MaxDBAge > 0 {
		built := v.DBBuiltAt
		if built.IsZero() && v.Report != nil && v.Report.DB != nil {
			built = v.Report.DB.BuiltAt
		}
		switch {
		case built.IsZero():
			return fmt.Sprintf("image %s (%s): the age of the vulnerability data it was scanned with is unknown; %s", shown, digest, scanHint)
		case now.Sub(built) > h.cfg.MaxDBAge:
			return fmt.Sprintf("image %s (%s) was scanned with vulnerability data built %s ago, more than the %s allowed; update the database and %s",
				shown, digest, roundAge(now.Sub(built)), h.cfg.MaxDBAge, scanHint)
		}
	}
	pctx := policy.Context{Image: ref.Context().Name(), Namespace: w.namespace, Labels: w.labels, Now: now}
	d, err := h.cache.decide(ctx, digest, h.cfg.Policy, pctx)
	if err != nil {
		return fmt.Sprintf("image %s (%s): evaluating the policy failed: %v", shown, digest, err)
	}
	if !d.Pass {
		return fmt.Sprintf("image %s (%s) fails policy %s: %s", shown, digest, policyName(d), failedRules(d))
	}
	if h.cfg.Verifier != nil {
		if err := h.cfg.Verifier.Verify(ctx, ref.Context().Name()+"@"+digest, digest); err != nil {
			return fmt.Sprintf("image %s (%s): no valid signature: %v", shown, digest, err)
		}
	}
	return ""
}

func policyName(d model.Decision) string {
	if d.Policy == "" {
		return "(default)"
	}
	return fmt.Sprintf("%q", d.Policy)
}

// failedRules names each failing rule with a few of the findings that
// tripped it, enough to act on without flooding the kubectl output.
func failedRules(d model.Decision) string {
	var parts []string
	for _, r := range d.Reasons {
		if r.Pass {
			continue
		}
		s := r.Rule + ": " + r.Message
		if n := len(r.VulnIDs); n > 0 {
			ids := r.VulnIDs[:min(n, 3)]
			s += " (" + strings.Join(ids, ", ")
			if n > 3 {
				s += fmt.Sprintf(", +%d more", n-3)
			}
			s += ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "the stored decision failed"
	}
	return strings.Join(parts, "; ")
}

func roundAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return d.Round(time.Hour).String()
	}
	return d.Round(time.Second).String()
}
