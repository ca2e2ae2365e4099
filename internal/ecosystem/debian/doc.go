// Package debian is Debian's vertical slice: the dpkg catalogers (the
// status file, distroless status.d and the per-package file lists) and the
// Debian security data feed. Ubuntu packages are dpkg packages too and are
// cataloged here; the distribution itself is identified by the os-release
// detector.
package debian
