package cli

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/bulwark-security/bulwark/internal/admission"
	"github.com/bulwark-security/bulwark/internal/image"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/policy"
	"github.com/bulwark-security/bulwark/internal/scan"
	"github.com/bulwark-security/bulwark/internal/store"
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
	scanOnDemand    bool
	scanBudget      time.Duration
	maxScans        int
	// verifier is set from the --verify… flags (server_attest.go).
	verifier admission.SignatureVerifier
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
	f.BoolVar(&a.scanOnDemand, "admission-scan-on-demand", false, "scan an image that has no stored scan during the review and store it like a pushed scan, instead of denying it")
	f.DurationVar(&a.scanBudget, "admission-scan-budget", 8*time.Second, "how long a review waits for a scan on demand before it denies with \"retry\" (the scan goes on); keep it below the webhook timeout")
	f.IntVar(&a.maxScans, "admission-max-concurrent-scans", 2, "scans on demand running at once")
	return a
}

// build returns the webhook handler and the verdict cache over verdicts;
// the server calls cache.Update after each stored scan or rescan.
// scanner, when not nil, scans unknown digests on demand.
func (a *admissionFlags) build(p *policy.Policy, verdicts admission.Verdicts, scanner admission.Scanner, log *slog.Logger) (*admission.Handler, *admission.Cache, error) {
	cache, err := admission.NewCache(verdicts, admission.CacheOptions{})
	if err != nil {
		return nil, nil, err
	}
	h, err := admission.New(admission.Config{
		Policy:             p,
		AllowedRegistries:  a.registries,
		MaxScanAge:         a.maxScanAge,
		MaxDBAge:           a.maxDBAge,
		ExemptNamespaces:   a.exemptNS,
		Audit:              a.audit,
		AuditNamespaces:    a.auditNamespaces,
		ServerURL:          a.serverURL,
		Auditor:            slogAuditor(log),
		Scanner:            scanner,
		ScanBudget:         a.scanBudget,
		MaxConcurrentScans: a.maxScans,
		Verifier:           a.verifier,
	}, cache, &admission.RegistryResolver{Platform: a.platform, InsecureRegistries: a.insecure})
	if err != nil {
		return nil, nil, err
	}
	return h, cache, nil
}

// demandScanner returns the scan-on-demand scanner when it is enabled,
// with the in-memory ingest token the server must accept for it.
func (a *admissionFlags) demandScanner(g *globals, verdicts admission.Verdicts) (*demandScanner, []store.Token) {
	if !a.scanOnDemand {
		return nil, nil
	}
	s, tok := newDemandScanner(verdicts, scan.Options{
		Image:    image.Options{Platform: a.platform, InsecureRegistries: a.insecure},
		CacheDir: g.cacheDir,
		Scanner:  model.Tool{Name: "bulwark", Version: Version},
	})
	return s, []store.Token{tok}
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
