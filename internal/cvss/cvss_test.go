package cvss

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestScore(t *testing.T) {
	tests := []struct {
		vector string
		want   float64
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N", 2.5},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:N/I:N/A:H", 6.5},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0},
		{"CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4},
		{"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6},
		{"AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5},
		{"(AV:N/AC:M/Au:N/C:N/I:P/A:N)", 4.3},
		{"AV:L/AC:L/Au:N/C:C/I:C/A:C", 7.2},
	}
	for _, tt := range tests {
		got, err := Score(tt.vector)
		if err != nil {
			t.Errorf("Score(%q): %v", tt.vector, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Score(%q) = %v, want %v", tt.vector, got, tt.want)
		}
	}
}

func TestScoreErrors(t *testing.T) {
	for _, v := range []string{
		"",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",          // A missing
		"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",      // bad value
		"CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", // repeated
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H",          // no scope
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
		"CVSS:9.9/AV:N",
		"AV:N/AC:L/Au:N/C:P/I:P",
		"garbage",
	} {
		if s, err := Score(v); err == nil {
			t.Errorf("Score(%q) = %v, want an error", v, s)
		}
	}
}

// TestScoreMatchesRedHat compares with the scores Red Hat published for
// every vector in its data.
func TestScoreMatchesRedHat(t *testing.T) {
	f, err := os.Open("testdata/redhat-scores.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		vector, score, _ := strings.Cut(line, "\t")
		want, err := strconv.ParseFloat(score, 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got, err := Score(vector)
		if err != nil {
			t.Errorf("Score(%q): %v", vector, err)
			continue
		}
		if got != want {
			t.Errorf("Score(%q) = %v, Red Hat says %v", vector, got, want)
		}
		n++
	}
	if n < 100 {
		t.Fatalf("only %d vectors checked", n)
	}
}

func TestRating(t *testing.T) {
	tests := []struct {
		score   float64
		version int
		want    string
	}{
		{0, 3, "NONE"}, {0.1, 3, "LOW"}, {3.9, 3, "LOW"}, {4.0, 3, "MEDIUM"}, {6.9, 3, "MEDIUM"},
		{7.0, 3, "HIGH"}, {8.9, 3, "HIGH"}, {9.0, 3, "CRITICAL"}, {10, 4, "CRITICAL"}, {10, 2, "HIGH"},
	}
	for _, tt := range tests {
		if got := Rating(tt.score, tt.version); got != tt.want {
			t.Errorf("Rating(%v, %d) = %s, want %s", tt.score, tt.version, got, tt.want)
		}
	}
}

func FuzzScore(f *testing.F) {
	f.Add("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	f.Add("AV:N/AC:L/Au:N/C:P/I:P/A:P")
	f.Add("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N")
	f.Fuzz(func(t *testing.T, v string) {
		s, err := Score(v)
		if err == nil && (s < 0 || s > 10) {
			t.Fatalf("Score(%q) = %v, outside 0..10", v, s)
		}
	})
}
