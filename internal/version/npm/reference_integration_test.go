//go:build integration

package npm_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/version/internal/reftest"
	"github.com/bulwark-security/bulwark/internal/version/npm"
	"github.com/bulwark-security/bulwark/internal/version/semver"
)

// nodeSemver answers with npm's own semver library, in one process:
// "C\ta\tb" -> order, "S\tversion\trange" -> true/false/invalid.
const nodeSemver = `
const semver = require('semver');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(l => l);
const out = [];
for (const l of lines) {
  const f = l.split('\t');
  if (f[0] === 'C') out.push(String(semver.compare(f[1], f[2])));
  else if (semver.validRange(f[2]) === null) out.push('invalid');
  else out.push(String(semver.satisfies(f[1], f[2])));
}
console.log(out.join('\n'));
`

func requireNodeSemver(t *testing.T) {
	reftest.Require(t, reftest.CheckCommand("env", "NODE_PATH=/usr/share/nodejs", "node", "-e", "require('semver')"), "nodejs", "node-semver")
}

// strictVersions keeps the versions node-semver itself accepts; Parse also
// reads "6.0" as 6.0.0, which node-semver refuses to compare.
func strictVersions(t *testing.T) []string {
	var out []string
	for _, v := range reftest.Unique(reftest.OSVVersions(t, filepath.Join(reftest.SharedDir(t), "ghsa", "npm.jsonl"))) {
		if _, err := semver.ParseStrict(strings.TrimPrefix(v, "v")); err == nil {
			out = append(out, v)
		}
	}
	return out
}

func TestCompareAgainstNodeSemver(t *testing.T) {
	requireNodeSemver(t)
	versions := strictVersions(t)
	c := npm.Comparator{}
	pairs := reftest.Pairs(versions, c.Compare, 5000)
	var in strings.Builder
	for _, p := range pairs {
		in.WriteString("C\t" + p[0] + "\t" + p[1] + "\n")
	}
	want := reftest.Run(t, in.String(), "env", "NODE_PATH=/usr/share/nodejs", "node", "-e", nodeSemver)
	reftest.Agree(t, pairs, c.Compare, want)
}

// TestSatisfiesAgainstNodeSemver checks ranges of every syntactic form,
// built around real versions, against node-semver's satisfies.
func TestSatisfiesAgainstNodeSemver(t *testing.T) {
	requireNodeSemver(t)
	versions := strictVersions(t)
	r := rand.New(rand.NewPCG(3, 4))
	pick := func() semver.Version {
		v, _ := npm.Parse(versions[r.IntN(len(versions))])
		return v
	}
	forms := []func(a, b semver.Version) string{
		func(a, b semver.Version) string { return ">=" + a.String() + " <" + b.String() },
		func(a, b semver.Version) string { return "^" + a.String() },
		func(a, b semver.Version) string { return "~" + a.String() },
		func(a, b semver.Version) string { return a.String() + " - " + b.String() },
		func(a, b semver.Version) string { return fmt.Sprintf("^%d.%d", a.Major, a.Minor) },
		func(a, b semver.Version) string { return fmt.Sprintf("^0.%d.%d", a.Minor, a.Patch) },
		func(a, b semver.Version) string { return fmt.Sprintf("^0.0.%d", a.Patch) },
		func(a, b semver.Version) string { return fmt.Sprintf("~%d", a.Major) },
		func(a, b semver.Version) string { return fmt.Sprintf("~> %d.%d", a.Major, a.Minor) },
		func(a, b semver.Version) string { return fmt.Sprintf("%d.x", a.Major) },
		func(a, b semver.Version) string { return fmt.Sprintf("%d.%d.*", a.Major, a.Minor) },
		func(a, b semver.Version) string { return fmt.Sprintf("<%d.%d", a.Major, a.Minor) },
		func(a, b semver.Version) string { return fmt.Sprintf(">%d", a.Major) },
		func(a, b semver.Version) string { return fmt.Sprintf(">%d.%d", a.Major, a.Minor) },
		func(a, b semver.Version) string { return fmt.Sprintf("<=%d.%d", a.Major, a.Minor) },
		func(a, b semver.Version) string { return fmt.Sprintf("<=%d", a.Major) },
		func(a, b semver.Version) string { return fmt.Sprintf("%d.%d - %d", a.Major, a.Minor, b.Major) },
		func(a, b semver.Version) string { return "<" + a.String() + " || >=" + b.String() },
		func(a, b semver.Version) string { return ">= " + a.String() + " <= " + b.String() },
		func(a, b semver.Version) string { return "=" + a.String() },
		func(a, b semver.Version) string { return "v" + a.String() },
		func(a, b semver.Version) string { return "*" },
		func(a, b semver.Version) string { return "" },
		func(a, b semver.Version) string { return "x || " + b.String() },
		func(a, b semver.Version) string {
			return fmt.Sprintf(">%d.%d.%d-0 <%d.%d.%d", a.Major, a.Minor, a.Patch, a.Major, a.Minor, a.Patch)
		},
		func(a, b semver.Version) string { return fmt.Sprintf(">=%d.%d.%d-beta.1", a.Major, a.Minor, a.Patch) },
		func(a, b semver.Version) string { return ">=" + a.String() + " <" + b.String() + " || ^" + b.String() },
		func(a, b semver.Version) string { return "1.2.3.4" },
		func(a, b semver.Version) string { return ">=abc" },
	}
	type query struct{ v, rng string }
	var qs []query
	for i := 0; i < 6000; i++ {
		a, b := pick(), pick()
		if semver.Compare(a, b) > 0 {
			a, b = b, a
		}
		v := pick()
		if i%3 == 0 {
			v = a // on the boundary
		}
		qs = append(qs, query{v.String(), forms[i%len(forms)](a, b)})
	}
	var in strings.Builder
	for _, q := range qs {
		in.WriteString("S\t" + q.v + "\t" + q.rng + "\n")
	}
	want := reftest.Run(t, in.String(), "env", "NODE_PATH=/usr/share/nodejs", "node", "-e", nodeSemver)
	if len(want) != len(qs) {
		t.Fatalf("got %d answers for %d queries", len(want), len(qs))
	}
	bad := 0
	for i, q := range qs {
		got, err := npm.Satisfies(q.v, q.rng)
		g := fmt.Sprint(got)
		if err != nil {
			g = "invalid"
		}
		if g != want[i] {
			bad++
			if bad <= 30 {
				t.Errorf("Satisfies(%q, %q) = %s (err %v), node-semver says %s", q.v, q.rng, g, err, want[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d range queries disagree with node-semver", bad, len(qs))
	}
}
