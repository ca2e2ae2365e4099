//go:build integration

package cargo_test

import (
	"path/filepath"
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/cargo"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

// TestOrderOfAllAdvisoryVersions checks the order's properties over every
// version GitHub's advisories name for this ecosystem; there is no
// reference implementation packaged for Debian to ask instead.
func TestOrderOfAllAdvisoryVersions(t *testing.T) {
	versions := reftest.OSVVersions(t, filepath.Join(reftest.SharedDir(t), "ghsa", "crates.io.jsonl"))
	c := cargo.Comparator{}
	valid := reftest.SplitValid(t, reftest.Unique(versions), c.Compare, nil)
	reftest.CheckOrder(t, reftest.Sample(valid, 1200), c.Compare)
}
