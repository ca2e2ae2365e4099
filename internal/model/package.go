package model

// Ecosystem names a packaging system. The values are package-url types, so
// a package's ecosystem and its purl agree.
type Ecosystem string

// Ecosystems Bulwark catalogs.
const (
	EcosystemDeb      Ecosystem = "deb"
	EcosystemAPK      Ecosystem = "apk"
	EcosystemRPM      Ecosystem = "rpm"
	EcosystemGo       Ecosystem = "golang"
	EcosystemNPM      Ecosystem = "npm"
	EcosystemPyPI     Ecosystem = "pypi"
	EcosystemMaven    Ecosystem = "maven"
	EcosystemCargo    Ecosystem = "cargo"
	EcosystemGem      Ecosystem = "gem"
	EcosystemComposer Ecosystem = "composer"
	EcosystemNuGet    Ecosystem = "nuget"
)

// IsOS reports whether packages of this ecosystem are owned by the
// operating system (and therefore matched against vendor advisories).
func (e Ecosystem) IsOS() bool {
	return e == EcosystemDeb || e == EcosystemAPK || e == EcosystemRPM
}

// Origin says what kind of evidence a package came from.
type Origin string

// Origins of package evidence.
const (
	// OriginInstalled: a package manager's database of installed
	// packages (dpkg status, apk installed, rpmdb, dist-info,
	// node_modules/*/package.json, gemspecs, installed.json).
	OriginInstalled Origin = "installed"
	// OriginLockfile: a lock or pinned-requirements file; the package may
	// or may not be present on disk.
	OriginLockfile Origin = "lockfile"
	// OriginBinary: metadata embedded in a compiled artifact (Go build
	// info, cargo-auditable, jar manifests).
	OriginBinary Origin = "binary"
)

// Package is one package found in an image or directory.
type Package struct {
	Ecosystem Ecosystem `json:"ecosystem"`
	Name      string    `json:"name"`
	// Version is the full version in the ecosystem's own syntax. For rpm
	// it is "[epoch:]version-release"; for deb it includes the epoch.
	Version string `json:"version"`
	// SourceName and SourceVersion name the source package a binary
	// package was built from (dpkg Source:, apk origin, rpm SOURCERPM).
	// Vendor advisories are keyed by source package. Empty when equal
	// to Name/Version or not applicable.
	SourceName    string   `json:"sourceName,omitempty"`
	SourceVersion string   `json:"sourceVersion,omitempty"`
	Arch          string   `json:"arch,omitempty"`
	PURL          string   `json:"purl"`
	Licenses      []string `json:"licenses,omitempty"`
	// Origin says whether the package is installed, pinned in a lock file
	// or embedded in a binary.
	Origin Origin `json:"origin"`
	// FoundBy is the cataloger's Name.
	FoundBy string `json:"foundBy"`
	// Locations are the files the package was found in (image paths,
	// absolute, "/" separated).
	Locations []string `json:"locations"`
	// Layer is the layer that introduced the package (unset for dir:).
	Layer *LayerRef `json:"layer,omitempty"`
	// Dev marks development-only dependencies from lock files.
	Dev bool `json:"dev,omitempty"`
	// Metadata carries ecosystem-specific facts that matching or reports
	// use, e.g. "go.toolchain", "go.main", "maven.groupId".
	Metadata map[string]string `json:"metadata,omitempty"`
}

// SourceOrName returns the source package name, or the package name when
// the package has no separate source.
func (p *Package) SourceOrName() string {
	if p.SourceName != "" {
		return p.SourceName
	}
	return p.Name
}

// SourceVersionOrVersion returns the source version, or the binary version
// when no source version is recorded.
func (p *Package) SourceVersionOrVersion() string {
	if p.SourceVersion != "" {
		return p.SourceVersion
	}
	return p.Version
}

// Key identifies a package within one inventory.
func (p *Package) Key() string {
	loc := ""
	if len(p.Locations) > 0 {
		loc = p.Locations[0]
	}
	return string(p.Ecosystem) + "|" + p.Name + "|" + p.Version + "|" + loc
}

// GoBinary is a Go executable found in the image with the facts needed for
// symbol-level reachability.
type GoBinary struct {
	Path string `json:"path"`
	// MainModule is the module path of the main package.
	MainModule string `json:"mainModule,omitempty"`
	// GoVersion is the toolchain that built the binary, e.g. "go1.21.5".
	GoVersion string `json:"goVersion,omitempty"`
	// Symbols are the sorted, fully qualified names of the functions
	// linked into the binary, in the form Go vulnerability data uses:
	// "IMPORTPATH.FUNC" or "IMPORTPATH.TYPE.METHOD", pointer receivers and
	// type arguments dropped ("golang.org/x/text/language.Parse",
	// "gopkg.in/yaml.v2.decoder.unmarshal"), closures with their compiler
	// suffix ("PKG.FUNC.func1"). They come from the pclntab, which stripped
	// binaries keep too, and include functions inlined into their callers.
	// Empty when no function table was found; reachability is then
	// unknown.
	Symbols []string  `json:"symbols,omitempty"`
	Layer   *LayerRef `json:"layer,omitempty"`
}
