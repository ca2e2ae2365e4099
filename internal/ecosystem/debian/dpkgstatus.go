package debian

import (
	"bytes"
	"fmt"
	"strings"
)

// dpkgEntry is the part of one dpkg control stanza that the inventory
// needs. Every other field (Description, Depends, …) is skipped without
// being copied, so huge fields cost nothing but the scan.
type dpkgEntry struct {
	Package      string
	Version      string
	Architecture string
	Source       string
	Status       string
	// Line is the 1-based line the stanza starts on, for warnings.
	Line int
}

// installed reports whether dpkg's status says the package's files are on
// disk. The status is "want flag state"; only the state matters here: a
// held package ("hold ok installed") or one selected for removal
// ("deinstall ok installed") is still installed, while "config-files",
// "half-installed" or "not-installed" packages are not.
func (e *dpkgEntry) installed() bool {
	f := strings.Fields(e.Status)
	return len(f) == 3 && f[2] == "installed"
}

// sourceNameVersion splits the Source field, "name" or "name (version)".
// The source version defaults to the binary version, as dpkg's
// ${source:Version} does.
func (e *dpkgEntry) sourceNameVersion() (name, version string, err error) {
	src := strings.TrimSpace(e.Source)
	if src == "" {
		return "", "", nil
	}
	name, rest, found := strings.Cut(src, " ")
	if !found {
		return name, e.Version, nil
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
		return name, e.Version, fmt.Errorf("malformed Source %q", src)
	}
	version = strings.TrimSpace(rest[1 : len(rest)-1])
	if version == "" {
		return name, e.Version, fmt.Errorf("malformed Source %q", src)
	}
	return name, version, nil
}

// parseDpkgStatus reads dpkg control stanzas (the status file, or one
// status.d file). It is lenient the way the inventory needs: CRLF line
// ends, runs of blank lines, whitespace-only separator lines, a missing
// final newline and comment lines are accepted; a malformed line or stanza
// becomes one problem (naming its line) and the rest of the file is still
// read.
func parseDpkgStatus(data []byte) (entries []dpkgEntry, problems []error) {
	var (
		cur     dpkgEntry
		started bool
		seen    uint8 // fields already set in cur, to report duplicates
	)
	flush := func() {
		if started {
			entries = append(entries, cur)
		}
		cur, started, seen = dpkgEntry{}, false, 0
	}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		switch line[0] {
		case ' ', '\t':
			// A continuation of the previous field. None of the fields
			// kept here spans lines, so the text is skipped.
			if !started {
				problems = append(problems, fmt.Errorf("line %d: continuation line outside a stanza", lineNo))
			}
			continue
		case '#':
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			problems = append(problems, fmt.Errorf("line %d: not a \"Field: value\" line", lineNo))
			continue
		}
		if !started {
			cur.Line, started = lineNo, true
		}
		name := line[:colon]
		var dst *string
		var bit uint8
		switch {
		case dpkgFieldIs(name, "Package"):
			dst, bit = &cur.Package, 1
		case dpkgFieldIs(name, "Version"):
			dst, bit = &cur.Version, 2
		case dpkgFieldIs(name, "Architecture"):
			dst, bit = &cur.Architecture, 4
		case dpkgFieldIs(name, "Source"):
			dst, bit = &cur.Source, 8
		case dpkgFieldIs(name, "Status"):
			dst, bit = &cur.Status, 16
		default:
			continue
		}
		if seen&bit != 0 {
			problems = append(problems, fmt.Errorf("line %d: duplicate field %s", lineNo, name))
			continue
		}
		seen |= bit
		*dst = string(bytes.TrimSpace(line[colon+1:]))
	}
	flush()
	return entries, problems
}

// dpkgFieldIs compares a field name case-insensitively, as Debian
// policy says field names are, without allocating.
func dpkgFieldIs(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// dpkgValidName follows Debian policy §5.6.1: lower case letters,
// digits, "+", "-", "."; at least two characters, starting alphanumeric.
func dpkgValidName(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// dpkgValidVersion checks the character set of a Debian version,
// [epoch:]upstream[-revision]: it is what a version comparison needs to
// be meaningful, not a full syntax check.
func dpkgValidVersion(s string) bool {
	if s == "" {
		return false
	}
	if epoch, rest, ok := strings.Cut(s, ":"); ok {
		if epoch == "" || rest == "" {
			return false
		}
		for i := range len(epoch) {
			if epoch[i] < '0' || epoch[i] > '9' {
				return false
			}
		}
		s = rest
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '+' || c == '~' || c == '-' || c == ':':
		default:
			return false
		}
	}
	return true
}
