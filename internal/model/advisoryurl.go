package model

import "strings"

// AdvisoryURL returns the public page of a vulnerability or advisory id,
// or "" for ids without a well-known home. Reports link to it.
func AdvisoryURL(id string) string {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "https://nvd.nist.gov/vuln/detail/" + id
	case strings.HasPrefix(id, "GHSA-"):
		return "https://github.com/advisories/" + id
	case strings.HasPrefix(id, "GO-"):
		return "https://pkg.go.dev/vuln/" + id
	case strings.HasPrefix(id, "DSA-"), strings.HasPrefix(id, "DLA-"):
		return "https://security-tracker.debian.org/tracker/" + id
	case strings.HasPrefix(id, "RHSA-"), strings.HasPrefix(id, "RHBA-"), strings.HasPrefix(id, "RHEA-"):
		return "https://access.redhat.com/errata/" + id
	case strings.HasPrefix(id, "USN-"):
		return "https://ubuntu.com/security/notices/" + id
	case strings.HasPrefix(id, "PYSEC-"), strings.HasPrefix(id, "RUSTSEC-"), strings.HasPrefix(id, "OSV-"):
		return "https://osv.dev/vulnerability/" + id
	}
	return ""
}
