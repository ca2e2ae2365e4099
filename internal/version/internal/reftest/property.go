package reftest

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// Lines reads a file of one version per line.
func Lines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// CheckOrder sorts versions with cmp and checks that the result is a
// consistent total preorder: every version equals itself, every pair is
// antisymmetric, and every pair agrees with the sorted positions (which,
// over all pairs, is transitivity). Every version must parse.
func CheckOrder(t *testing.T, versions []string, cmp func(a, b string) (int, error)) {
	t.Helper()
	for _, v := range versions {
		if c, err := cmp(v, v); err != nil || c != 0 {
			t.Errorf("Compare(%q, itself) = %d, %v", v, c, err)
		}
	}
	if t.Failed() {
		return
	}
	s := slices.Clone(versions)
	slices.SortStableFunc(s, func(a, b string) int {
		c, _ := cmp(a, b)
		return c
	})
	bad := 0
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			ab, _ := cmp(s[i], s[j])
			ba, _ := cmp(s[j], s[i])
			if ab != -ba || ab > 0 {
				bad++
				if bad <= 20 {
					t.Errorf("inconsistent order: Compare(%q, %q) = %d, reverse = %d", s[i], s[j], ab, ba)
				}
			}
		}
	}
}

// FuzzCompare is the body of every scheme's FuzzCompare target: Compare
// never panics, is antisymmetric, returns only -1, 0 or 1, treats a valid
// version as equal to itself, and names the offending input in errors.
func FuzzCompare(f *testing.F, cmp func(a, b string) (int, error), seeds []string) {
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, errAB := cmp(a, b)
		ba, errBA := cmp(b, a)
		if (errAB == nil) != (errBA == nil) {
			t.Fatalf("Compare(%q, %q) error %v, reverse error %v", a, b, errAB, errBA)
		}
		if errAB != nil {
			msg := errAB.Error()
			if !strings.Contains(msg, fmt.Sprintf("%q", a)) && !strings.Contains(msg, fmt.Sprintf("%q", b)) {
				t.Fatalf("error %q names neither %q nor %q", msg, a, b)
			}
			return
		}
		if ab < -1 || ab > 1 || ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d, reverse = %d", a, b, ab, ba)
		}
		if aa, err := cmp(a, a); err != nil || aa != 0 {
			t.Fatalf("Compare(%q, itself) = %d, %v", a, aa, err)
		}
	})
}

// SplitValid returns the versions cmp accepts and checks that exactly
// wantInvalid are rejected, so that a change in what a parser accepts
// shows up as a test failure.
func SplitValid(t *testing.T, versions []string, cmp func(a, b string) (int, error), wantInvalid []string) []string {
	t.Helper()
	var valid, invalid []string
	for _, v := range versions {
		if _, err := cmp(v, v); err != nil {
			invalid = append(invalid, v)
			continue
		}
		valid = append(valid, v)
	}
	slices.Sort(invalid)
	want := slices.Clone(wantInvalid)
	slices.Sort(want)
	if !slices.Equal(invalid, want) {
		t.Errorf("rejected versions = %q; want %q", invalid, want)
	}
	return valid
}

// Sample returns up to n versions spread evenly over the sorted unique
// list, so that order checks stay quadratic in n, not in the data size.
func Sample(versions []string, n int) []string {
	u := Unique(versions)
	if len(u) <= n {
		return u
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, u[i*len(u)/n])
	}
	return out
}
