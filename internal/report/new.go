package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report/gitlab"
	"github.com/bulwark-security/bulwark/internal/report/jsonreport"
	"github.com/bulwark-security/bulwark/internal/report/junit"
	"github.com/bulwark-security/bulwark/internal/report/markdown"
	"github.com/bulwark-security/bulwark/internal/report/sarif"
	"github.com/bulwark-security/bulwark/internal/report/sbom"
	"github.com/bulwark-security/bulwark/internal/report/table"
	"github.com/bulwark-security/bulwark/internal/report/tmpl"
)

var (
	_ Writer = (*table.Writer)(nil)
	_ Writer = (*jsonreport.Writer)(nil)
	_ Writer = (*sbom.CycloneDX)(nil)
	_ Writer = (*sbom.SPDX)(nil)
	_ Writer = (*sarif.Writer)(nil)
	_ Writer = (*junit.Writer)(nil)
	_ Writer = (*gitlab.Writer)(nil)
	_ Writer = (*markdown.Writer)(nil)
	_ Writer = (*tmpl.Writer)(nil)
)

// Errors New returns; the CLI turns both into a usage error.
var (
	ErrUnknownFormat = errors.New("unknown report format")
	ErrNotSBOMFormat = errors.New("format reports findings and cannot render an SBOM")
)

// formats lists every format with whether it can render an SBOM alone.
var formats = []struct {
	name string
	sbom bool
}{
	{"table", true}, {"json", true}, {"cyclonedx", true}, {"spdx", true},
	{"sarif", false}, {"junit", false}, {"gitlab", false}, {"markdown", false},
	{"template", true},
}

// aliases are the names other tools use for the same formats.
var aliases = map[string]string{
	"cyclonedx-json": "cyclonedx", "cdx": "cyclonedx", "spdx-json": "spdx",
	"md": "markdown", "gitlab-container-scanning": "gitlab", "tmpl": "template",
}

// Formats returns the format names New accepts (aliases aside), in the
// order help text should list them.
func Formats() []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = f.name
	}
	return out
}

// New returns the Writer for a format name (case-insensitive).
func New(format string, opts Options) (Writer, error) {
	name := strings.ToLower(strings.TrimSpace(format))
	if a, ok := aliases[name]; ok {
		name = a
	}
	found := false
	for _, f := range formats {
		if f.name == name {
			found = true
			if opts.SBOMOnly && !f.sbom {
				return nil, fmt.Errorf("%s: %w (use one of table, json, cyclonedx, spdx, template)", name, ErrNotSBOMFormat)
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("%w %q (want one of %s)", ErrUnknownFormat, format, strings.Join(Formats(), ", "))
	}
	switch name {
	case "table":
		return &table.Writer{Color: opts.Color, ShowSuppressed: opts.ShowSuppressed, SBOMOnly: opts.SBOMOnly}, nil
	case "json":
		return &jsonreport.Writer{SBOMOnly: opts.SBOMOnly}, nil
	case "cyclonedx":
		return &sbom.CycloneDX{SBOMOnly: opts.SBOMOnly}, nil
	case "spdx":
		return &sbom.SPDX{}, nil
	case "sarif":
		return &sarif.Writer{}, nil
	case "junit":
		return &junit.Writer{}, nil
	case "gitlab":
		return &gitlab.Writer{}, nil
	case "markdown":
		return &markdown.Writer{ShowSuppressed: opts.ShowSuppressed}, nil
	default: // template
		return tmpl.New(opts.Template)
	}
}

// DecodeSBOM reads a CycloneDX (JSON or XML) or SPDX 2.x JSON document —
// Bulwark's own or another tool's — into an inventory for matching.
// Bulwark's own documents round-trip exactly, so an image, its SBOM and
// its stored inventory give the same findings.
func DecodeSBOM(r io.Reader) (*model.Inventory, error) {
	return sbom.Decode(r)
}
