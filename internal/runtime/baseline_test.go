package runtime

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	imgA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	imgB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	imgC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

	sumTrue = "1111111111111111111111111111111111111111111111111111111111111111"
	sumLs   = "2222222222222222222222222222222222222222222222222222222222222222"
	sumID   = "3333333333333333333333333333333333333333333333333333333333333333"
	sumLd   = "4444444444444444444444444444444444444444444444444444444444444444"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func exec(img, path, sum string, ino uint64) Exec {
	return Exec{ImageDigest: img, Path: path, SHA256: sum, Device: 64769, Inode: ino, Role: RoleExec}
}

// step is one event of a table: the exec, when it happens relative to t0,
// and the verdict expected.
type step struct {
	at         time.Duration
	e          Exec
	want       Action
	wantMode   Mode
	wantReason string // substring
}

func run(t *testing.T, b *Baseline, steps []step) {
	t.Helper()
	for i, s := range steps {
		v := b.Judge(s.e, t0.Add(s.at))
		if v.Action != s.want || v.Mode != s.wantMode || !strings.Contains(v.Reason, s.wantReason) {
			t.Errorf("step %d (%s): got %s/%s %q, want %s/%s containing %q", i, s.e.Path, v.Action, v.Mode, v.Reason, s.want, s.wantMode, s.wantReason)
		}
	}
}

func TestLearnThenJudge(t *testing.T) {
	ld := Executable{Path: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", SHA256: sumLd, Inode: 40}
	trueExec := exec(imgA, "/usr/bin/true", sumTrue, 10)
	trueExec.Interpreters = []Executable{ld}
	idAsTrue := exec(imgA, "/usr/bin/true", sumID, 30)
	ldDirect := exec(imgA, ld.Path, sumLd, 40)
	ldOpen := ldDirect
	ldOpen.Role = RoleInterpreter
	drift := exec(imgA, "/tmp/x", sumLs, 99)
	drift.Drift = true
	driftOnAllowedPath := exec(imgA, "/usr/bin/ls", sumLs, 98)
	driftOnAllowedPath.Drift = true

	tests := []struct {
		name  string
		def   Mode
		steps []step
	}{
		{"learn window then alert", ModeLearn, []step{
			{0, trueExec, Allow, ModeLearn, "learning"},
			{time.Minute, exec(imgA, "/usr/bin/ls", sumLs, 20), Allow, ModeLearn, "learning"},
			{time.Minute, drift, Alert, ModeLearn, "drift"},
			{20 * time.Minute, exec(imgA, "/usr/bin/id", sumID, 30), Alert, ModeAlert, "/usr/bin/id (sha256 333333333333) is not in the profile"},
			{21 * time.Minute, exec(imgA, "/usr/bin/ls", sumLs, 20), Allow, ModeAlert, "in profile as /usr/bin/ls"},
			// The same content under another path is the same program.
			{21 * time.Minute, exec(imgA, "/usr/local/bin/list", sumLs, 21), Allow, ModeAlert, "in profile as /usr/bin/ls"},
			// A different program under an allowed path is not.
			{22 * time.Minute, idAsTrue, Alert, ModeAlert, "/usr/bin/true is in the profile with different content"},
			{22 * time.Minute, driftOnAllowedPath, Alert, ModeAlert, "drift: /usr/bin/ls"},
			// ld.so was learned as an interpreter: opening it is fine, running it directly is not.
			{22 * time.Minute, ldOpen, Allow, ModeAlert, "in profile"},
			{22 * time.Minute, ldDirect, Alert, ModeAlert, "only allowed as an interpreter"},
			{23 * time.Minute, exec(imgB, "/usr/bin/true", sumTrue, 10), Allow, ModeLearn, "learning"},
		}},
		{"alert without profile", ModeAlert, []step{
			{0, trueExec, Alert, ModeAlert, "no profile for image " + imgA},
		}},
		{"enforce without profile", ModeEnforce, []step{
			{0, trueExec, Deny, ModeEnforce, "no profile"},
		}},
		{"unhashable", ModeLearn, []step{
			{0, exec(imgA, "/usr/bin/x", "", 5), Alert, ModeLearn, "could not be hashed"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewBaseline(tc.def, 15*time.Minute, nil)
			if err != nil {
				t.Fatal(err)
			}
			run(t, b, tc.steps)
		})
	}
}

func TestLearnedProfile(t *testing.T) {
	b, err := NewBaseline(ModeLearn, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := exec(imgA, "/usr/bin/true", sumTrue, 10)
	e.ImageName = "debian:12"
	e.Interpreters = []Executable{{Path: "/usr/lib/ld.so", SHA256: sumLd}}
	for range 3 {
		b.Judge(e, t0)
	}
	if got := b.FinishLearning(t0.Add(30 * time.Minute)); len(got) != 0 {
		t.Fatalf("FinishLearning before the window ended returned %d profiles", len(got))
	}
	done := b.FinishLearning(t0.Add(time.Hour))
	want := []*Profile{{
		ImageDigest: imgA, ImageName: "debian:12", Revision: 2,
		LearnStarted: t0, LearnCompleted: t0.Add(time.Hour),
		Executables: []Executable{
			{Path: "/usr/bin/true", SHA256: sumTrue, Device: 64769, Inode: 10, Role: RoleExec},
			{Path: "/usr/lib/ld.so", SHA256: sumLd, Role: RoleInterpreter},
		},
	}}
	if diff := cmp.Diff(want, done); diff != "" {
		t.Errorf("learned profile (-want +got):\n%s", diff)
	}
	if m := b.Mode(imgA, t0.Add(2*time.Hour)); m != ModeAlert {
		t.Errorf("mode after learning = %s, want alert", m)
	}
}

func TestInheritanceAndPerImageModes(t *testing.T) {
	base := &Profile{ImageDigest: imgA, Executables: []Executable{{Path: "/usr/bin/true", SHA256: sumTrue}}}
	child := &Profile{ImageDigest: imgB, Inherit: imgA, Mode: ModeEnforce, Executables: []Executable{{Path: "/usr/bin/ls", SHA256: sumLs}}}
	// A cycle in hand-edited files must end, not loop.
	loop := &Profile{ImageDigest: imgC, Inherit: imgB, Mode: ModeLearn}
	base.Inherit = imgC
	b, err := NewBaseline(ModeAlert, 0, []*Profile{base, child, loop})
	if err != nil {
		t.Fatal(err)
	}
	run(t, b, []step{
		{0, exec(imgB, "/usr/bin/true", sumTrue, 1), Allow, ModeEnforce, "in profile as /usr/bin/true"},
		{0, exec(imgB, "/usr/bin/ls", sumLs, 2), Allow, ModeEnforce, "in profile"},
		{0, exec(imgB, "/usr/bin/id", sumID, 3), Deny, ModeEnforce, "not in the profile"},
		{0, exec(imgA, "/usr/bin/id", sumID, 3), Alert, ModeAlert, "not in the profile"},
		{0, exec(imgC, "/usr/bin/id", sumID, 3), Allow, ModeLearn, "learning"},
	})
	list, ok := b.Allowlist(imgB)
	if !ok || len(list) != 3 {
		t.Errorf("Allowlist(imgB) = %v, %v; want 3 entries through the chain", list, ok)
	}
}

func TestNewBaselineErrors(t *testing.T) {
	if _, err := NewBaseline("watch", 0, nil); err == nil {
		t.Error("unknown mode accepted")
	}
	if _, err := NewBaseline(ModeLearn, -time.Second, nil); err == nil {
		t.Error("negative window accepted")
	}
	bad := &Profile{ImageDigest: "latest"}
	if _, err := NewBaseline(ModeAlert, 0, []*Profile{bad}); err == nil || !strings.Contains(err.Error(), "latest") {
		t.Errorf("invalid profile: err = %v, want one naming the digest", err)
	}
}
