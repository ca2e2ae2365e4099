// Package osv holds the Open Source Vulnerability (OSV) schema types and a
// tolerant parser. Several feeds publish OSV: GitHub advisories, the Go
// vulnerability database, osv.dev's Debian and Ubuntu exports.
//
// The parser is tolerant where real data varies (timestamp precision,
// unknown fields, ecosystem-specific blobs) and strict where a wrong read
// would change a match: a record without an id, or a range event that
// is not a string, is an error.
package osv

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Entry is one OSV record (schema 1.0 … 1.7).
type Entry struct {
	SchemaVersion    string          `json:"schema_version,omitempty"`
	ID               string          `json:"id"`
	Modified         Time            `json:"modified,omitzero"`
	Published        Time            `json:"published,omitzero"`
	Withdrawn        Time            `json:"withdrawn,omitzero"`
	Aliases          []string        `json:"aliases,omitempty"`
	Related          []string        `json:"related,omitempty"`
	Upstream         []string        `json:"upstream,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []Severity      `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is a scored severity: Type "CVSS_V2", "CVSS_V3", "CVSS_V4" or
// "Ubuntu", Score a vector (or, for "Ubuntu", a priority word).
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Package identifies the affected package.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Purl      string `json:"purl,omitempty"`
}

// Affected is one affected package and its versions.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Range is a version range: Type "SEMVER", "ECOSYSTEM" or "GIT".
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Event is one range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Time is an OSV timestamp. OSV asks for RFC 3339 in UTC; real feeds also
// write fractional seconds, no zone, or a date only. An unreadable
// timestamp is kept as the zero time rather than failing the record.
type Time struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil //nolint:nilerr // tolerated: see Time
	}
	t.Time = ParseTime(s)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// ParseTime reads the timestamp forms feeds use; zero when none fits.
func ParseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if tm, err := time.Parse(l, s); err == nil {
			return tm.UTC()
		}
	}
	return time.Time{}
}

// Parse decodes one OSV record.
func Parse(raw []byte) (*Entry, error) {
	var e Entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("osv: %w", err)
	}
	if strings.TrimSpace(e.ID) == "" {
		return nil, fmt.Errorf("osv: record has no id")
	}
	for i, a := range e.Affected {
		for j, r := range a.Ranges {
			if r.Type == "" {
				return nil, fmt.Errorf("osv %s: affected[%d].ranges[%d] has no type", e.ID, i, j)
			}
		}
	}
	return &e, nil
}

// PreferredID returns the id a vulnerability is reported under: the
// record's id when it is a CVE, the CVE inside a distribution's id for it
// ("DEBIAN-CVE-2024-1234", "UBUNTU-CVE-2024-1234"), else its first CVE
// alias, else its id.
func (e *Entry) PreferredID() string {
	if strings.HasPrefix(e.ID, "CVE-") {
		return e.ID
	}
	if i := strings.Index(e.ID, "-CVE-"); i > 0 && !strings.Contains(e.ID[:i], "-") {
		return e.ID[i+1:]
	}
	for _, a := range e.Aliases {
		if strings.HasPrefix(a, "CVE-") {
			return a
		}
	}
	return e.ID
}

// OtherIDs returns every id of the record except preferred, in record
// order, without duplicates.
func (e *Entry) OtherIDs(preferred string) []string {
	var out []string
	seen := map[string]bool{preferred: true}
	for _, id := range append([]string{e.ID}, e.Aliases...) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Bounds is one contiguous range read from a list of events.
type Bounds struct {
	Introduced, Fixed, LastAffected string
}

// Intervals reads a range's events into intervals, in order: an
// "introduced" opens an interval, "fixed" or "last_affected" closes it, and
// an interval still open at the end has no upper bound. "limit" events
// only bound git ranges and are ignored.
func (r Range) Intervals() []Bounds {
	var out []Bounds
	var cur *Bounds
	for _, ev := range r.Events {
		switch {
		case ev.Introduced != "":
			if cur != nil {
				out = append(out, *cur)
			}
			cur = &Bounds{Introduced: ev.Introduced}
		case ev.Fixed != "" || ev.LastAffected != "":
			if cur == nil {
				cur = &Bounds{Introduced: "0"}
			}
			cur.Fixed, cur.LastAffected = ev.Fixed, ev.LastAffected
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}
