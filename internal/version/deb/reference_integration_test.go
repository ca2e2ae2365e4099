//go:build integration

package deb_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/deb"
	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
)

// TestAgainstDpkg compares thousands of real version pairs with
// `dpkg --compare-versions`, run once over the whole batch.
func TestAgainstDpkg(t *testing.T) {
	reftest.Require(t, reftest.CheckCommand("dpkg", "--compare-versions", "1", "lt", "2"), "dpkg")
	shared := reftest.SharedDir(t)
	var versions []string
	for _, f := range []string{"osv-debian12-cve.jsonl", "osv-debian12-dsa.jsonl"} {
		versions = append(versions, reftest.OSVVersions(t, filepath.Join(shared, "debian", f))...)
	}
	for _, f := range []string{"debian12-minbase", "debian12-nginx-python", "ubuntu18.04-trivy"} {
		versions = append(versions, statusVersions(t, filepath.Join(shared, "pkgdb", f, "var/lib/dpkg/status"))...)
	}
	c := deb.Comparator{}
	for _, v := range reftest.Unique(versions) {
		if _, err := deb.Parse(v); err != nil {
			t.Errorf("real version rejected: %v", err)
		}
	}
	pairs := reftest.Pairs(versions, c.Compare, 3000)
	var in strings.Builder
	for _, p := range pairs {
		in.WriteString(p[0] + "\t" + p[1] + "\n")
	}
	const script = `while IFS="	" read -r a b; do
  if dpkg --compare-versions "$a" lt "$b"; then echo -1
  elif dpkg --compare-versions "$a" eq "$b"; then echo 0
  else echo 1; fi
done`
	want := reftest.Run(t, in.String(), "sh", "-c", script)
	reftest.Agree(t, pairs, c.Compare, want)
}

func statusVersions(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Version: "); ok {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no versions", path)
	}
	return out
}
