//go:build integration

package pypi_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
	"github.com/bulwark-security/bulwark/internal/version/pypi"
)

// packagingCompare answers, in one process, "valid?" for lines "V\tx" and
// the order for lines "C\ta\tb", using the packaging library (the
// reference implementation of PEP 440 that pip uses).
const packagingCompare = `
import sys
from packaging.version import Version, InvalidVersion
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if f[0] == "V":
        try:
            print(str(Version(f[1])))
        except InvalidVersion:
            print("!")
    else:
        a, b = Version(f[1]), Version(f[2])
        print(-1 if a < b else (1 if a > b else 0))
`

func TestAgainstPackaging(t *testing.T) {
	reftest.Require(t, reftest.CheckCommand("/usr/bin/python3", "-c", "import packaging.version"), "python3-packaging")
	versions := reftest.OSVVersions(t, filepath.Join(reftest.SharedDir(t), "ghsa", "pypi.jsonl"))
	versions = append(versions, "1.0.dev1", "1.0a1.dev1", "1.0a1", "1.0b2.post3", "1.0rc1", "1.0", "1.0.post1.dev2",
		"1.0.post1", "1.0+abc.5", "1.0+5", "1.0+abc", "1!0.1", "1.0-1", "1.0_RC_1", "v1.0", "1.0.PREVIEW2", "1.0-r4",
		"1.0alpha", "1.0c1", "1.0.0", "01.00", "1.0.0+local-7", "2012.10", "1.0-dev", "junk", "1.0.x", "1..0")
	uniq := reftest.Unique(versions)

	var in strings.Builder
	for _, v := range uniq {
		in.WriteString("V\t" + v + "\n")
	}
	norm := reftest.Run(t, in.String(), "/usr/bin/python3", "-c", packagingCompare)
	if len(norm) != len(uniq) {
		t.Fatalf("got %d answers for %d versions", len(norm), len(uniq))
	}
	for i, v := range uniq {
		got, err := pypi.Parse(v)
		switch {
		case norm[i] == "!" && err == nil:
			t.Errorf("Parse(%q) = %s, packaging rejects it", v, got)
		case norm[i] != "!" && err != nil:
			t.Errorf("Parse(%q): %v; packaging reads %s", v, err, norm[i])
		case err == nil && got.String() != norm[i]:
			t.Errorf("Parse(%q).String() = %s, packaging normalises to %s", v, got, norm[i])
		}
	}

	c := pypi.Comparator{}
	pairs := reftest.Pairs(versions, c.Compare, 5000)
	in.Reset()
	for _, p := range pairs {
		in.WriteString("C\t" + p[0] + "\t" + p[1] + "\n")
	}
	want := reftest.Run(t, in.String(), "/usr/bin/python3", "-c", packagingCompare)
	reftest.Agree(t, pairs, c.Compare, want)
}
