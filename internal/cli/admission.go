package cli

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/bulwark-security/bulwark/internal/admission"
	"github.com/bulwark-security/bulwark/internal/policy"
)

// admissionFlags are the admission webhook settings of "bulwark server".
type admissionFlags struct {
	enabled         bool
	audit           bool
	auditNamespaces []string
	exemptNS        []string
	registries      []string
	maxScanAge      time.Duration
	maxDBAge        time.Duration
	serverURL       string
	platform        string
	insecure        []string
}

// addAdmissionFlags declares the --admission… flags on f.
func addAdmissionFlags(f *pflag.FlagSet) *admissionFlags {
	a := &admissionFlags{}
	f.BoolVar(&a.enabled, "admission", false, "serve the Kubernetes admission webhooks at "+admission.MutatePath+" and "+admission.ValidatePath)
	f.BoolVar(&a.audit, "admission-audit", false, "audit mode: admit everything, return warnings instead of denials")
	f.StringSliceVar(&a.auditNamespaces, "admission-audit-namespaces", nil, "namespaces (globs) in audit mode while the rest enforce")
	f.StringSliceVar(&a.exemptNS, "admission-exempt-namespaces", []string{"kube-system"}, "namespaces (globs) admitted without checks")
	f.StringSliceVar(&a.registries, "admission-allowed-registries", nil, "registry host globs images may come from (default: any)")
	f.DurationVar(&a.maxScanAge, "admission-max-scan-age", 0, "deny images whose newest scan is older (0: no limit)")
	f.DurationVar(&a.maxDBAge, "admission-max-db-age", 0, "deny images scanned with vulnerability data older than this (0: no limit)")
	f.StringVar(&a.serverURL, "admission-server-url", "", "server URL named in the \"run: bulwark scan …\" hint of a denial")
	f.StringVar(&a.platform, "admission-platform", "linux/amd64", "platform whose manifest digest tags are pinned to")
	f.StringSliceVar(&a.insecure, "admission-insecure-registries", nil, "registries (host[:port]) resolved over plain HTTP")
	return a
}

// build returns the webhook handler and the verdict cache over verdicts;
// the server calls cache.Update after each stored scan or rescan.
func (a *admissionFlags) build(p *policy.Policy, verdicts admission.Verdicts, log *slog.Logger) (*admission.Handler, *admission.Cache, error) {
	cache, err := admission.NewCache(verdicts, admission.CacheOptions{})
	if err != nil {
		return nil, nil, err
	}
	h, err := admission.New(admission.Config{
		Policy:            p,
		AllowedRegistries: a.registries,
		MaxScanAge:        a.maxScanAge,
		MaxDBAge:          a.maxDBAge,
		ExemptNamespaces:  a.exemptNS,
		Audit:             a.audit,
		AuditNamespaces:   a.auditNamespaces,
		ServerURL:         a.serverURL,
		Auditor:           slogAuditor(log),
	}, cache, &admission.RegistryResolver{Platform: a.platform, InsecureRegistries: a.insecure})
	if err != nil {
		return nil, nil, err
	}
	return h, cache, nil
}

// slogAuditor writes every bypassed admission as a warning-level event.
func slogAuditor(log *slog.Logger) admission.Auditor {
	return admission.AuditFunc(func(ctx context.Context, e admission.AuditEvent) {
		log.LogAttrs(ctx, slog.LevelWarn, "admission bypassed",
			slog.String("kind", e.Kind), slog.String("uid", e.UID), slog.String("user", e.User),
			slog.String("namespace", e.Namespace), slog.String("object", e.Object), slog.String("operation", e.Operation),
			slog.String("reason", e.Reason), slog.String("problems", strings.Join(e.Problems, "; ")))
	})
}
