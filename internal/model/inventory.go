package model

import "time"

// InventorySchema is the version of the Inventory JSON encoding. Bump it
// when a field changes meaning.
const InventorySchema = 1

// Inventory is everything a scan found in one image or directory: the
// input to matching and what the server stores per image digest.
type Inventory struct {
	Schema     int        `json:"schema"`
	Image      Image      `json:"image"`
	Distro     *Distro    `json:"distro,omitempty"`
	Packages   []Package  `json:"packages"`
	GoBinaries []GoBinary `json:"goBinaries,omitempty"`
	// Status is one entry per cataloger (and per distro detector) that
	// ran; partial failures are recorded here, never hidden.
	Status    []PluginStatus `json:"status,omitempty"`
	CreatedAt time.Time      `json:"createdAt"`
	Scanner   Tool           `json:"scanner"`
}

// Tool names the program that produced a document.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// PluginState is the outcome of one plugin run.
type PluginState string

// Plugin outcomes.
const (
	PluginOK      PluginState = "ok"
	PluginPartial PluginState = "partial"
	PluginFailed  PluginState = "failed"
)

// PluginStatus is the outcome of one cataloger or detector over a scan.
type PluginStatus struct {
	Name    string      `json:"name"`
	Version int         `json:"version"`
	State   PluginState `json:"state"`
	// Warnings name the input and the problem, e.g.
	// "/srv/app/package-lock.json: invalid JSON at offset 120".
	Warnings []string `json:"warnings,omitempty"`
}
