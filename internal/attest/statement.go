// Package attest makes and checks cosign-compatible evidence that an image
// was scanned: an in-toto statement carrying cosign's vulnerability
// predicate, signed as a DSSE envelope, attached to the image under cosign's
// tag scheme; and a verifier that accepts an image when a trusted key signed
// its attestation or its cosign signature for exactly that digest. Clusters
// that cannot reach the Bulwark server verify with nothing but a public key.
package attest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
)

// In-toto and cosign identifiers; cosign verify-attestation --type vuln
// looks for exactly VulnPredicateType.
const (
	StatementType     = "https://in-toto.io/Statement/v1"
	VulnPredicateType = "https://cosign.sigstore.dev/attestation/vuln/v1"
	PayloadType       = "application/vnd.in-toto+json"
	// ScannerURI names Bulwark in the predicate.
	ScannerURI = "https://github.com/bulwark-security/bulwark"
)

// Statement is an in-toto v1 statement with cosign's vulnerability
// predicate.
type Statement struct {
	Type          string        `json:"_type"`
	Subject       []Subject     `json:"subject"`
	PredicateType string        `json:"predicateType"`
	Predicate     VulnPredicate `json:"predicate"`
}

// Subject is the attested artifact: the image repository and its manifest
// digest by algorithm ({"sha256": hex}).
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// VulnPredicate is cosign's vulnerability predicate
// (cosign pkg/cosign/attestation: CosignVulnPredicate).
type VulnPredicate struct {
	Invocation Invocation `json:"invocation"`
	Scanner    Scanner    `json:"scanner"`
	Metadata   Metadata   `json:"metadata"`
}

// Invocation says what ran the scan (a CI job when known).
type Invocation struct {
	Parameters any    `json:"parameters"`
	URI        string `json:"uri"`
	EventID    string `json:"event_id"`
	BuilderID  string `json:"builder.id"`
}

// Scanner names the scanner, its vulnerability data and its result.
type Scanner struct {
	URI     string          `json:"uri"`
	Version string          `json:"version"`
	DB      DB              `json:"db"`
	Result  json.RawMessage `json:"result"`
}

// DB names the vulnerability data a scan used.
type DB struct {
	URI     string `json:"uri"`
	Version string `json:"version"`
}

// Metadata holds the scan's start and end.
type Metadata struct {
	ScanStartedOn  time.Time `json:"scanStartedOn"`
	ScanFinishedOn time.Time `json:"scanFinishedOn"`
}

// Result is what Bulwark puts in scanner.result: the decision and the
// findings, without the package inventory, so the attestation stays small
// enough to fetch on an admission request.
type Result struct {
	Schema   int             `json:"schema"`
	Image    ResultImage     `json:"image"`
	Distro   string          `json:"distro,omitempty"`
	Decision *model.Decision `json:"decision,omitempty"`
	// Counts are the unsuppressed affected findings by severity.
	Counts   map[string]int  `json:"counts"`
	Findings []ResultFinding `json:"findings"`
}

// ResultImage identifies the scanned image inside the result.
type ResultImage struct {
	Name     string `json:"name,omitempty"`
	Digest   string `json:"digest"`
	Platform string `json:"platform,omitempty"`
	Packages int    `json:"packages"`
}

// ResultFinding is one finding, cut to what a reader of the attestation
// needs to act on it.
type ResultFinding struct {
	VulnID        string   `json:"vulnID"`
	Package       string   `json:"package"`
	Version       string   `json:"version"`
	PURL          string   `json:"purl,omitempty"`
	Severity      string   `json:"severity"`
	State         string   `json:"state"`
	FixedVersions []string `json:"fixedVersions,omitempty"`
	KEV           bool     `json:"kev,omitempty"`
	// Suppressed is the suppression kind (vex, ignore, unreachable).
	Suppressed string `json:"suppressed,omitempty"`
}

// Invoker describes what ran the scan; every field is optional.
type Invoker struct {
	URI       string // e.g. the CI job URL
	EventID   string // e.g. the commit
	BuilderID string
}

// NewStatement makes the statement for a report of a registry image. The
// report must carry the manifest digest: a statement about anything else
// could not be matched to what a cluster runs.
func NewStatement(r *model.Report, inv Invoker) (*Statement, error) {
	if r == nil {
		return nil, errors.New("no report")
	}
	img := r.Inventory.Image
	hex, err := sha256Hex(img.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (attestations need an image manifest digest; scan a registry image or an OCI layout)", img.Ref, err)
	}
	name := img.Name
	if name == "" {
		name = img.Ref
	}
	res, err := json.Marshal(NewResult(r))
	if err != nil {
		return nil, err
	}
	db := DB{URI: "bulwark-vulndb"}
	if r.DB != nil {
		if len(r.DB.Sources) > 0 {
			db.URI += ":" + strings.Join(r.DB.Sources, ",")
		}
		db.Version = fmt.Sprintf("schema-%d/%s", r.DB.Schema, r.DB.BuiltAt.UTC().Format(time.RFC3339))
	}
	started := r.Inventory.CreatedAt
	if started.IsZero() {
		started = r.CreatedAt
	}
	return &Statement{
		Type:          StatementType,
		Subject:       []Subject{{Name: name, Digest: map[string]string{"sha256": hex}}},
		PredicateType: VulnPredicateType,
		Predicate: VulnPredicate{
			Invocation: Invocation{URI: inv.URI, EventID: inv.EventID, BuilderID: inv.BuilderID},
			Scanner: Scanner{
				URI: ScannerURI, Version: r.Inventory.Scanner.Version, DB: db, Result: res,
			},
			Metadata: Metadata{ScanStartedOn: started.UTC(), ScanFinishedOn: r.CreatedAt.UTC()},
		},
	}, nil
}

// NewResult summarises r for scanner.result.
func NewResult(r *model.Report) Result {
	img := r.Inventory.Image
	out := Result{
		Schema:   r.Schema,
		Image:    ResultImage{Name: img.Name, Digest: img.Digest, Platform: img.Platform, Packages: len(r.Inventory.Packages)},
		Decision: r.Decision,
		Counts:   map[string]int{},
		Findings: make([]ResultFinding, 0, len(r.Findings)),
	}
	if d := r.Inventory.Distro; !d.Unknown() {
		out.Distro = d.ID + ":" + d.VersionID
	}
	for _, f := range r.Findings {
		rf := ResultFinding{
			VulnID: f.VulnID, Package: f.Package.Name, Version: f.Package.Version, PURL: f.Package.PURL,
			Severity: string(f.Severity), State: string(f.State), FixedVersions: f.FixedVersions, KEV: f.KEV,
		}
		if f.Suppressed != nil {
			rf.Suppressed = f.Suppressed.Kind
		} else if f.State == model.MatchAffected {
			out.Counts[string(f.Severity)]++
		}
		out.Findings = append(out.Findings, rf)
	}
	return out
}

// sha256Hex returns the hex part of a "sha256:<64 hex>" digest.
func sha256Hex(digest string) (string, error) {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", fmt.Errorf("digest %q is not sha256:<64 lowercase hex>", digest)
	}
	return hex, nil
}

// ParseStatement decodes a DSSE payload into a statement and checks that
// it is an in-toto statement with at least one subject. The predicate is
// decoded only when it is the vulnerability predicate; other predicate
// types keep a zero Predicate.
func ParseStatement(b []byte) (*Statement, error) {
	var raw struct {
		Type          string          `json:"_type"`
		Subject       []Subject       `json:"subject"`
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("in-toto statement: %w", err)
	}
	if !strings.HasPrefix(raw.Type, "https://in-toto.io/Statement/") {
		return nil, fmt.Errorf("in-toto statement: _type %q is not an in-toto statement", raw.Type)
	}
	if len(raw.Subject) == 0 {
		return nil, errors.New("in-toto statement: no subject")
	}
	st := &Statement{Type: raw.Type, Subject: raw.Subject, PredicateType: raw.PredicateType}
	if raw.PredicateType == VulnPredicateType {
		if err := json.Unmarshal(raw.Predicate, &st.Predicate); err != nil {
			return nil, fmt.Errorf("in-toto statement: vulnerability predicate: %w", err)
		}
	}
	return st, nil
}

// Decision returns the policy decision recorded in a Bulwark
// vulnerability predicate; ok is false when there is none.
func (s *Statement) Decision() (d model.Decision, ok bool) {
	if s.PredicateType != VulnPredicateType || len(s.Predicate.Scanner.Result) == 0 {
		return d, false
	}
	var res struct {
		Decision *model.Decision `json:"decision"`
	}
	if json.Unmarshal(s.Predicate.Scanner.Result, &res) != nil || res.Decision == nil {
		return d, false
	}
	return *res.Decision, true
}

// Covers reports whether the statement's subjects include digest.
func (s *Statement) Covers(digest string) bool {
	hex, err := sha256Hex(digest)
	if err != nil {
		return false
	}
	for _, sub := range s.Subject {
		if sub.Digest["sha256"] == hex {
			return true
		}
	}
	return false
}
