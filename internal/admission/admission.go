// Package admission is Bulwark's Kubernetes admission webhook: a mutating
// handler that pins every container image to the digest it resolves to,
// and a validating handler that admits an image only when that digest has
// a fresh stored scan that passes the policy for the target namespace.
//
// The hot path stays off the network and off the database: verdicts and
// tag→digest mappings live in a Cache keyed by digest that the server's
// rescans keep current with Cache.Update and Cache.Invalidate. Errors deny
// (fail-closed) unless the handler runs in audit mode, where every would-be
// denial becomes an AdmissionReview warning.
package admission

import (
	"context"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Verdict is what the server knows about one scanned image digest.
type Verdict struct {
	// Digest is the manifest digest the scan was stored under.
	Digest string `json:"digest"`
	// Refs are references the image was scanned as ("registry.local/web:1.4");
	// they seed the cache's tag→digest mapping.
	Refs []string `json:"refs,omitempty"`
	// Report is the stored report. When set, the policy is evaluated per
	// namespace and workload labels; when nil, Decision is used as stored.
	Report *model.Report `json:"report,omitempty"`
	// Decision is the stored verdict of the server's default policy.
	Decision model.Decision `json:"decision"`
	// ScannedAt is when the report was produced.
	ScannedAt time.Time `json:"scannedAt"`
	// DBBuiltAt is when the vulnerability data the report used was built.
	DBBuiltAt time.Time `json:"dbBuiltAt,omitzero"`
}

// Verdicts looks up stored scan verdicts by digest. The server's store
// implements it; found is false when the digest was never scanned.
type Verdicts interface {
	Lookup(ctx context.Context, digest string) (v Verdict, found bool, err error)
}

// Resolver turns an image reference into the manifest digest a registry
// serves for it ("sha256:…").
type Resolver interface {
	Resolve(ctx context.Context, ref string) (digest string, err error)
}

// SignatureVerifier checks that image ref at digest carries a valid
// signature from a trusted key; a nil error means it does.
type SignatureVerifier interface {
	Verify(ctx context.Context, ref, digest string) error
}

// Auditor records admissions that bypassed a check: break-glass
// overrides and audit-mode warnings. Implementations must be safe for
// concurrent use and should not block.
type Auditor interface {
	Audit(ctx context.Context, e AuditEvent)
}

// AuditFunc adapts a function to Auditor.
type AuditFunc func(ctx context.Context, e AuditEvent)

// Audit calls f.
func (f AuditFunc) Audit(ctx context.Context, e AuditEvent) { f(ctx, e) }

var _ Auditor = AuditFunc(nil)

// AuditEvent describes an admission that was allowed although a check
// would have denied it, or a break-glass override.
type AuditEvent struct {
	// Kind is "break-glass" or "audit-mode".
	Kind      string   `json:"kind"`
	UID       string   `json:"uid"`
	User      string   `json:"user"`
	Namespace string   `json:"namespace"`
	Object    string   `json:"object"` // "Deployment/web"
	Operation string   `json:"operation"`
	Reason    string   `json:"reason,omitempty"` // the break-glass annotation value
	Problems  []string `json:"problems,omitempty"`
}
