// Package reftest supports the version comparators' reference tests: it
// collects real version strings from the shared test data, builds pairs
// from them, and runs a reference tool once over a whole batch of pairs.
package reftest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// SharedDir returns the shared test data directory ($BULWARK_SHARED, or
// ../shared next to the repository). It fails the test when the data is
// missing and CI=true, and skips it otherwise.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("BULWARK_SHARED")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "testdata")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data missing at %s (set BULWARK_SHARED): %v", dir, err)
		}
		t.Skipf("shared test data missing at %s (set BULWARK_SHARED)", dir)
	}
	return filepath.Join(dir, "testdata")
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// JSONL calls fn with every record of a JSON Lines file.
func JSONL(t testing.TB, path string, fn func(rec any)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var rec any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		fn(rec)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Walk calls fn for every JSON object nested anywhere in v.
func Walk(v any, fn func(obj map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(x)
		for _, e := range x {
			Walk(e, fn)
		}
	case []any:
		for _, e := range x {
			Walk(e, fn)
		}
	}
}

// OSVVersions returns the versions named in OSV records (range events and
// enumerated "versions"), optionally only for one affected ecosystem.
func OSVVersions(t testing.TB, path string) []string {
	t.Helper()
	var out []string
	JSONL(t, path, func(rec any) {
		Walk(rec, func(obj map[string]any) {
			for _, k := range []string{"introduced", "fixed", "last_affected"} {
				if s, ok := obj[k].(string); ok && s != "0" {
					out = append(out, s)
				}
			}
			if vs, ok := obj["versions"].([]any); ok {
				for _, v := range vs {
					if s, ok := v.(string); ok {
						out = append(out, s)
					}
				}
			}
		})
	})
	return out
}

// Unique sorts and de-duplicates versions.
func Unique(vs []string) []string {
	vs = slices.Clone(vs)
	slices.Sort(vs)
	return slices.Compact(vs)
}

// Pairs builds up to n pairs from versions: neighbours in the order cmp
// gives (the pairs most likely to expose a wrong rule), then pairs drawn
// at random with a fixed seed. Versions cmp rejects are left out; the
// caller checks parse errors separately.
func Pairs(versions []string, cmp func(a, b string) (int, error), n int) [][2]string {
	var ok []string
	for _, v := range Unique(versions) {
		if _, err := cmp(v, v); err == nil {
			ok = append(ok, v)
		}
	}
	slices.SortStableFunc(ok, func(a, b string) int {
		c, _ := cmp(a, b)
		return c
	})
	var pairs [][2]string
	for i := 0; i+1 < len(ok) && len(pairs) < n/2; i++ {
		pairs = append(pairs, [2]string{ok[i], ok[i+1]})
	}
	r := rand.New(rand.NewPCG(1, 2))
	for len(pairs) < n && len(ok) > 1 {
		pairs = append(pairs, [2]string{ok[r.IntN(len(ok))], ok[r.IntN(len(ok))]})
	}
	return pairs
}

// Run runs a reference tool once, feeding it stdin, and returns its
// output lines.
func Run(t testing.TB, stdin string, name string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, errb.String())
	}
	return strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
}

// Require makes sure a reference tool works: it runs check, and when that
// fails installs the Debian packages with apt-get (or, with CI=true,
// fails with the command to run).
func Require(t testing.TB, check func() error, pkgs ...string) {
	t.Helper()
	if check() == nil {
		return
	}
	install := "apt-get install -y --no-install-recommends " + strings.Join(pkgs, " ")
	if os.Getenv("CI") == "true" {
		t.Fatalf("reference tool missing; install it with: %s", install)
	}
	cmd := exec.Command("apt-get", append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", install, err, out)
	}
	if err := check(); err != nil {
		t.Fatalf("reference tool still missing after %s: %v", install, err)
	}
}

// CheckCommand returns a check for Require that runs a command.
func CheckCommand(name string, args ...string) func() error {
	return func() error { return exec.Command(name, args...).Run() }
}

// Agree compares got with the reference results want, pair by pair, and
// reports every disagreement.
func Agree(t testing.TB, pairs [][2]string, got func(a, b string) (int, error), want []string) {
	t.Helper()
	if len(want) != len(pairs) {
		t.Fatalf("reference tool returned %d results for %d pairs", len(want), len(pairs))
	}
	bad := 0
	for i, p := range pairs {
		g, err := got(p[0], p[1])
		if err != nil {
			t.Errorf("Compare(%q, %q): %v", p[0], p[1], err)
			continue
		}
		if w := strings.TrimSpace(want[i]); w != itoa(g) {
			bad++
			if bad <= 30 {
				t.Errorf("Compare(%q, %q) = %d, reference says %s", p[0], p[1], g, w)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d pairs disagree with the reference", bad, len(pairs))
	}
	t.Logf("%d pairs compared with the reference", len(pairs))
}

func itoa(i int) string {
	switch {
	case i < 0:
		return "-1"
	case i > 0:
		return "1"
	}
	return "0"
}
