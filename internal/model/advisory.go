package model

import "time"

// Vulnerability is one vulnerability with every id it is known by. Records
// from several sources that share an alias are joined into one.
type Vulnerability struct {
	// ID is the preferred id: the CVE when there is one, else the first
	// of GHSA, GO, OSV ids.
	ID         string     `json:"id"`
	Aliases    []string   `json:"aliases,omitempty"`
	Summary    string     `json:"summary,omitempty"`
	Details    string     `json:"details,omitempty"`
	Published  time.Time  `json:"published,omitzero"`
	Modified   time.Time  `json:"modified,omitzero"`
	References []string   `json:"references,omitempty"`
	Severities []Severity `json:"severities,omitempty"`
	CWEs       []string   `json:"cwes,omitempty"`
	// KEV is set when CISA lists the vulnerability as known exploited.
	KEV *KEV `json:"kev,omitempty"`
	// EPSS is the exploit prediction score when the source is enabled.
	EPSS *EPSS `json:"epss,omitempty"`
}

// Rating is a qualitative severity.
type Rating string

// Ratings, in increasing order (see RatingRank).
const (
	RatingUnknown    Rating = "UNKNOWN"
	RatingNegligible Rating = "NEGLIGIBLE"
	RatingLow        Rating = "LOW"
	RatingMedium     Rating = "MEDIUM"
	RatingHigh       Rating = "HIGH"
	RatingCritical   Rating = "CRITICAL"
)

// RatingRank orders ratings: 0 unknown … 5 critical.
func RatingRank(r Rating) int {
	switch r {
	case RatingNegligible:
		return 1
	case RatingLow:
		return 2
	case RatingMedium:
		return 3
	case RatingHigh:
		return 4
	case RatingCritical:
		return 5
	}
	return 0
}

// Severity is one source's view of a vulnerability's severity.
type Severity struct {
	// Source is the feed that gave the rating: "debian", "nvd", "ghsa", …
	Source string `json:"source"`
	// Type is "CVSS_V2", "CVSS_V3", "CVSS_V4" or "vendor".
	Type   string  `json:"type"`
	Vector string  `json:"vector,omitempty"`
	Score  float64 `json:"score,omitempty"`
	Rating Rating  `json:"rating,omitempty"`
}

// KEV is a CISA Known Exploited Vulnerabilities entry.
type KEV struct {
	DateAdded      string `json:"dateAdded"`
	DueDate        string `json:"dueDate,omitempty"`
	RansomwareUse  string `json:"ransomwareUse,omitempty"`
	RequiredAction string `json:"requiredAction,omitempty"`
}

// EPSS is a FIRST EPSS score.
type EPSS struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
	Date       string  `json:"date,omitempty"`
}

// VendorStatus is the vendor's statement about a package and a vulnerability.
type VendorStatus string

// Vendor statuses. The vocabulary is the union of the distributions' own.
const (
	// StatusFixed: affected below FixedVersion (or inside Ranges).
	StatusFixed VendorStatus = "fixed"
	// StatusAffected: affected, no fix released yet.
	StatusAffected VendorStatus = "affected"
	// StatusNotAffected: the vendor says this package is not affected.
	StatusNotAffected VendorStatus = "not-affected"
	// StatusWillNotFix: affected, the vendor will not fix it (Debian
	// "ignored", Red Hat "Will not fix", Ubuntu "ignored").
	StatusWillNotFix VendorStatus = "will-not-fix"
	// StatusFixDeferred: affected, a fix is postponed.
	StatusFixDeferred VendorStatus = "fix-deferred"
	// StatusEndOfLife: the release is out of support for this package.
	StatusEndOfLife VendorStatus = "end-of-life"
	// StatusUnderInvestigation: the vendor has not decided.
	StatusUnderInvestigation VendorStatus = "under-investigation"
)

// Range is a version range in an ecosystem's own scheme. A version v is in
// the range when Introduced <= v (or Introduced is empty or "0") and
// v < Fixed (or v <= LastAffected; or no upper bound).
type Range struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"lastAffected,omitempty"`
}

// GoSymbols lists the affected symbols of one Go package (from the Go
// vulnerability database's ecosystem_specific.imports).
type GoSymbols struct {
	Package string   `json:"package"`
	Symbols []string `json:"symbols,omitempty"`
	GOOS    []string `json:"goos,omitempty"`
	GOARCH  []string `json:"goarch,omitempty"`
}

// Affected says how one vulnerability affects one package in one
// namespace, in the words of one source.
type Affected struct {
	VulnID string `json:"vulnID"`
	// Namespace is where the package name lives: "debian:12",
	// "ubuntu:22.04", "alpine:3.18", "redhat:9", "amazon:2023" for
	// distributions; the ecosystem ("npm", "golang", "pypi", …) for
	// language packages.
	Namespace string `json:"namespace"`
	// Ecosystem selects the version scheme for Ranges and Versions.
	Ecosystem Ecosystem `json:"ecosystem"`
	// Package is the source package for distributions, the package name
	// for language ecosystems (Maven: "group:artifact"; Go: module path or
	// "stdlib").
	Package  string       `json:"package"`
	Ranges   []Range      `json:"ranges,omitempty"`
	Versions []string     `json:"versions,omitempty"`
	Status   VendorStatus `json:"status"`
	// Urgency is the vendor's rating in its own words (Debian
	// "unimportant", Ubuntu "negligible", Red Hat "Moderate", …).
	Urgency string `json:"urgency,omitempty"`
	// Note carries the vendor's free text (Debian nodsa reason, …).
	Note string `json:"note,omitempty"`
	// Source is the feed name.
	Source string `json:"source"`
	// AdvisoryIDs are vendor advisories that fixed it (DSA, RHSA, ALAS).
	AdvisoryIDs []string    `json:"advisoryIDs,omitempty"`
	GoSymbols   []GoSymbols `json:"goSymbols,omitempty"`
}

// FixedVersions returns every Fixed bound in the ranges.
func (a *Affected) FixedVersions() []string {
	var out []string
	for _, r := range a.Ranges {
		if r.Fixed != "" {
			out = append(out, r.Fixed)
		}
	}
	return out
}
