package model

import "time"

// ReportSchema is the version of the Report JSON encoding (api/report.schema.json).
const ReportSchema = 1

// MatchState is the matcher's decision for one package and vulnerability.
type MatchState string

// Match decisions. Unknown is always shown, never read as not affected.
const (
	MatchAffected    MatchState = "affected"
	MatchNotAffected MatchState = "not-affected"
	MatchUnknown     MatchState = "unknown"
)

// Reachability says whether vulnerable Go code is linked into a binary.
type Reachability string

// Reachability values; empty when not applicable.
const (
	Reachable    Reachability = "reachable"
	NotReachable Reachability = "not-reachable"
	ReachUnknown Reachability = "unknown"
)

// Finding is one vulnerability in one package, with the evidence for it.
type Finding struct {
	VulnID  string   `json:"vulnID"`
	Aliases []string `json:"aliases,omitempty"`
	Summary string   `json:"summary,omitempty"`

	Package PackageRef `json:"package"`

	State MatchState `json:"state"`
	// Reason explains the decision in a sentence, e.g. "installed
	// 2.36-9+deb12u1 < fixed 2.36-9+deb12u3 (debian:12 source glibc)".
	Reason string `json:"reason"`

	FixedVersions []string     `json:"fixedVersions,omitempty"`
	VendorStatus  VendorStatus `json:"vendorStatus,omitempty"`
	Urgency       string       `json:"urgency,omitempty"`

	Severity       Rating  `json:"severity"`
	SeveritySource string  `json:"severitySource,omitempty"`
	CVSSScore      float64 `json:"cvssScore,omitempty"`
	CVSSVector     string  `json:"cvssVector,omitempty"`
	KEV            bool    `json:"kev,omitempty"`
	EPSS           float64 `json:"epss,omitempty"`

	Reachability Reachability `json:"reachability,omitempty"`
	// ReachableSymbols are the vulnerable symbols found in the binary.
	ReachableSymbols []string `json:"reachableSymbols,omitempty"`

	// DataSource is the feed, Namespace where its record lives.
	DataSource  string   `json:"dataSource"`
	Namespace   string   `json:"namespace"`
	AdvisoryIDs []string `json:"advisoryIDs,omitempty"`

	Suppressed *Suppression `json:"suppressed,omitempty"`
	// Notes annotate without suppressing: a VEX "affected" or
	// "under_investigation" statement, a dev-only dependency.
	Notes []string `json:"notes,omitempty"`
}

// PackageRef is the part of a package a finding needs to stand alone.
type PackageRef struct {
	Ecosystem     Ecosystem `json:"ecosystem"`
	Name          string    `json:"name"`
	Version       string    `json:"version"`
	SourceName    string    `json:"sourceName,omitempty"`
	SourceVersion string    `json:"sourceVersion,omitempty"`
	PURL          string    `json:"purl"`
	Locations     []string  `json:"locations,omitempty"`
	Layer         *LayerRef `json:"layer,omitempty"`
	// Dev marks a development-only dependency from a lock file.
	Dev bool `json:"dev,omitempty"`
}

// RefOf makes a PackageRef of p.
func RefOf(p *Package) PackageRef {
	return PackageRef{
		Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version,
		SourceName: p.SourceName, SourceVersion: p.SourceVersion,
		PURL: p.PURL, Locations: p.Locations, Layer: p.Layer, Dev: p.Dev,
	}
}

// Suppression records why a finding is not counted.
type Suppression struct {
	// Kind is "vex", "ignore" or "unreachable".
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	// Source is the file (or server rule id) the suppression came from.
	Source  string    `json:"source,omitempty"`
	Owner   string    `json:"owner,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	// Justification is the VEX justification when Kind is "vex".
	Justification string `json:"justification,omitempty"`
}

// Unknown is a package Bulwark could not decide on (no data for its
// ecosystem or release, or an unparseable version).
type Unknown struct {
	Package PackageRef `json:"package"`
	Reason  string     `json:"reason"`
}

// DBInfo describes the vulnerability database a report was made with.
type DBInfo struct {
	Schema  int       `json:"schema"`
	BuiltAt time.Time `json:"builtAt"`
	Sources []string  `json:"sources,omitempty"`
}

// Report is the result of matching one inventory.
type Report struct {
	Schema    int       `json:"schema"`
	Inventory Inventory `json:"inventory"`
	Findings  []Finding `json:"findings"`
	Unknowns  []Unknown `json:"unknowns,omitempty"`
	DB        *DBInfo   `json:"db,omitempty"`
	Decision  *Decision `json:"decision,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// Decision is a policy outcome: a value, never an error.
type Decision struct {
	Pass    bool         `json:"pass"`
	Policy  string       `json:"policy,omitempty"`
	Reasons []RuleResult `json:"reasons,omitempty"`
}

// RuleResult is one rule's verdict with the findings that tripped it.
type RuleResult struct {
	Rule    string   `json:"rule"`
	Pass    bool     `json:"pass"`
	Message string   `json:"message"`
	VulnIDs []string `json:"vulnIDs,omitempty"`
}
