package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/bulwark-security/bulwark"

// levels is the layering table of docs/architecture.md. A package may
// import packages on strictly lower levels, and its own subpackages. The
// longest matching prefix decides a package's level.
var levels = map[string]int{
	"internal/model":   0,
	"internal/version": 0,
	// The semver core is shared by the npm, cargo and golang schemes.
	"internal/version/semver": -1,
	"internal/osv":            0,
	"internal/cvss":           0,

	"internal/image":   1,
	"internal/catalog": 1,
	"internal/feed":    1,
	"internal/store":   1,

	"internal/match":   2,
	"internal/policy":  2,
	"internal/attest":  2,
	"internal/runtime": 2,

	"internal/ecosystem":      3,
	"internal/vulndb":         3,
	"internal/store/sqlite":   3,
	"internal/store/postgres": 3,
	"internal/report":         3,
	"internal/enrich":         3,

	// The SQL both server stores share, their conformance suite, and the
	// PostgreSQL test helper.
	"internal/store/sqlstore":        2,
	"internal/store/storetest":       3,
	"internal/store/postgres/pgtest": 4,

	"internal/ecosystem/all": 4,
	"internal/scan":          5,

	"internal/rescan":    6,
	"internal/admission": 6,
	"internal/kube":      6,
	"internal/agent":     6,

	"internal/server":   7,
	"internal/cli":      8,
	"internal/archtest": 9,
	"internal/accuracy": 9,
	"cmd":               9,
	"hack":              9,
}

// heavy lists dependencies the scanner path must not pull in; they belong
// to the server, agent or Kubernetes faces only.
var heavyForScanner = []string{"k8s.io/", "github.com/jackc/pgx", "github.com/cilium/ebpf"}

func levelOf(pkg string) (int, bool) {
	best, lvl := "", 0
	for prefix, l := range levels {
		if (pkg == prefix || strings.HasPrefix(pkg, prefix+"/")) && len(prefix) > len(best) {
			best, lvl = prefix, l
		}
	}
	return lvl, best != ""
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// imports maps each package directory (relative to the root) to the set of
// packages its non-test files import.
func imports(t *testing.T, root string) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if out[rel] == nil {
			out[rel] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			out[rel][strings.Trim(imp.Path.Value, `"`)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLayering(t *testing.T) {
	root := repoRoot(t)
	var problems []string
	for pkg, imps := range imports(t, root) {
		if pkg == "." {
			continue
		}
		lvl, ok := levelOf(pkg)
		if !ok {
			problems = append(problems, pkg+": not in the layering table (add it to docs/architecture.md and this test)")
			continue
		}
		for imp := range imps {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			target := strings.TrimPrefix(imp, module+"/")
			if strings.HasPrefix(target, pkg+"/") {
				continue // own subpackage
			}
			tl, ok := levelOf(target)
			if !ok {
				problems = append(problems, pkg+" imports "+target+", which is not in the layering table")
				continue
			}
			if tl >= lvl {
				problems = append(problems, pkg+" (level "+itoa(lvl)+") imports "+target+" (level "+itoa(tl)+")")
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// TestScannerStaysLight keeps Kubernetes, PostgreSQL and eBPF libraries out
// of the packages a CI scan runs.
func TestScannerStaysLight(t *testing.T) {
	root := repoRoot(t)
	all := imports(t, root)
	for pkg, imps := range all {
		lvl, _ := levelOf(pkg)
		if !(strings.HasPrefix(pkg, "internal/scan") || strings.HasPrefix(pkg, "internal/catalog") ||
			strings.HasPrefix(pkg, "internal/ecosystem") || strings.HasPrefix(pkg, "internal/match") ||
			strings.HasPrefix(pkg, "internal/vulndb") || strings.HasPrefix(pkg, "internal/report")) || lvl > 5 {
			continue
		}
		for imp := range imps {
			for _, h := range heavyForScanner {
				if strings.HasPrefix(imp, h) {
					t.Errorf("%s imports %s: the scanner path must stay free of %s", pkg, imp, h)
				}
			}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
