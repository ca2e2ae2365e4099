package sqlstore

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeTags(t *testing.T) {
	for _, tags := range [][]string{
		nil, {}, {"1.4"}, {"latest", "1.25", "1.25.3-bookworm"},
		{"a,b", `quote"d`, `back\slash`, "<html>", "ünï"},
	} {
		b, _ := json.Marshal(tags)
		got := decodeTags(string(b))
		var want []string
		_ = json.Unmarshal(b, &want)
		if len(want) == 0 {
			want = nil
		}
		if len(got) == 0 {
			got = nil
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("decodeTags(%s) (-want +got):\n%s", b, diff)
		}
	}
}

// FuzzDecodeTags checks the fast path against encoding/json for every
// array json.Marshal can write.
func FuzzDecodeTags(f *testing.F) {
	f.Add("1.4", "latest")
	f.Add(`a"b`, `c\d`)
	f.Fuzz(func(t *testing.T, a, b string) {
		enc, _ := json.Marshal([]string{a, b})
		var want []string
		_ = json.Unmarshal(enc, &want)
		if diff := cmp.Diff(want, decodeTags(string(enc))); diff != "" {
			t.Errorf("decodeTags(%s) (-want +got):\n%s", enc, diff)
		}
	})
}

func TestSplitFields(t *testing.T) {
	sep := string(rune(fieldSep))
	var out [3]string
	if !splitFields("a"+sep+sep+"c", out[:]) || out != [3]string{"a", "", "c"} {
		t.Errorf("splitFields(a,,c) = %q", out)
	}
	for _, bad := range []string{"a" + sep + "b", "a" + sep + "b" + sep + "c" + sep + "d", ""} {
		if splitFields(bad, out[:]) {
			t.Errorf("splitFields(%q) into 3 fields succeeded", bad)
		}
	}
}
