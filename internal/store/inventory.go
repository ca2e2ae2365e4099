package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
)

// ErrNotFound is returned when a digest, risk or token is unknown.
var ErrNotFound = errors.New("not found")

// ScanContext is what a pipeline says about the image it pushed.
type ScanContext struct {
	Repo      string   `json:"repo,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	CIJobURL  string   `json:"ciJobURL,omitempty"`
	GitCommit string   `json:"gitCommit,omitempty"`
}

// PackageKey is the key matching looks advisories up by: the namespace
// ("debian:12", "npm") and the source name for OS packages or the
// normalized name for language packages. A DB diff names the same keys, so
// the stored inventories a diff touches are found by key.
type PackageKey struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// PackageKeys returns the sorted, distinct lookup keys of inv's packages.
func PackageKeys(inv *model.Inventory) []PackageKey {
	seen := map[PackageKey]bool{}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		ns := model.Namespace(p.Ecosystem, inv.Distro)
		if ns == "" {
			continue
		}
		k := PackageKey{Namespace: ns, Name: model.NormalizeName(p.Ecosystem, p.Name)}
		if p.Ecosystem.IsOS() {
			k.Name = p.SourceOrName()
		}
		seen[k] = true
	}
	out := make([]PackageKey, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b PackageKey) int {
		if a.Namespace != b.Namespace {
			return compareStrings(a.Namespace, b.Namespace)
		}
		return compareStrings(a.Name, b.Name)
	})
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// EventKind says whether a finding appeared or went away.
type EventKind string

// Finding events.
const (
	EventNew      EventKind = "new"
	EventResolved EventKind = "resolved"
)

// FindingEvent is one entry of an image's finding history.
type FindingEvent struct {
	Digest   string       `json:"digest"`
	Kind     EventKind    `json:"kind"`
	VulnID   string       `json:"vulnID"`
	Package  string       `json:"package"`
	Version  string       `json:"version"`
	Severity model.Rating `json:"severity"`
	At       time.Time    `json:"at"`
}

// ImageUpdate is one image's new matching result, written atomically with
// its history entries and the notifications it causes.
type ImageUpdate struct {
	Digest        string
	Report        *model.Report
	Events        []FindingEvent
	Notifications []Notification
}

// Ingest is a pushed inventory with the report the server made of it.
type Ingest struct {
	Inventory *model.Inventory
	Context   ScanContext
	Update    ImageUpdate
}

// InventoryWriter stores images, inventories and reports.
type InventoryWriter interface {
	// PutImage stores an inventory keyed by its digest (tags are added
	// as labels), its report and history.
	PutImage(ctx context.Context, in *Ingest) error
	// PutReports replaces the reports of images already stored, for a
	// rescan outside the job queue.
	PutReports(ctx context.Context, updates []ImageUpdate) error
}

// SeverityCounts counts unsuppressed findings by rating.
type SeverityCounts struct {
	Critical   int `json:"critical"`
	High       int `json:"high"`
	Medium     int `json:"medium"`
	Low        int `json:"low"`
	Negligible int `json:"negligible"`
	Unknown    int `json:"unknown"`
}

// CountFindings counts the unsuppressed findings of r by rating.
func CountFindings(r *model.Report) SeverityCounts {
	var c SeverityCounts
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Suppressed != nil || f.State != model.MatchAffected {
			continue
		}
		switch f.Severity {
		case model.RatingCritical:
			c.Critical++
		case model.RatingHigh:
			c.High++
		case model.RatingMedium:
			c.Medium++
		case model.RatingLow:
			c.Low++
		case model.RatingNegligible:
			c.Negligible++
		default:
			c.Unknown++
		}
	}
	return c
}

// ImageSummary is one row of the image inventory.
type ImageSummary struct {
	Digest      string         `json:"digest"`
	Repo        string         `json:"repo,omitempty"`
	Tags        []string       `json:"tags,omitempty"`
	Distro      string         `json:"distro,omitempty"`
	LastScanned time.Time      `json:"lastScanned"`
	Counts      SeverityCounts `json:"counts"`
	// Pass is the policy verdict; nil when no policy was evaluated.
	Pass      *bool  `json:"pass,omitempty"`
	CIJobURL  string `json:"ciJobURL,omitempty"`
	GitCommit string `json:"gitCommit,omitempty"`
}

// PackageHit is an image holding a package.
type PackageHit struct {
	Digest    string          `json:"digest"`
	Repo      string          `json:"repo,omitempty"`
	Ecosystem model.Ecosystem `json:"ecosystem"`
	Name      string          `json:"name"`
	Version   string          `json:"version"`
}

// AffectedImage is an image with an unsuppressed finding for a
// vulnerability.
type AffectedImage struct {
	Digest        string       `json:"digest"`
	Repo          string       `json:"repo,omitempty"`
	Tags          []string     `json:"tags,omitempty"`
	VulnID        string       `json:"vulnID"`
	Package       string       `json:"package"`
	Version       string       `json:"version"`
	FixedVersions []string     `json:"fixedVersions,omitempty"`
	Severity      model.Rating `json:"severity"`
}

// InventoryQuery answers questions about stored images.
type InventoryQuery interface {
	// Images lists every stored image, newest scan first.
	Images(ctx context.Context) ([]ImageSummary, error)
	// Report returns an image's latest report (ErrNotFound if unknown).
	Report(ctx context.Context, digest string) (*model.Report, error)
	// Inventory returns an image's stored inventory.
	Inventory(ctx context.Context, digest string) (*model.Inventory, error)
	// Packages finds images holding a package by name (exact, or
	// normalized) and, when version is set, that version.
	Packages(ctx context.Context, name, version string) ([]PackageHit, error)
	// Affected lists images whose latest report has an unsuppressed
	// finding for any of ids.
	Affected(ctx context.Context, ids []string) ([]AffectedImage, error)
}

// DigestIndex finds the images a rescan must re-match.
type DigestIndex interface {
	// DigestsHolding returns the digests of images holding any key.
	DigestsHolding(ctx context.Context, keys []PackageKey) ([]string, error)
	// Digests returns every stored digest.
	Digests(ctx context.Context) ([]string, error)
	// History returns an image's finding events, oldest first.
	History(ctx context.Context, digest string) ([]FindingEvent, error)
	// Snapshot returns what a rescan compares a new match with, without
	// decoding the stored report.
	Snapshot(ctx context.Context, digest string) (*Snapshot, error)
}

// Snapshot is a stored image as a rescan needs it.
type Snapshot struct {
	Inventory *model.Inventory
	// Fingerprint is ReportFingerprint of the stored report.
	Fingerprint string
	// Counted are the stored report's counted findings (Kind and At
	// unset).
	Counted []FindingEvent
}

// ReportFingerprint hashes what a rescan must notice changing in a
// report: every finding's identity, decision, severity, fixed versions,
// suppression and reason, and the policy verdict.
func ReportFingerprint(r *model.Report) string {
	h := sha256.New()
	for i := range r.Findings {
		f := &r.Findings[i]
		sup := ""
		if f.Suppressed != nil {
			sup = f.Suppressed.Kind + ":" + f.Suppressed.Source
		}
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\n", f.VulnID, f.Package.Name, f.Package.Version,
			f.State, f.Severity, strings.Join(f.FixedVersions, ","), sup, f.Reason)
	}
	if r.Decision != nil {
		fmt.Fprintf(h, "pass=%t\n", r.Decision.Pass)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Counted returns the findings of r that count (affected, unsuppressed)
// in the form Snapshot keeps them.
func Counted(r *model.Report) []FindingEvent {
	var out []FindingEvent
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.State == model.MatchAffected && f.Suppressed == nil {
			out = append(out, FindingEvent{Digest: r.Inventory.Image.Digest, VulnID: f.VulnID, Package: f.Package.Name, Version: f.Package.Version, Severity: f.Severity})
		}
	}
	return out
}
