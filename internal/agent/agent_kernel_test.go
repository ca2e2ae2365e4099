//go:build kernel

package agent

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-security/bulwark/internal/runtime"
)

// The kernel tier runs the agent in-process against real containers. It
// needs root, a kernel with BTF and a Docker Engine with the test images
// (scripts/setup-test-env.sh).

const (
	baseImage = "bulwark-test/debian12-base:1"
	appImage  = "bulwark-test/debian12-app:1"
)

func requireKernel(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("kernel without BTF: the agent cannot run here")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the kernel tests need root")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Docker Engine not available (run scripts/setup-test-env.sh): %v", err)
		}
		t.Skipf("Docker Engine not available: %v", err)
	}
	for _, img := range []string{baseImage, appImage} {
		if err := exec.Command("docker", "image", "inspect", img).Run(); err != nil {
			t.Fatalf("test image %s missing (run ../shared/tools/make-test-images): %v", img, err)
		}
	}
}

func startContainer(t *testing.T, image string) *Container {
	t.Helper()
	out, err := exec.Command("docker", "run", "-d", "--network", "none", image, "sleep", "600").CombinedOutput()
	if err != nil {
		t.Fatalf("docker run %s: %v\n%s", image, err, out)
	}
	id := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", id).Run() })
	d, err := NewDocker("")
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Inspect(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dexec runs argv in container c and returns its combined output and error.
func dexec(c *Container, argv ...string) (string, error) {
	out, err := exec.Command("docker", append([]string{"exec", c.ID}, argv...)...).CombinedOutput()
	return string(out), err
}

func mustExec(t *testing.T, c *Container, argv ...string) {
	t.Helper()
	if out, err := dexec(c, argv...); err != nil {
		t.Fatalf("docker exec %.12s %v: %v\n%s", c.ID, argv, err, out)
	}
}

func mustFail(t *testing.T, c *Container, argv ...string) string {
	t.Helper()
	out, err := dexec(c, argv...)
	if err == nil {
		t.Fatalf("docker exec %.12s %v succeeded, want it blocked\n%s", c.ID, argv, out)
	}
	return out
}

func execOf(c *Container, p string, verdict runtime.Action) func(*Event) bool {
	return func(e *Event) bool {
		return e.Type == EventExec && e.ContainerID == c.ID && e.Path == p && e.Verdict == string(verdict)
	}
}

// runAgent starts an agent and returns it with a stop function that waits
// for Run to return.
func runAgent(t *testing.T, opts Options) (*Agent, *recorder, func()) {
	t.Helper()
	rec := newRecorder()
	d, err := NewDocker("")
	if err != nil {
		t.Fatal(err)
	}
	opts.Runtime, opts.Sink, opts.Tick = d, rec, 200*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	rec.wait(t, "agent started", func(e *Event) bool { return e.Type == EventAgent && e.Message == "started" })
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent Run: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("agent Close: %v", err)
		}
	}
	t.Cleanup(stop)
	return a, rec, stop
}

func TestAgentLearnAlertEnforce(t *testing.T) {
	requireKernel(t)
	dir := runtime.Dir(t.TempDir())
	a := startContainer(t, baseImage)
	other := startContainer(t, appImage)

	// Learn: the first exec opens a 3s window for the image; then alert.
	_, rec, stop := runAgent(t, Options{Mode: runtime.ModeLearn, LearnFor: 3 * time.Second, Profiles: dir})
	mustExec(t, a, "/bin/true")
	mustExec(t, a, "/bin/ls", "/")
	mustExec(t, a, "/usr/bin/sleep", "0") // the entrypoint, so that a restart passes in enforce mode
	rec.wait(t, "ls learned", execOf(a, "/usr/bin/ls", runtime.Allow))
	rec.wait(t, "learning complete", func(e *Event) bool {
		return e.Type == EventAgent && e.Message == "learning complete" && e.ImageDigest == a.ImageID
	})
	saved, err := dir.Load()
	if err != nil {
		t.Fatal(err)
	}
	var prof *runtime.Profile
	for _, p := range saved {
		if p.ImageDigest == a.ImageID {
			prof = p
		}
	}
	if prof == nil {
		t.Fatalf("no saved profile for %s in %v", a.ImageID, saved)
	}
	paths := map[string]runtime.Role{}
	for _, e := range prof.Executables {
		paths[e.Path] = e.Role
	}
	for p, role := range map[string]runtime.Role{
		"/usr/bin/true": runtime.RoleExec, "/usr/bin/ls": runtime.RoleExec,
		"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": runtime.RoleInterpreter,
	} {
		if paths[p] != role {
			t.Errorf("learned profile: %s has role %q, want %q (profile %+v)", p, paths[p], role, prof.Executables)
		}
	}
	if _, ok := paths["/usr/bin/id"]; ok {
		t.Errorf("id learned without running")
	}
	for p := range paths {
		if strings.Contains(p, "runc") || strings.Contains(p, "docker") {
			t.Errorf("host program %s learned into the container's profile", p)
		}
	}

	// Alert (same agent, window over): allowed runs quietly, others are reported.
	mustExec(t, a, "/bin/ls", "/")
	mustExec(t, a, "/usr/bin/id")
	idEv := rec.wait(t, "id alert", execOf(a, "/usr/bin/id", runtime.Alert))
	if idEv.Mode != "alert" || idEv.Mechanism != MechObserve || len(idEv.SHA256) != 64 || len(idEv.Parents) == 0 || idEv.ImageName != baseImage {
		t.Errorf("id alert event incomplete: %+v", *idEv)
	}
	mustExec(t, a, "sh", "-c", "cp /bin/ls /tmp/x && /tmp/x /")
	drift := rec.wait(t, "drift alert", execOf(a, "/tmp/x", runtime.Alert))
	if !drift.Drift || !strings.Contains(drift.Reason, "drift") {
		t.Errorf("copied binary not reported as drift: %+v", *drift)
	}
	if err := exec.Command("/usr/bin/id").Run(); err != nil {
		t.Errorf("host exec: %v", err)
	}
	stop()
	for _, e := range rec.all() {
		if e.Type == EventExec && e.ContainerID != a.ID && e.ContainerID != other.ID {
			t.Errorf("event for a process outside the test containers: %+v", *e)
		}
		if e.Type == EventExec && e.ContainerID == a.ID && e.Path == "/usr/bin/ls" && e.Verdict != "allow" {
			t.Errorf("allowed binary reported: %+v", *e)
		}
	}

	// Enforce per image: the profile says enforce, the agent default stays alert.
	prof = nil
	saved, _ = dir.Load()
	for _, p := range saved {
		if p.ImageDigest == a.ImageID {
			prof = p
		}
	}
	prof.Mode = runtime.ModeEnforce
	if err := dir.Save(prof); err != nil {
		t.Fatal(err)
	}
	// A second container of the image with another binary at an allowed path.
	a2 := startContainer(t, baseImage)
	mustExec(t, a2, "cp", "/usr/bin/id", "/usr/bin/ls")

	for _, mech := range []string{MechFanotify, MechKill} {
		t.Run(mech, func(t *testing.T) {
			enforcers := []string{mech}
			if mech == MechFanotify {
				enforcers = nil // the default order; BPF LSM is probed and, on kernels refusing it, skipped
			}
			ag, rec, stop := runAgent(t, Options{Mode: runtime.ModeAlert, Profiles: dir, Enforcers: enforcers})
			defer stop()
			if ag.Enforcer() != mech {
				t.Fatalf("enforcer = %q, want %q (probes %v)", ag.Enforcer(), mech, ag.Probes())
			}
			mustExec(t, a, "/bin/true")
			mustExec(t, a, "/bin/ls", "/")
			out := mustFail(t, a, "/usr/bin/id")
			denied := rec.wait(t, "id denied", execOf(a, "/usr/bin/id", runtime.Deny))
			if denied.Mechanism != mech {
				t.Errorf("id denied by %q, want %q", denied.Mechanism, mech)
			}
			if mech == MechFanotify && !strings.Contains(out, "operation not permitted") {
				t.Errorf("fanotify denial is not EPERM: %s", out)
			}
			mustFail(t, a, "/tmp/x", "/")
			if e := rec.wait(t, "drift denied", execOf(a, "/tmp/x", runtime.Deny)); !e.Drift {
				t.Errorf("drift deny without drift flag: %+v", *e)
			}
			mustFail(t, a2, "/usr/bin/ls")
			if e := rec.wait(t, "drift at allowed path denied", execOf(a2, "/usr/bin/ls", runtime.Deny)); !e.Drift {
				t.Errorf("replaced ls not reported as drift: %+v", *e)
			}
			// Another image (no profile, default alert) and the host are untouched.
			mustExec(t, other, "/usr/bin/id")
			rec.wait(t, "other container alert", execOf(other, "/usr/bin/id", runtime.Alert))
			if out, err := exec.Command("/usr/bin/id").CombinedOutput(); err != nil {
				t.Errorf("host exec blocked: %v %s", err, out)
			}
			if mech == MechFanotify {
				// A restart mounts a new root filesystem; enforcement follows it.
				if out, err := exec.Command("docker", "restart", "-t", "0", a.ID).CombinedOutput(); err != nil {
					t.Fatalf("docker restart: %v\n%s", err, out)
				}
				deadline := time.Now().Add(10 * time.Second)
				for {
					out, err := dexec(a, "/usr/bin/id")
					if err != nil && strings.Contains(out, "operation not permitted") {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("after a restart id is not denied with EPERM: %v %s", err, out)
					}
					time.Sleep(200 * time.Millisecond)
				}
				mustExec(t, a, "/bin/true")
			}
			for _, e := range rec.all() {
				if testing.Verbose() {
					b, _ := json.Marshal(e)
					t.Logf("%s", b)
				}
				if e.Type == EventExec && e.ContainerID == a.ID && e.Verdict == "deny" &&
					(e.Path == "/usr/bin/true" || e.Path == "/usr/bin/ls" || strings.HasPrefix(e.Path, "/usr/lib/")) {
					t.Errorf("allowed exec denied: %+v", *e)
				}
			}
		})
	}
	if b, _ := os.ReadFile(filepath.Join(string(dir), strings.TrimPrefix(a.ImageID, "sha256:")+".yaml")); len(b) == 0 {
		t.Error("profile file missing after the run")
	}
}
