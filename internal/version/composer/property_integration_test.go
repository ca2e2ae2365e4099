//go:build integration

package composer_test

import (
	"path/filepath"
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/composer"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

// TestOrderOfAllAdvisoryVersions checks the order's properties over every
// version GitHub's advisories name for this ecosystem; there is no
// reference implementation packaged for Debian to ask instead.
func TestOrderOfAllAdvisoryVersions(t *testing.T) {
	versions := reftest.OSVVersions(t, filepath.Join(reftest.SharedDir(t), "ghsa", "packagist.jsonl"))
	c := composer.Comparator{}
	// composer/semver's VersionParser rejects these as well.
	advisoryInvalid := []string{"1.3.0r1", "1.3.0r4", "1.5.7c", "2.1.0-dev1", "3.20-test2", "6.0.0-GM"}
	valid := reftest.SplitValid(t, reftest.Unique(versions), c.Compare, advisoryInvalid)
	reftest.CheckOrder(t, reftest.Sample(valid, 1200), c.Compare)
}
