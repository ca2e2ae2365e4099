package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProfileRoundTrip(t *testing.T) {
	data, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseProfile("valid.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != ModeEnforce || len(p.Executables) != 3 || p.Executables[2].Role != RoleInterpreter {
		t.Fatalf("parsed profile = %+v", p)
	}
	for _, f := range []Format{YAML, JSON} {
		out, err := MarshalProfile(p, f)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseProfile("round trip "+string(f), out)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, back); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", f, diff)
		}
	}
	yamlOut, _ := MarshalProfile(p, YAML)
	if diff := cmp.Diff(string(data), string(yamlOut)); diff != "" {
		t.Errorf("YAML encoding is not the canonical file (-want +got):\n%s", diff)
	}
}

func TestParseProfileStrict(t *testing.T) {
	const head = "apiVersion: bulwark.dev/runtime-profile/v1\nimageDigest: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nrevision: 1\n"
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "  \n", "empty"},
		{"no version", "imageDigest: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", `apiVersion ""`},
		{"future version", strings.Replace(head, "/v1", "/v2", 1), "runtime-profile/v2"},
		{"unknown field", head + "mdoe: enforce\n", "mdoe"},
		{"unknown JSON field", `{"apiVersion":"bulwark.dev/runtime-profile/v1","imageDigest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","revision":1,"executables":[],"extra":1}`, "extra"},
		{"trailing JSON", `{"apiVersion":"bulwark.dev/runtime-profile/v1","imageDigest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","revision":1,"executables":[]} {}`, "trailing"},
		{"two documents", head + "---\n" + head, "more than one"},
		{"tag as digest", strings.Replace(head, "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "debian:12", 1), "debian:12"},
		{"bad mode", head + "mode: watch\n", `unknown mode "watch"`},
		{"self inherit", head + "inherit: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", "inherits from itself"},
		{"relative path", head + "executables:\n  - path: bin/ls\n    sha256: 2222222222222222222222222222222222222222222222222222222222222222\n", "not absolute"},
		{"short hash", head + "executables:\n  - path: /bin/ls\n    sha256: 2222\n", "64 lowercase hex"},
		{"bad role", head + "executables:\n  - path: /bin/ls\n    sha256: 2222222222222222222222222222222222222222222222222222222222222222\n    role: shell\n", `unknown role "shell"`},
		{"not yaml", "\t:::", "profile in.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseProfile("in.yaml", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), "in.yaml") && !strings.HasPrefix(tc.name, "no") {
				t.Errorf("err %q does not name the file", err)
			}
		})
	}
}

func TestDir(t *testing.T) {
	d := Dir(filepath.Join(t.TempDir(), "profiles"))
	got, err := d.Load()
	if err != nil || got != nil {
		t.Fatalf("Load of a missing dir = %v, %v; want nothing", got, err)
	}
	p := &Profile{ImageDigest: imgA, Revision: 1, Executables: []Executable{{Path: "/bin/true", SHA256: sumTrue, Role: RoleExec}}}
	if err := d.Save(p); err != nil {
		t.Fatal(err)
	}
	if err := d.Save(&Profile{ImageDigest: "bad"}); err == nil {
		t.Error("Save of an invalid profile succeeded")
	}
	got, err = d.Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*Profile{p}, got); diff != "" {
		t.Errorf("Load after Save (-want +got):\n%s", diff)
	}
	// A second file for the same image is ambiguous.
	data, _ := MarshalProfile(p, JSON)
	if err := os.WriteFile(filepath.Join(string(d), "copy.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load(); err == nil || !strings.Contains(err.Error(), "both describe") {
		t.Errorf("duplicate profiles: err = %v", err)
	}
}

func FuzzParseProfile(f *testing.F) {
	data, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"apiVersion":"bulwark.dev/runtime-profile/v1"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ParseProfile("fuzz", in)
		if err != nil {
			return
		}
		// Whatever parses must encode and parse back to the same profile.
		out, err := MarshalProfile(p, JSON)
		if err != nil {
			t.Fatalf("valid profile does not encode: %v", err)
		}
		back, err := ParseProfile("again", out)
		if err != nil {
			t.Fatalf("encoded profile does not parse: %v\n%s", err, out)
		}
		if diff := cmp.Diff(p.Executables, back.Executables, cmpEmpty); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	})
}

var cmpEmpty = cmp.FilterValues(func(a, b []Executable) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())
