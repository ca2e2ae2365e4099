// Package all is the one explicit list of enabled plugins: catalogers,
// distro detectors, feeds and matchers. Nothing registers itself; adding a
// plugin means adding a line here.
package all

import (
	"github.com/bulwark-security/bulwark/internal/catalog"
)

// Catalogers returns every enabled cataloger, OS package managers first.
func Catalogers() []catalog.Cataloger {
	return []catalog.Cataloger{
		// OS packages

		// Language packages

	}
}

// Detectors returns every distro detector.
func Detectors() []catalog.Detector {
	return []catalog.Detector{}
}
