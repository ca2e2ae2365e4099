package osv

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestIntervals(t *testing.T) {
	ev := func(kind, v string) Event {
		switch kind {
		case "i":
			return Event{Introduced: v}
		case "f":
			return Event{Fixed: v}
		case "l":
			return Event{LastAffected: v}
		}
		return Event{Limit: v}
	}
	tests := []struct {
		name   string
		events []Event
		want   []Bounds
	}{
		{"two ranges (Go stdlib)", []Event{ev("i", "0"), ev("f", "1.10.6"), ev("i", "1.11.0-0"), ev("f", "1.11.3")},
			[]Bounds{{Introduced: "0", Fixed: "1.10.6"}, {Introduced: "1.11.0-0", Fixed: "1.11.3"}}},
		{"last_affected", []Event{ev("i", "0"), ev("l", "4.5.1")}, []Bounds{{Introduced: "0", LastAffected: "4.5.1"}}},
		{"open ended", []Event{ev("i", "2.0.0")}, []Bounds{{Introduced: "2.0.0"}}},
		{"fixed without introduced", []Event{ev("f", "1.2")}, []Bounds{{Introduced: "0", Fixed: "1.2"}}},
		{"introduced twice", []Event{ev("i", "1"), ev("i", "3"), ev("f", "4")}, []Bounds{{Introduced: "1"}, {Introduced: "3", Fixed: "4"}}},
		{"limit ignored", []Event{ev("i", "0"), ev("x", "abc")}, []Bounds{{Introduced: "0"}}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		got := Range{Type: "SEMVER", Events: tt.events}.Intervals()
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestParse(t *testing.T) {
	raw := `{"schema_version":"1.4.0","id":"GHSA-29mw-wpgm-hmr9","modified":"2023-10-24T21:03:51Z","published":"2022-01-06T20:30:46.123Z",
	"aliases":["CVE-2020-28500"],"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}],
	"unknown_field":{"x":1}}`
	e, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if e.PreferredID() != "CVE-2020-28500" {
		t.Errorf("PreferredID = %s", e.PreferredID())
	}
	if diff := cmp.Diff([]string{"GHSA-29mw-wpgm-hmr9"}, e.OtherIDs("CVE-2020-28500")); diff != "" {
		t.Errorf("OtherIDs (-want +got):\n%s", diff)
	}
	if want := time.Date(2022, 1, 6, 20, 30, 46, 123e6, time.UTC); !e.Published.Equal(want) {
		t.Errorf("Published = %v, want %v", e.Published, want)
	}
	for _, bad := range []string{
		`{"id":""}`,
		`not json`,
		`{"id":"X","affected":[{"ranges":[{"events":[]}]}]}`,
		`{"id":"X","affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":0}]}]}]}`,
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s): no error", bad)
		}
	}
}

func TestPreferredID(t *testing.T) {
	for _, tt := range []struct {
		e    Entry
		want string
	}{
		{Entry{ID: "CVE-2024-1"}, "CVE-2024-1"},
		{Entry{ID: "DEBIAN-CVE-2023-50387"}, "CVE-2023-50387"},
		{Entry{ID: "UBUNTU-CVE-2021-23239", Upstream: []string{"CVE-2021-23239"}}, "CVE-2021-23239"},
		{Entry{ID: "GHSA-29mw-wpgm-hmr9", Aliases: []string{"CVE-2020-28500"}}, "CVE-2020-28500"},
		{Entry{ID: "GO-2024-2730"}, "GO-2024-2730"},
		{Entry{ID: "A-B-CVE-1"}, "A-B-CVE-1"},
	} {
		if got := tt.e.PreferredID(); got != tt.want {
			t.Errorf("PreferredID(%s) = %s, want %s", tt.e.ID, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2024-05-07T21:34:28Z":             time.Date(2024, 5, 7, 21, 34, 28, 0, time.UTC),
		"2023-10-14T02:15:09.323":          time.Date(2023, 10, 14, 2, 15, 9, 323e6, time.UTC),
		"2016-05-05 01:59:00":              time.Date(2016, 5, 5, 1, 59, 0, 0, time.UTC),
		"2024-07-24":                       time.Date(2024, 7, 24, 0, 0, 0, 0, time.UTC),
		"2024-01-09T20:29:38.866409+01:00": time.Date(2024, 1, 9, 19, 29, 38, 866409000, time.UTC),
		"yesterday":                        {},
	} {
		if got := ParseTime(in); !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"id":"GO-2022-0191","aliases":["CVE-2018-16875"],"affected":[{"package":{"name":"stdlib","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.10.6"}]}],"ecosystem_specific":{"imports":[{"path":"crypto/x509","symbols":["Certificate.buildChains"]}]}}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := Parse(raw)
		if err != nil {
			return
		}
		if e.ID == "" || e.PreferredID() == "" {
			t.Fatal("parsed a record without an id")
		}
		for _, a := range e.Affected {
			for _, r := range a.Ranges {
				r.Intervals()
			}
		}
	})
}
