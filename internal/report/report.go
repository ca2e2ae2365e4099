// Package report turns a model.Report (an SBOM when it has no findings)
// into the formats users and pipelines read. Each format lives in its own
// subpackage (CycloneDX and SPDX share package sbom, which also decodes
// SBOMs back into inventories); New picks one by name.
package report

import (
	"io"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Writer renders a report in one format.
type Writer interface {
	Write(w io.Writer, r *model.Report) error
}

// Options tune rendering. Formats ignore options they do not use.
type Options struct {
	// Color enables ANSI colour in the table format.
	Color bool
	// Template is the text/template source for the "template" format.
	Template string
	// ShowSuppressed lists suppressed findings in human-readable formats.
	ShowSuppressed bool
	// SBOMOnly renders only the inventory (the `bulwark sbom` command).
	SBOMOnly bool
}
