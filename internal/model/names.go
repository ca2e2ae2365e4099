package model

import "strings"

// NormalizeName returns the form of a package name used as a database key,
// so that catalogers, feeds and matchers agree without coordinating:
//   - pypi: PEP 503 (lowercase; runs of "-", "_", "." become "-")
//   - nuget, composer: lowercase (both registries are case-insensitive)
//   - everything else: unchanged (npm, Go, Maven "group:artifact", gems,
//     crates and distribution package names are case-sensitive or already
//     canonical)
func NormalizeName(eco Ecosystem, name string) string {
	switch eco {
	case EcosystemPyPI:
		var b strings.Builder
		b.Grow(len(name))
		sep := false
		for _, r := range strings.ToLower(name) {
			if r == '-' || r == '_' || r == '.' {
				sep = true
				continue
			}
			if sep && b.Len() > 0 {
				b.WriteByte('-')
			}
			sep = false
			b.WriteRune(r)
		}
		return b.String()
	case EcosystemNuGet, EcosystemComposer:
		return strings.ToLower(name)
	}
	return name
}

// Namespace returns the advisory namespace for packages of ecosystem eco
// on distribution d: "<family>:<release>" for OS packages (see
// DistroFamily), the ecosystem itself for language packages. It returns ""
// for OS packages when the distribution or release is unknown.
func Namespace(eco Ecosystem, d *Distro) string {
	if !eco.IsOS() {
		return string(eco)
	}
	if d.Unknown() || d.Release == "" {
		return ""
	}
	return DistroFamily(d.ID) + ":" + d.Release
}

// DistroFamily maps an os-release ID to the vendor whose advisories apply:
// Red Hat's data covers RHEL and its rebuilds (Rocky, AlmaLinux, CentOS).
func DistroFamily(id string) string {
	switch id {
	case "rhel", "rocky", "almalinux", "centos":
		return "redhat"
	case "amzn":
		return "amazon"
	case "ol":
		return "oracle"
	case "sles", "sled", "opensuse-leap", "opensuse-tumbleweed":
		return "suse"
	case "chainguard":
		return "wolfi"
	}
	return id
}

// NormalizeGoSymbol returns the form of a Go function name that the Go
// vulnerability database uses for affected symbols: type arguments (nested
// ones included) and receiver pointer marks are dropped, so
// "P.(*T[go.shape.int]).M" and "P.T.M" are the same method. Catalogers
// store linked symbols in this form and matching compares in it.
func NormalizeGoSymbol(s string) string {
	if strings.IndexByte(s, '[') >= 0 {
		var b strings.Builder
		depth := 0
		for _, r := range s {
			switch {
			case r == '[':
				depth++
			case r == ']' && depth > 0:
				depth--
			case depth == 0:
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	if strings.IndexByte(s, '(') >= 0 || strings.IndexByte(s, ')') >= 0 {
		s = receiverMarks.Replace(s)
	}
	return s
}

var receiverMarks = strings.NewReplacer("(*", "", "(", "", ")", "")
