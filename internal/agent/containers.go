package agent

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/bulwark-security/bulwark/internal/runtime"
)

// tracked is a running container the agent knows.
type tracked struct {
	c      *Container
	cgroup uint64 // cgroup v2 id; 0 when not found
	ovlDev uint64 // stat(2) device of the merged overlay mount
	// enforcedBy is the mechanism set up for the container, "" when its
	// image is not in enforce mode or none is available.
	enforcedBy string
}

// restarted reports whether the container's root filesystem was mounted
// anew since it was tracked (a restart keeps the ID but not the mount or
// the cgroup).
func (t *tracked) restarted() bool {
	fi, err := os.Stat(t.c.MergedDir)
	if err != nil {
		return t.ovlDev != 0
	}
	return fi.Sys().(*syscall.Stat_t).Dev != t.ovlDev
}

// refreshContainers picks up started containers and forgets stopped ones.
func (a *Agent) refreshContainers(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ids, err := a.opts.Runtime.Running(ctx)
	if err != nil {
		return
	}
	running := map[string]bool{}
	for _, id := range ids {
		running[id] = true
		a.container(ctx, id)
	}
	a.mu.Lock()
	var gone []*tracked
	for id, t := range a.containers {
		if !running[id] || t.restarted() {
			gone = append(gone, t)
			delete(a.containers, id)
			if a.byOvlDev[t.ovlDev] == t {
				delete(a.byOvlDev, t.ovlDev)
			}
		}
	}
	a.mu.Unlock()
	for _, t := range gone {
		a.release(t)
		if running[t.c.ID] {
			a.container(ctx, t.c.ID) // restarted: new mount and cgroup
		}
	}
	// Modes change when learning ends; align enforcement with them.
	a.mu.Lock()
	all := make([]*tracked, 0, len(a.containers))
	for _, t := range a.containers {
		all = append(all, t)
	}
	a.mu.Unlock()
	for _, t := range all {
		a.setupEnforcement(t)
	}
}

// container returns the tracked container id, inspecting it on first use.
func (a *Agent) container(ctx context.Context, id string) *tracked {
	a.mu.Lock()
	t := a.containers[id]
	a.mu.Unlock()
	if t != nil {
		return t
	}
	c, err := a.opts.Runtime.Inspect(ctx, id)
	if err != nil {
		return nil
	}
	t = &tracked{c: c}
	if fi, err := os.Stat(c.MergedDir); err == nil && c.MergedDir != "" {
		t.ovlDev = fi.Sys().(*syscall.Stat_t).Dev
	}
	t.cgroup = a.cgroups.find(c.ID)
	a.mu.Lock()
	if prev := a.containers[id]; prev != nil {
		a.mu.Unlock()
		return prev
	}
	a.containers[id] = t
	if t.ovlDev != 0 {
		a.byOvlDev[t.ovlDev] = t
	}
	a.mu.Unlock()
	a.setupEnforcement(t)
	return t
}

// setupEnforcement arms or disarms the enforcer for t to match its image's
// current mode.
func (a *Agent) setupEnforcement(t *tracked) {
	want := ""
	if a.base.Mode(t.c.ImageID, time.Now()) == runtime.ModeEnforce {
		want = a.enforcer
	}
	a.mu.Lock()
	have := t.enforcedBy
	a.mu.Unlock()
	if want == have {
		return
	}
	if have != "" {
		a.release(t)
	}
	var err error
	switch want {
	case MechFanotify:
		err = a.fan.mark(t.c.MergedDir)
	case MechLSM, MechKill:
		if t.cgroup == 0 {
			err = errors.New("container cgroup not found")
			break
		}
		mech := enforceKill
		if want == MechLSM {
			mech = enforceLSM
		}
		err = a.kern.enforce(t.cgroup, mech, a.kernelAllowlist(t))
	}
	if err != nil {
		a.emit(&Event{Type: EventAgent, Message: "enforcement not armed", ContainerID: t.c.ID, Mechanism: want, Reason: err.Error()})
		want = ""
	}
	a.mu.Lock()
	t.enforcedBy = want
	a.mu.Unlock()
}

// kernelAllowlist returns, for the in-kernel enforcers, the overlay
// identities of the profile's files in t's root filesystem. Only files
// from the image layers whose content still matches the profile qualify,
// so drifted copies at allowed paths stay blocked.
func (a *Agent) kernelAllowlist(t *tracked) []fileKey {
	list, _ := a.base.Allowlist(t.c.ImageID)
	var keys []fileKey
	for _, e := range list {
		lf, err := locate(t.c, e.Path)
		if err != nil || lf.Drift {
			continue
		}
		sum, err := a.hashes.file(hashKey{lf.Dev, lf.Ino, lf.Size, lf.Mtime}, lf.Host)
		if err != nil || sum != e.SHA256 {
			continue
		}
		keys = append(keys, fileKey{kdev: kernelDev(lf.OvlDev), ino: lf.OvlIno})
	}
	return keys
}

func (a *Agent) release(t *tracked) {
	a.mu.Lock()
	by := t.enforcedBy
	t.enforcedBy = ""
	a.mu.Unlock()
	switch by {
	case MechFanotify:
		a.fan.unmark(t.c.MergedDir)
	case MechLSM, MechKill:
		a.kern.release(t.cgroup)
	}
}
