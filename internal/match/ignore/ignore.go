// Package ignore reads .bulwarkignore.yaml files and applies them to
// findings.
//
// Every entry names a vulnerability (by id or alias), may narrow it to a
// package, purl or path, must give a reason, and may expire. An expired
// entry stops suppressing and produces a warning, so accepted risks are
// revisited instead of forgotten. Suppressed findings stay in the list
// with Suppressed set; nothing is dropped.
//
//	ignore:
//	  - id: CVE-2023-4911
//	    package: libc6
//	    reason: setuid binaries are removed from the image
//	    owner: platform-team
//	    expires: 2025-06-30
package ignore

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
	"gopkg.in/yaml.v3"

	"github.com/bulwark-security/bulwark/internal/model"
)

// DefaultName is the file looked for in the scanned directory and the
// working directory.
const DefaultName = ".bulwarkignore.yaml"

// Entry is one ignore rule.
type Entry struct {
	// ID is a vulnerability id or any alias of it.
	ID string
	// Package, PURL and Path narrow the rule; all that are set must
	// match. Package matches the package or its source package name; a
	// PURL without a version covers every version; Path is a location or
	// a glob (path.Match) or a directory prefix.
	Package string
	PURL    string
	Path    string
	Reason  string
	Owner   string
	// Expires is the first day the entry no longer applies (UTC
	// midnight); zero means never.
	Expires time.Time
	// Line is the entry's line in the file.
	Line int
}

// File is a parsed ignore file.
type File struct {
	Source  string
	Entries []Entry
}

var entryKeys = []string{"id", "package", "purl", "path", "reason", "owner", "expires"}

// Load reads and parses an ignore file.
func Load(name string) (*File, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading ignore file: %w", err)
	}
	return Parse(data, name)
}

// Parse parses an ignore file strictly: unknown keys, missing ids or
// reasons and malformed dates are errors naming the line.
func Parse(data []byte, source string) (*File, error) {
	f := &File{Source: source}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return f, nil // an empty file ignores nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping with an \"ignore\" list", source, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "ignore" {
			return nil, fmt.Errorf("%s:%d: unknown key %q (allowed: ignore)", source, k.Line, k.Value)
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("%s:%d: ignore must be a list of entries", source, v.Line)
		}
		for _, n := range v.Content {
			e, err := parseEntry(n)
			if err != nil {
				return nil, fmt.Errorf("%s:%w", source, err)
			}
			f.Entries = append(f.Entries, e)
		}
	}
	return f, nil
}

func parseEntry(n *yaml.Node) (Entry, error) {
	e := Entry{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return e, fmt.Errorf("%d: an ignore entry must be a mapping", n.Line)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(entryKeys, k.Value) {
			return e, fmt.Errorf("%d: unknown key %q in ignore entry (allowed: %s)", k.Line, k.Value, strings.Join(entryKeys, ", "))
		}
		if seen[k.Value] {
			return e, fmt.Errorf("%d: key %q given twice", k.Line, k.Value)
		}
		seen[k.Value] = true
		if v.Kind != yaml.ScalarNode {
			return e, fmt.Errorf("%d: %s must be a single value", v.Line, k.Value)
		}
		val := strings.TrimSpace(v.Value)
		switch k.Value {
		case "id":
			e.ID = val
		case "package":
			e.Package = val
		case "purl":
			if _, err := packageurl.FromString(val); err != nil {
				return e, fmt.Errorf("%d: purl %q: %v", v.Line, val, err)
			}
			e.PURL = val
		case "path":
			if _, err := path.Match(val, ""); err != nil {
				return e, fmt.Errorf("%d: path %q: %v", v.Line, val, err)
			}
			e.Path = val
		case "reason":
			e.Reason = val
		case "owner":
			e.Owner = val
		case "expires":
			t, err := time.Parse(time.DateOnly, val)
			if err != nil {
				return e, fmt.Errorf("%d: expires %q: want a date YYYY-MM-DD", v.Line, val)
			}
			e.Expires = t
		}
	}
	if e.ID == "" {
		return e, fmt.Errorf("%d: ignore entry without id", n.Line)
	}
	if e.Reason == "" {
		return e, fmt.Errorf("%d: ignore entry %s: reason is required", n.Line, e.ID)
	}
	return e, nil
}

// Expired reports whether the entry no longer applies at now.
func (e *Entry) Expired(now time.Time) bool {
	return !e.Expires.IsZero() && !now.Before(e.Expires)
}

// Apply suppresses the findings that active entries match (in place) and
// returns a warning for every expired entry. A finding already suppressed
// by VEX or another entry keeps that suppression; an "unreachable" one is
// replaced, since an ignore entry is the more deliberate statement.
func (f *File) Apply(findings []model.Finding, now time.Time) []string {
	var warnings []string
	for i := range f.Entries {
		e := &f.Entries[i]
		expired := e.Expired(now)
		matched := 0
		for j := range findings {
			fd := &findings[j]
			if !e.matches(fd) {
				continue
			}
			matched++
			if expired || (fd.Suppressed != nil && fd.Suppressed.Kind != "unreachable") {
				continue
			}
			fd.Suppressed = &model.Suppression{
				Kind: "ignore", Reason: e.Reason, Source: fmt.Sprintf("%s:%d", f.Source, e.Line),
				Owner: e.Owner, Expires: e.Expires,
			}
		}
		if expired {
			owner := e.Owner
			if owner == "" {
				owner = "no owner"
			}
			w := fmt.Sprintf("ignore entry %s expired on %s (owner %s)", e.ID, e.Expires.Format(time.DateOnly), owner)
			if matched > 0 {
				w += fmt.Sprintf(": it no longer suppresses %d finding(s)", matched)
			}
			warnings = append(warnings, w+fmt.Sprintf(" [%s:%d]", f.Source, e.Line))
		}
	}
	return warnings
}

func (e *Entry) matches(f *model.Finding) bool {
	if !strings.EqualFold(e.ID, f.VulnID) && !slices.ContainsFunc(f.Aliases, func(a string) bool { return strings.EqualFold(a, e.ID) }) {
		return false
	}
	if e.Package != "" {
		want := model.NormalizeName(f.Package.Ecosystem, e.Package)
		if want != model.NormalizeName(f.Package.Ecosystem, f.Package.Name) && (f.Package.SourceName == "" || want != f.Package.SourceName) {
			return false
		}
	}
	if e.PURL != "" && !purlMatches(e.PURL, f.Package.PURL) {
		return false
	}
	if e.Path != "" && !slices.ContainsFunc(f.Package.Locations, func(loc string) bool { return pathMatches(e.Path, loc) }) {
		return false
	}
	return true
}

func pathMatches(pattern, loc string) bool {
	if ok, _ := path.Match(pattern, loc); ok {
		return true
	}
	dir := strings.TrimSuffix(pattern, "/")
	return dir != "" && strings.HasPrefix(loc, dir+"/")
}

// purlMatches compares type, namespace, name and (when the pattern has
// one) version; qualifiers and subpath are ignored.
func purlMatches(pattern, actual string) bool {
	p, err := packageurl.FromString(pattern)
	if err != nil {
		return false
	}
	a, err := packageurl.FromString(actual)
	if err != nil {
		return false
	}
	return p.Type == a.Type && p.Namespace == a.Namespace && p.Name == a.Name &&
		(p.Version == "" || p.Version == a.Version)
}
