package model

// Image identifies a scanned artifact. Everything in Bulwark is keyed by the
// manifest digest; tags are labels.
type Image struct {
	// Ref is the reference the user gave, e.g. "docker-archive:app.tar".
	Ref string `json:"ref"`
	// Source says where the image was read from: "docker-archive",
	// "oci-layout", "oci-archive", "docker-daemon", "registry" or "dir".
	Source string `json:"source"`
	// Name is the repository name without tag or digest, when known.
	Name string `json:"name,omitempty"`
	// Digest is the manifest digest ("sha256:…"); empty for directories.
	Digest string `json:"digest,omitempty"`
	// ConfigDigest is the image ID ("sha256:…" of the config blob).
	ConfigDigest string   `json:"configDigest,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	RepoDigests  []string `json:"repoDigests,omitempty"`
	// Platform is "os/arch[/variant]".
	Platform string  `json:"platform,omitempty"`
	Layers   []Layer `json:"layers,omitempty"`
	// Labels are the config's labels (OCI annotations such as
	// org.opencontainers.image.source are commonly set here).
	Labels map[string]string `json:"labels,omitempty"`
}

// Layer is one filesystem layer in image order (base first).
type Layer struct {
	Index int `json:"index"`
	// DiffID is the digest of the uncompressed layer tar.
	DiffID string `json:"diffID"`
	// Digest is the digest of the layer blob as stored (often compressed).
	Digest    string `json:"digest,omitempty"`
	Size      int64  `json:"size,omitempty"`
	MediaType string `json:"mediaType,omitempty"`
	// CreatedBy is the history line that produced the layer, e.g.
	// "RUN apt-get install -y curl".
	CreatedBy string `json:"createdBy,omitempty"`
}

// LayerRef points at the layer that introduced something.
type LayerRef struct {
	Index     int    `json:"index"`
	DiffID    string `json:"diffID"`
	CreatedBy string `json:"createdBy,omitempty"`
}

// Distro is the operating system release found in the image.
type Distro struct {
	// ID is the os-release ID: debian, ubuntu, alpine, rhel, rocky,
	// almalinux, centos, fedora, amzn, ol, sles, opensuse-leap, wolfi,
	// chainguard, … or "unknown".
	ID string `json:"id"`
	// VersionID is the os-release VERSION_ID ("12", "3.18.4", "9.3", "2023").
	VersionID string `json:"versionID,omitempty"`
	// Codename is VERSION_CODENAME where the distribution sets one.
	Codename   string `json:"codename,omitempty"`
	PrettyName string `json:"prettyName,omitempty"`
	// Release is the key advisories are published under for this
	// distribution: "12" for Debian, "3.18" for Alpine, "22.04" for
	// Ubuntu, "9" for RHEL and rebuilds, "2023" for Amazon Linux.
	Release string `json:"release,omitempty"`
	// Distroless is set for Debian-based distroless images whose
	// packages live in /var/lib/dpkg/status.d.
	Distroless bool `json:"distroless,omitempty"`
	// EOL is set when the release is past its end of life (see EOLDate).
	EOL     bool   `json:"eol,omitempty"`
	EOLDate string `json:"eolDate,omitempty"`
	// Source is the file the release was read from.
	Source string `json:"source,omitempty"`
}

// Unknown reports whether no distribution could be identified.
func (d *Distro) Unknown() bool { return d == nil || d.ID == "" || d.ID == DistroUnknown }

// DistroUnknown is the Distro.ID used when nothing identifies the OS.
const DistroUnknown = "unknown"
