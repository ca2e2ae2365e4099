// Package catalog defines the cataloger and distro-detector contracts and
// runs them over image layers: it streams each layer once, offers every
// path to every cataloger, opens only the files a cataloger claims (with
// size and path-safety limits), caches per-layer results by diff ID and
// plugin versions, and coalesces layers into one inventory.
package catalog

import (
	"context"
	"io"
	"io/fs"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Plugin is what every cataloger and detector has: a stable name and an
// integer version. Both are part of every cache key, so bumping Version
// invalidates exactly the results the plugin produced.
type Plugin interface {
	Name() string
	Version() int
}

// FileInfo is what a cataloger may look at before claiming a file. It is
// cheap: nothing has been read yet.
type FileInfo struct {
	// Path is absolute and cleaned, "/" separated, e.g.
	// "/var/lib/dpkg/status".
	Path string
	Mode fs.FileMode
	Size int64
}

// Cataloger finds packages in files.
type Cataloger interface {
	Plugin
	// Wants is a cheap predicate on the path and mode: string tests only,
	// no I/O. Only claimed files are read.
	Wants(fi FileInfo) bool
	// MaxSize is the largest file the cataloger accepts; bigger files
	// are skipped with a warning in the plugin status.
	MaxSize() int64
	// Catalog parses one claimed file. Errors are per file: the walker
	// records them in the plugin status and keeps any packages returned
	// alongside the error (partial results).
	// Layers are walked in parallel, so Catalog may run concurrently
	// for files of different layers; keep no mutable state in the
	// cataloger.
	Catalog(ctx context.Context, in Input) (Result, error)
}

// Input is one opened file.
type Input struct {
	FileInfo
	// Content is the whole file; at most MaxSize bytes. It may be backed
	// by memory or a temporary file: do not retain it after Catalog
	// returns.
	Content io.ReaderAt
	// Layer gives read-only access to other claimed files of the same
	// layer that were read before this one and kept (small files, and
	// files spooled to disk). For directory sources Open reads the
	// directory tree itself, resolving symlinks inside it only.
	Layer LayerView
}

// LayerView is a read-only view of files in the layer being cataloged.
type LayerView interface {
	// Open opens a path in the same layer or directory tree. It returns
	// fs.ErrNotExist when the file is absent or was not retained.
	Open(path string) (io.ReadCloser, error)
}

// Result is what a cataloger found in one file.
type Result struct {
	Packages []model.Package
	// GoBinaries carries Go executables with their linked symbols.
	GoBinaries []model.GoBinary
	// OwnedFiles are files an OS package manager says it installed
	// (dpkg info/*.list, apk installed R: lines, rpm file lists). Language
	// packages found only inside owned files are dropped at coalescing, so
	// the same code is not reported twice.
	OwnedFiles []string
}

// Detector identifies the distribution from release files.
type Detector interface {
	Plugin
	// Wants reports whether the path is a release file the detector reads
	// (e.g. "/etc/os-release", "/usr/lib/os-release",
	// "/etc/alpine-release", "/etc/redhat-release").
	Wants(path string) bool
	// Detect is given the contents of every wanted file that exists in
	// the final filesystem, keyed by path, and returns the distro or nil.
	Detect(files map[string][]byte) (*model.Distro, error)
}
