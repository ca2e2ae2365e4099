//go:build integration

package debian

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sharedDir is the project's shared test data (env BULWARK_SHARED,
// default ../shared next to the repository root).
func sharedDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BULWARK_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "testdata", "pkgdb")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data missing: %v", err)
		}
		t.Skipf("shared test data missing: %v", err)
	}
	return dir
}

// dpkgQuery runs Debian's dpkg-query over a status file and returns the
// installed packages in the golden format.
func dpkgQuery(t *testing.T, status []byte) []string {
	t.Helper()
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Fatalf("dpkg-query is needed for this test (Debian's dpkg): %v", err)
	}
	admin := t.TempDir()
	for _, d := range []string{"info", "updates"} {
		if err := os.Mkdir(filepath.Join(admin, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(admin, "status"), status, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("dpkg-query", "--admindir="+admin, "-W",
		"-f", `${db:Status-Status}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\n`).Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	var lines []string
	for line := range strings.SplitSeq(strings.TrimSuffix(string(out), "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "installed\t"); ok {
			lines = append(lines, rest)
		}
	}
	sort.Strings(lines)
	return lines
}

func TestDpkgEqualsDpkgQuery(t *testing.T) {
	files := map[string]string{}
	matches, _ := filepath.Glob(filepath.Join("testdata", "dpkg", "*.status"))
	for _, m := range matches {
		files[m] = m
	}
	shared := sharedDir(t)
	for _, name := range []string{"debian12-minbase", "debian12-nginx-python", "ubuntu18.04-trivy"} {
		p := filepath.Join(shared, "testdata", "pkgdb", name, "var", "lib", "dpkg", "status")
		files[p] = p
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := NewDpkgCataloger().Catalog(context.Background(), dpkgInput(dpkgStatusPath, data))
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			want, got := dpkgQuery(t, data), dpkgQueryLines(res.Packages)
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("inventory differs from dpkg-query:\nwant %d lines\n got %d lines\n%s", len(want), len(got), lineDiff(want, got))
			}
		})
	}
}

func lineDiff(want, got []string) string {
	in := map[string]int{}
	for _, l := range want {
		in[l]--
	}
	for _, l := range got {
		in[l]++
	}
	var b strings.Builder
	for l, n := range in {
		switch {
		case n < 0:
			b.WriteString("-" + l + "\n")
		case n > 0:
			b.WriteString("+" + l + "\n")
		}
	}
	return b.String()
}
