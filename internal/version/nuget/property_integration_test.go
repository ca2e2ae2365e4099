//go:build integration

package nuget_test

import (
	"path/filepath"
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
	"github.com/bulwark-security/bulwark/internal/version/nuget"
)

// TestOrderOfAllAdvisoryVersions checks the order's properties over every
// version GitHub's advisories name for this ecosystem; there is no
// reference implementation packaged for Debian to ask instead.
func TestOrderOfAllAdvisoryVersions(t *testing.T) {
	versions := reftest.OSVVersions(t, filepath.Join(reftest.SharedDir(t), "ghsa", "nuget.jsonl"))
	c := nuget.Comparator{}
	valid := reftest.SplitValid(t, reftest.Unique(versions), c.Compare, nil)
	reftest.CheckOrder(t, reftest.Sample(valid, 1200), c.Compare)
}
