package match

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/bulwark-security/bulwark/internal/match/ignore"
	"github.com/bulwark-security/bulwark/internal/match/vex"
	"github.com/bulwark-security/bulwark/internal/model"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/*.txtar from the results")

// TestCases runs every testdata/*.txtar case. Sections:
//
//	inventory   compact inventory lines (see parseInventory)
//	advisories  model.Affected JSON, one per line
//	vulns       model.Vulnerability JSON, one per line
//	namespaces  extra namespaces that hold data (one per line); every
//	            namespace named in advisories holds data
//	options     show-unreachable | now YYYY-MM-DD
//	vex/NAME    a VEX document applied after matching
//	ignore.yaml an ignore file applied after VEX
//	want        one line per finding: id eco/name version state severity
//	            reachability suppression ("-" for empty)
//	fields      "id eco/name field=value": a finding's field (see fieldOf)
//	reasons     "id eco/name: text": the finding's reason contains text
//	unknowns    "eco/name: text": an unknown whose reason contains text;
//	            every unknown must be listed
//	warnings    the ignore file's warnings, exactly
//	explain[/N] first line the id; then "eco/name state: text" lines for
//	            package verdicts with a record or, with state "none",
//	            without one; a leading "!" means no such verdict
func TestCases(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no test cases in testdata")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			runCase(t, file)
		})
	}
}

func runCase(t *testing.T, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sec := map[string]string{}
	var vexNames []string
	for _, f := range ar.Files {
		sec[f.Name] = string(f.Data)
		if strings.HasPrefix(f.Name, "vex/") {
			vexNames = append(vexNames, f.Name)
		}
	}
	inv, err := parseInventory(sec["inventory"])
	if err != nil {
		t.Fatalf("inventory: %v", err)
	}
	r := newMemReader()
	if err := r.load(sec["advisories"], sec["vulns"], sec["namespaces"]); err != nil {
		t.Fatal(err)
	}
	opts := Options{}
	now := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	for _, line := range lines(sec["options"]) {
		switch f := strings.Fields(line); f[0] {
		case "show-unreachable":
			opts.ShowUnreachable = true
		case "now":
			if now, err = time.Parse(time.DateOnly, f[1]); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("unknown option %q", line)
		}
	}
	ctx := context.Background()
	findings, unknowns, err := New(r, opts).Match(ctx, inv)
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	var docs []*vex.Document
	for _, name := range vexNames {
		d, err := vex.Parse([]byte(sec[name]), name)
		if err != nil {
			t.Fatalf("vex %s: %v", name, err)
		}
		docs = append(docs, d)
	}
	vex.Apply(findings, inv.Image.Digest, docs)
	var warnings []string
	if y, ok := sec["ignore.yaml"]; ok {
		f, err := ignore.Parse([]byte(y), "ignore.yaml")
		if err != nil {
			t.Fatalf("ignore.yaml: %v", err)
		}
		warnings = f.Apply(findings, now)
	}

	var got []string
	for _, f := range findings {
		if f.Reason == "" || f.DataSource == "" || f.Namespace == "" {
			t.Errorf("%s %s: finding without reason, data source or namespace: %+v", f.VulnID, f.Package.Name, f)
		}
		got = append(got, wantLine(&f))
	}
	if *update {
		rewriteWant(t, file, ar, got)
	} else if diff := cmp.Diff(lines(sec["want"]), got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
		for _, f := range findings {
			t.Logf("%s %s: %s", f.VulnID, f.Package.Name, f.Reason)
		}
	}
	for _, line := range lines(sec["fields"]) {
		id, pkg, rest := splitKey(t, line, " ")
		field, want, _ := strings.Cut(rest, "=")
		f := findFinding(t, findings, id, pkg)
		if f == nil {
			continue
		}
		if got := fieldOf(f, field); got != want {
			t.Errorf("%s %s: %s = %q, want %q", id, pkg, field, got, want)
		}
	}
	for _, line := range lines(sec["reasons"]) {
		id, pkg, text := splitKey(t, line, ": ")
		if f := findFinding(t, findings, id, pkg); f != nil && !strings.Contains(f.Reason, text) {
			t.Errorf("%s %s: reason %q does not contain %q", id, pkg, f.Reason, text)
		}
	}
	checkUnknowns(t, lines(sec["unknowns"]), unknowns)
	if diff := cmp.Diff(lines(sec["warnings"]), warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	for _, f := range ar.Files {
		if f.Name == "explain" || strings.HasPrefix(f.Name, "explain/") {
			checkExplain(t, r, inv, lines(string(f.Data)))
		}
	}
}

func wantLine(f *model.Finding) string {
	sup := "-"
	if f.Suppressed != nil {
		sup = f.Suppressed.Kind
	}
	return strings.Join([]string{f.VulnID, string(f.Package.Ecosystem) + "/" + f.Package.Name, f.Package.Version,
		string(f.State), string(f.Severity), dash(string(f.Reachability)), sup}, " ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fieldOf renders the finding fields the fields section can check.
func fieldOf(f *model.Finding, field string) string {
	switch field {
	case "aliases":
		return strings.Join(f.Aliases, ",")
	case "advisories":
		return strings.Join(f.AdvisoryIDs, ",")
	case "fixed":
		return strings.Join(f.FixedVersions, ",")
	case "status":
		return string(f.VendorStatus)
	case "urgency":
		return f.Urgency
	case "source":
		return f.DataSource
	case "namespace":
		return f.Namespace
	case "severitySource":
		return f.SeveritySource
	case "cvss":
		return fmt.Sprintf("%.1f %s", f.CVSSScore, f.CVSSVector)
	case "kev":
		return fmt.Sprint(f.KEV)
	case "epss":
		return fmt.Sprint(f.EPSS)
	case "summary":
		return f.Summary
	case "symbols":
		return strings.Join(f.ReachableSymbols, ",")
	case "notes":
		return strings.Join(f.Notes, " | ")
	case "dev":
		return fmt.Sprint(f.Package.Dev)
	case "suppressed":
		if f.Suppressed == nil {
			return ""
		}
		s := f.Suppressed
		return strings.TrimRight(strings.Join([]string{s.Kind, s.Reason, s.Source, s.Owner, s.Justification}, " | "), " |")
	}
	return "unknown field " + field
}

func splitKey(t *testing.T, line, sep string) (id, pkg, rest string) {
	t.Helper()
	id, after, ok := strings.Cut(line, " ")
	if !ok {
		t.Fatalf("bad line %q", line)
	}
	pkg, rest, ok = strings.Cut(after, sep)
	if !ok {
		t.Fatalf("bad line %q", line)
	}
	return id, pkg, rest
}

func findFinding(t *testing.T, fs []model.Finding, id, pkg string) *model.Finding {
	t.Helper()
	for i := range fs {
		if fs[i].VulnID == id && string(fs[i].Package.Ecosystem)+"/"+fs[i].Package.Name == pkg {
			return &fs[i]
		}
	}
	t.Errorf("no finding %s for %s", id, pkg)
	return nil
}

func checkUnknowns(t *testing.T, want []string, got []model.Unknown) {
	t.Helper()
	var rendered []string
	for _, u := range got {
		rendered = append(rendered, string(u.Package.Ecosystem)+"/"+u.Package.Name+": "+u.Reason)
	}
	if len(want) != len(rendered) {
		t.Errorf("unknowns: got %d, want %d:\n%s", len(rendered), len(want), strings.Join(rendered, "\n"))
		return
	}
	for i, w := range want {
		key, text, _ := strings.Cut(w, ": ")
		if !strings.HasPrefix(rendered[i], key+": ") || !strings.Contains(rendered[i], text) {
			t.Errorf("unknown %d = %q, want %q", i, rendered[i], w)
		}
	}
}

func checkExplain(t *testing.T, r *memReader, inv *model.Inventory, want []string) {
	t.Helper()
	x, err := Explain(context.Background(), r, inv, want[0])
	if err != nil {
		t.Fatalf("Explain: %v", err)
	}
	for _, w := range want[1:] {
		negate := strings.HasPrefix(w, "!")
		w = strings.TrimPrefix(w, "!")
		head, text, _ := strings.Cut(w, ": ")
		pkg, state, _ := strings.Cut(head, " ")
		found := false
		for _, pv := range x.Packages {
			if string(pv.Package.Ecosystem)+"/"+pv.Package.Name != pkg {
				continue
			}
			st := string(pv.State)
			if !pv.HasRecord {
				st = "none"
			}
			if st == state && strings.Contains(pv.Reason, text) {
				found = true
			}
		}
		if negate && found {
			t.Errorf("explain %s: unexpected verdict %q", want[0], w)
			continue
		}
		if !found && !negate {
			var all []string
			for _, pv := range x.Packages {
				all = append(all, fmt.Sprintf("%s/%s %s %v: %s", pv.Package.Ecosystem, pv.Package.Name, pv.State, pv.HasRecord, pv.Reason))
			}
			t.Errorf("explain %s: no verdict %q in:\n%s", want[0], w, strings.Join(all, "\n"))
		}
	}
}

func rewriteWant(t *testing.T, file string, ar *txtar.Archive, got []string) {
	t.Helper()
	data := strings.Join(got, "\n") + "\n"
	replaced := false
	for i := range ar.Files {
		if ar.Files[i].Name == "want" {
			ar.Files[i].Data, replaced = []byte(data), true
		}
	}
	if !replaced {
		ar.Files = append(ar.Files, txtar.File{Name: "want", Data: []byte(data)})
	}
	if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lines returns the non-empty, non-comment lines of a section.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}
