package osrelease

import (
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/catalog"
	"github.com/bulwark-security/bulwark/internal/model"
)

const (
	etcOSRelease   = "/etc/os-release"
	usrOSRelease   = "/usr/lib/os-release"
	lsbRelease     = "/etc/lsb-release"
	alpineRelease  = "/etc/alpine-release"
	debianVersion  = "/etc/debian_version"
	dpkgStatusDDir = "/var/lib/dpkg/status.d"
)

// releaseFiles are the one-line release files, in the order they are
// trusted: Oracle Linux's redhat-release claims to be RHEL, and
// system-release names the actual product on every Red Hat derivative.
var releaseFiles = []string{
	"/etc/oracle-release",
	"/etc/system-release",
	"/etc/centos-release",
	"/etc/redhat-release",
}

// Detector identifies the distribution from os-release and the older
// release files, and says whether the release is past its end of life.
type Detector struct {
	// Now is the clock end of life is judged by; nil means time.Now.
	Now func() time.Time
}

var _ catalog.Detector = (*Detector)(nil)

// New returns a detector that judges end of life by the current time.
func New() *Detector { return &Detector{} }

// Name implements catalog.Plugin.
func (*Detector) Name() string { return "os-release" }

// Version implements catalog.Plugin.
func (*Detector) Version() int { return 1 }

// Wants implements catalog.Detector. Besides the release files it wants
// the entries of /var/lib/dpkg/status.d: their presence is what marks a
// Debian-based distroless image whose os-release does not say so. They are
// small (one stanza per package).
func (*Detector) Wants(path string) bool {
	switch path {
	case etcOSRelease, usrOSRelease, lsbRelease, alpineRelease, debianVersion, dpkgStatusDDir:
		return true
	}
	for _, f := range releaseFiles {
		if path == f {
			return true
		}
	}
	return strings.HasPrefix(path, dpkgStatusDDir+"/")
}

// Detect implements catalog.Detector. It never returns nil: when nothing
// identifies the system the ID is model.DistroUnknown.
func (d *Detector) Detect(files map[string][]byte) (*model.Distro, error) {
	kv, source := identify(files)
	statusD := false
	for p := range files {
		if p == dpkgStatusDDir || strings.HasPrefix(p, dpkgStatusDDir+"/") {
			statusD = true
			break
		}
	}
	if kv == nil {
		if !statusD {
			return &model.Distro{ID: model.DistroUnknown}, nil
		}
		// status.d is the distroless convention for Debian packages.
		kv, source = map[string]string{"ID": "debian"}, dpkgStatusDDir
	}
	dist := &model.Distro{
		ID:         strings.ToLower(kv["ID"]),
		VersionID:  kv["VERSION_ID"],
		Codename:   kv["VERSION_CODENAME"],
		PrettyName: kv["PRETTY_NAME"],
		Source:     source,
	}
	if dist.Codename == "" {
		dist.Codename = kv["UBUNTU_CODENAME"]
	}
	if dist.Codename == "" {
		dist.Codename = kv["release_codename"]
	}
	dist.Release = release(dist.ID, dist.VersionID, files[debianVersion])
	if dist.ID == "debian" {
		dist.Distroless = statusD || strings.Contains(strings.ToLower(dist.PrettyName), "distroless")
	}

	product := dist.ID
	if dist.ID == "centos" && strings.Contains(strings.ToLower(kv["NAME"]+" "+dist.PrettyName), "stream") {
		product = "centos-stream"
	}
	date, ok, err := eolDate(product, dist.Release)
	if err != nil {
		return dist, fmt.Errorf("end-of-life table: %w", err)
	}
	if ok {
		dist.EOLDate = date.Format(time.DateOnly)
		now := time.Now
		if d.Now != nil {
			now = d.Now
		}
		// The table's date is the last day of support.
		dist.EOL = !now().Before(date.AddDate(0, 0, 1))
	}
	return dist, nil
}

// identify returns the os-release style keys of the most trusted release
// file present, and that file's path; nil when none names a distribution.
func identify(files map[string][]byte) (map[string]string, string) {
	for _, p := range []string{etcOSRelease, usrOSRelease} {
		if b, ok := files[p]; ok {
			if kv := parseKeyValues(b); kv["ID"] != "" {
				return kv, p
			}
		}
	}
	if b, ok := files[alpineRelease]; ok {
		if v := firstLine(b); v != "" {
			return map[string]string{"ID": "alpine", "VERSION_ID": v, "PRETTY_NAME": "Alpine Linux v" + v}, alpineRelease
		}
	}
	for _, p := range releaseFiles {
		if b, ok := files[p]; ok {
			if kv := parseReleaseLine(b); kv != nil {
				return kv, p
			}
		}
	}
	if b, ok := files[lsbRelease]; ok {
		lsb := parseKeyValues(b)
		if id := lsb["DISTRIB_ID"]; id != "" {
			return map[string]string{
				"ID": strings.ToLower(id), "VERSION_ID": lsb["DISTRIB_RELEASE"],
				"VERSION_CODENAME": lsb["DISTRIB_CODENAME"], "PRETTY_NAME": lsb["DISTRIB_DESCRIPTION"],
			}, lsbRelease
		}
	}
	if b, ok := files[debianVersion]; ok && firstLine(b) != "" {
		return map[string]string{"ID": "debian"}, debianVersion
	}
	return nil, ""
}

// release returns the key vendor advisories are published under.
func release(id, versionID string, debianVersion []byte) string {
	switch id {
	case "debian":
		return debianRelease(versionID, firstLine(debianVersion))
	case "alpine":
		if strings.Contains(versionID, "_alpha") || strings.Contains(versionID, "_beta") || versionID == "edge" {
			return "edge"
		}
		return majorMinor(versionID)
	case "rhel", "rocky", "almalinux", "centos", "ol":
		return major(versionID)
	case "amzn":
		// Amazon Linux 1 is versioned by date (2018.03); its advisories
		// are under "1".
		if strings.Contains(versionID, ".") {
			return "1"
		}
		return versionID
	case "wolfi", "chainguard":
		return "rolling"
	}
	return versionID
}

// debianRelease prefers os-release's VERSION_ID; without one (testing and
// unstable have none) /etc/debian_version decides: "12.5" gives "12", and
// "trixie/sid" — shared by testing and unstable, which cannot be told
// apart from inside the image — gives "unstable".
func debianRelease(versionID, debVersion string) string {
	if versionID != "" {
		return major(versionID)
	}
	switch {
	case debVersion == "":
		return ""
	case debVersion[0] >= '0' && debVersion[0] <= '9':
		return major(debVersion)
	case strings.Contains(debVersion, "sid"):
		return "unstable"
	}
	return ""
}

func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}
