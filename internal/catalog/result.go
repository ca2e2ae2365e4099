package catalog

import "github.com/bulwark-security/bulwark/internal/model"

// WalkerName is the plugin name under which the walker itself reports
// problems that belong to no cataloger (unsafe paths, corrupt entries,
// unresolvable symlinks).
const WalkerName = "layer-walker"

// WalkerVersion is part of every layer cache key: bump it when the walker
// changes what it records.
const WalkerVersion = 1

// LayerResult is everything the walker learned from one layer (or one
// directory tree). It is what the layer cache stores, so it holds only
// plain data.
type LayerResult struct {
	// Found is one entry per (claimed file, cataloger).
	Found []Found `json:"found,omitempty"`
	// Entries are the non-directory paths the layer contains; a lower
	// layer's file at the same path is replaced.
	Entries []string `json:"entries,omitempty"`
	// Whiteouts are paths the layer deletes (".wh.NAME").
	Whiteouts []string `json:"whiteouts,omitempty"`
	// Opaque are directories whose lower contents the layer hides
	// (".wh..wh..opq").
	Opaque []string `json:"opaque,omitempty"`
	// Symlinks maps link path to target as written in the layer.
	Symlinks map[string]string `json:"symlinks,omitempty"`
	// Release holds the files distro detectors want, by path.
	Release map[string][]byte `json:"release,omitempty"`
	// Warnings are per-plugin problems met in this layer.
	Warnings []Warning `json:"warnings,omitempty"`
	// Bytes is the uncompressed size of the layer stream read.
	Bytes int64 `json:"bytes,omitempty"`
}

// Found is what one cataloger returned for one file.
type Found struct {
	Path       string           `json:"path"`
	Plugin     string           `json:"plugin"`
	Packages   []model.Package  `json:"packages,omitempty"`
	GoBinaries []model.GoBinary `json:"goBinaries,omitempty"`
	OwnedFiles []string         `json:"ownedFiles,omitempty"`
}

// Warning is one problem a plugin (or the walker) met. Failed marks a
// plugin failure (a panic) rather than a per-file problem.
type Warning struct {
	Plugin  string `json:"plugin"`
	Message string `json:"message"`
	Failed  bool   `json:"failed,omitempty"`
}
