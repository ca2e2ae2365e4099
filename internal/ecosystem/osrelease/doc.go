// Package osrelease identifies the distribution of an image from
// /etc/os-release and the older release files (alpine-release,
// redhat-release and its siblings, lsb-release, debian_version), works out
// the release key vendor advisories use, and says whether the release is
// past its end of life according to an embedded table.
package osrelease
