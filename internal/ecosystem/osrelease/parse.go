package osrelease

import (
	"regexp"
	"strings"
)

// parseKeyValues reads os-release(5) and lsb-release: KEY=value lines,
// values optionally in double or single quotes, backslash escapes inside
// double quotes, "#" comments. Malformed lines are skipped, as systemd
// does; a later assignment overrides an earlier one.
func parseKeyValues(data []byte) map[string]string {
	out := map[string]string{}
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok || !validKey(key) {
			continue
		}
		out[key] = unquote(strings.TrimSpace(val))
	}
	return out
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := range len(k) {
		c := k[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// unquote removes one level of shell-style quoting. An unterminated quote
// keeps the rest of the line, which is what a reader wants from a damaged
// file.
func unquote(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '\'':
		v = v[1:]
		if i := strings.IndexByte(v, '\''); i >= 0 {
			v = v[:i]
		}
		return v
	case '"':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			switch {
			case c == '"':
				return b.String()
			case c == '\\' && i+1 < len(v):
				i++
				b.WriteByte(v[i])
			default:
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	// An unquoted value ends at the first whitespace or comment.
	if i := strings.IndexAny(v, " \t#"); i >= 0 {
		v = v[:i]
	}
	return v
}

// releaseLine matches the one-line release files of the Red Hat family,
// e.g. "Red Hat Enterprise Linux release 8.9 (Ootpa)", "CentOS Linux
// release 7.9.2009 (Core)", "CentOS Stream release 9", "Rocky Linux
// release 9.3 (Blue Onyx)", "Amazon Linux release 2 (Karoo)", "Fedora
// release 39 (Thirty Nine)", "Oracle Linux Server release 8.9".
var releaseLine = regexp.MustCompile(`^(.*?)\s+release\s+([0-9][0-9.]*)\s*(?:\(([^)]*)\))?`)

// redhatReleaseIDs maps the product name of a release line to its
// os-release ID, longest names first so that prefixes do not shadow.
var redhatReleaseIDs = []struct{ prefix, id string }{
	{"red hat enterprise linux", "rhel"},
	{"centos stream", "centos"},
	{"centos linux", "centos"},
	{"centos", "centos"},
	{"rocky linux", "rocky"},
	{"almalinux", "almalinux"},
	{"fedora", "fedora"},
	{"amazon linux ami", "amzn"},
	{"amazon linux", "amzn"},
	{"oracle linux", "ol"},
}

// parseReleaseLine reads a Red Hat style release file into os-release
// keys, or nil when the line is not recognised.
func parseReleaseLine(data []byte) map[string]string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	m := releaseLine.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return nil
	}
	name := strings.ToLower(m[1])
	for _, r := range redhatReleaseIDs {
		if strings.HasPrefix(name, r.prefix) {
			return map[string]string{
				"ID": r.id, "NAME": m[1], "VERSION_ID": m[2],
				"PRETTY_NAME": strings.TrimSpace(line), "release_codename": m[3],
			}
		}
	}
	return nil
}
