package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-security/bulwark/internal/runtime"
)

const agentTestDigest = "sha256:98e1325ff4bc5c500e1a0338eb51875cd747c348f40a2fcef08fa726acf75583"

func TestAgentProfilesCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profiles")
	cache := t.TempDir()
	p := &runtime.Profile{
		ImageDigest: agentTestDigest, ImageName: "bulwark-test/debian12-base:1", Mode: runtime.ModeEnforce, Revision: 3,
		Executables: []runtime.Executable{{Path: "/usr/bin/ls", SHA256: strings.Repeat("2", 64), Role: runtime.RoleExec}},
	}
	data, err := runtime.MarshalProfile(p, runtime.JSON)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "in.json")
	os.WriteFile(in, data, 0o644)
	agent := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"--cache-dir", cache, "agent", "profiles", "--profiles", dir}, args...)...)
	}

	if code, _, stderr := agent("import", in); code != ExitOK || !strings.Contains(stderr, "revision 3") {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := agent("show")
	if code != ExitOK || !strings.Contains(stdout, "98e1325ff4bc") || !strings.Contains(stdout, "enforce") {
		t.Fatalf("show: exit %d: %s%s", code, stdout, stderr)
	}
	code, stdout, _ = agent("show", "bulwark-test/debian12-base:1")
	if code != ExitOK || !strings.HasPrefix(stdout, "apiVersion: "+runtime.APIVersion) {
		t.Fatalf("show NAME: exit %d: %s", code, stdout)
	}
	code, stdout, _ = agent("export", "98e1325f", "--format", "json")
	if _, err := runtime.ParseProfile("export", []byte(stdout)); code != ExitOK || err != nil {
		t.Fatalf("export: exit %d, %v: %s", code, err, stdout)
	}
	if code, _, _ := agent("export", "98e1325f", "--format", "xml"); code != ExitUsage {
		t.Errorf("export --format xml: exit %d, want %d", code, ExitUsage)
	}
	if code, _, stderr := agent("show", "nosuch"); code != ExitUsage || !strings.Contains(stderr, "nosuch") {
		t.Errorf("show unknown: exit %d: %s", code, stderr)
	}

	// edit: a scripted editor switches the mode; the revision goes up.
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", "sed -i 's/^mode: enforce/mode: alert/'")
	if code, _, stderr := agent("edit", agentTestDigest); code != ExitOK || !strings.Contains(stderr, "revision 4") {
		t.Fatalf("edit: exit %d: %s", code, stderr)
	}
	got, err := runtime.Dir(dir).Load()
	if err != nil || len(got) != 1 || got[0].Mode != runtime.ModeAlert || got[0].Revision != 4 {
		t.Fatalf("after edit: %+v, %v", got, err)
	}
	// An edit that breaks the file is refused and the copy kept.
	t.Setenv("EDITOR", "sed -i 's/^mode: alert/mode: watch/'")
	if code, _, stderr := agent("edit", agentTestDigest); code != ExitUsage || !strings.Contains(stderr, "copy is kept") {
		t.Errorf("invalid edit: exit %d: %s", code, stderr)
	}

	// The older revision 3 no longer replaces revision 4.
	if code, _, stderr := agent("import", in); code != ExitUsage || !strings.Contains(stderr, "older") {
		t.Errorf("import of an older revision: exit %d: %s", code, stderr)
	}
	if code, _, _ := agent("import", "--force", in); code != ExitOK {
		t.Errorf("import --force: exit %d", code)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: nope\n"), 0o644)
	if code, _, stderr := agent("import", bad); code != ExitUsage || !strings.Contains(stderr, "bad.yaml") {
		t.Errorf("import of a bad file: exit %d: %s", code, stderr)
	}
}

func TestAgentFlags(t *testing.T) {
	if code, _, stderr := runCLI(t, "--cache-dir", t.TempDir(), "agent", "--mode", "watch"); code != ExitUsage || !strings.Contains(stderr, "watch") {
		t.Errorf("--mode watch: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "--cache-dir", t.TempDir(), "agent", "--enforcers", "selinux"); code != ExitUsage || !strings.Contains(stderr, "selinux") {
		t.Errorf("--enforcers selinux: exit %d: %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "--cache-dir", t.TempDir(), "agent", "--learn-for", "-1m"); code != ExitUsage {
		t.Errorf("negative --learn-for: exit %d", code)
	}
}
