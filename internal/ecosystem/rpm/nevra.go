package rpm

import (
	"strconv"
	"strings"
)

// splitNVR splits "name-version-release": the release is after the last
// "-", the version after the one before; names may contain "-".
func splitNVR(s string) (name, version, release string, ok bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return "", "", "", false
	}
	j := strings.LastIndexByte(s[:i], '-')
	if j <= 0 {
		return "", "", "", false
	}
	name, version, release = s[:j], s[j+1:i], s[i+1:]
	if version == "" || release == "" {
		return "", "", "", false
	}
	return name, version, release, true
}

// parseSourceRPM reads SOURCERPM, the file name of the source package a
// binary package was built from: "name-version-release.src.rpm" (or
// ".nosrc.rpm"). The source epoch is not in the name.
func parseSourceRPM(s string) (name, version, release string, ok bool) {
	base, found := strings.CutSuffix(s, ".src.rpm")
	if !found {
		if base, found = strings.CutSuffix(s, ".nosrc.rpm"); !found {
			return "", "", "", false
		}
	}
	return splitNVR(base)
}

// evr formats rpm's "[epoch:]version-release"; epoch 0 is left out, as rpm
// compares a missing epoch equal to 0.
func evr(epoch int32, version, release string) string {
	v := version
	if release != "" {
		v += "-" + release
	}
	if epoch > 0 {
		return itoa(epoch) + ":" + v
	}
	return v
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
