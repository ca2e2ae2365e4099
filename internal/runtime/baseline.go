package runtime

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Exec is one execution as the agent resolved it: which image's container
// ran it, and the identity of the file that ran.
type Exec struct {
	ImageDigest string
	ImageName   string
	// Path is the path inside the container, after symlinks.
	Path string
	// SHA256 is the content hash of the executed file; "" when it could
	// not be read, which is never allowed.
	SHA256 string
	// Device and Inode identify the real file in the image layer.
	Device, Inode uint64
	// Drift is true when the file lives in the container's writable layer
	// (created or copied up after start) rather than in the image.
	Drift bool
	// Role is RoleExec for an execve seen after the fact and
	// RoleInterpreter for a permission check that cannot tell a direct exec
	// from an interpreter open; the latter matches entries of either role.
	Role Role
	// Interpreters are the files the kernel opens to run this one (ELF
	// interpreter, #! interpreter); learned together with it.
	Interpreters []Executable
}

// Action is a verdict's outcome.
type Action string

// Actions.
const (
	Allow Action = "allow"
	Alert Action = "alert"
	Deny  Action = "deny"
)

// Verdict is the judgement of one Exec.
type Verdict struct {
	Action Action
	// Mode is the effective mode the exec was judged in.
	Mode   Mode
	Reason string
	// Changed is true when the exec changed the image's profile (learned).
	Changed bool
	// LearningDone is true when this judgement ended the learning window;
	// the caller saves the profile.
	LearningDone bool
}

// Baseline holds the profiles of all images and judges execs against
// them. It is safe for concurrent use.
type Baseline struct {
	mu       sync.Mutex
	def      Mode
	learnFor time.Duration
	profiles map[string]*Profile
}

// maxInherit bounds inheritance chains, so a cycle in hand-edited files
// cannot loop.
const maxInherit = 8

// NewBaseline returns a Baseline judging with default mode def. In learn
// mode an image learns for learnFor from its first exec and then switches
// to alert; learnFor 0 learns until the mode changes.
func NewBaseline(def Mode, learnFor time.Duration, profiles []*Profile) (*Baseline, error) {
	if _, err := ParseMode(string(def)); err != nil {
		return nil, err
	}
	if learnFor < 0 {
		return nil, fmt.Errorf("negative learning window %s", learnFor)
	}
	b := &Baseline{def: def, learnFor: learnFor, profiles: map[string]*Profile{}}
	for _, p := range profiles {
		if err := b.Put(p); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Put adds or replaces a profile (a copy of p).
func (b *Baseline) Put(p *Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.profiles[p.ImageDigest] = p.Clone()
	return nil
}

// Profile returns a copy of the profile of digest, or nil.
func (b *Baseline) Profile(digest string) *Profile {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.profiles[digest]; p != nil {
		return p.Clone()
	}
	return nil
}

// Profiles returns copies of all profiles, ordered by digest.
func (b *Baseline) Profiles() []*Profile {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*Profile, 0, len(b.profiles))
	for _, p := range b.profiles {
		out = append(out, p.Clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ImageDigest < out[j].ImageDigest })
	return out
}

// Mode returns the effective mode for digest at now without changing
// anything.
func (b *Baseline) Mode(digest string, now time.Time) Mode {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mode(b.profiles[digest], now)
}

func (b *Baseline) mode(p *Profile, now time.Time) Mode {
	if p != nil && p.Mode != "" {
		// An explicit per-image mode wins, including learn without a window.
		return p.Mode
	}
	if b.def != ModeLearn {
		return b.def
	}
	if p != nil && b.learnFor > 0 && (!p.LearnCompleted.IsZero() ||
		(!p.LearnStarted.IsZero() && !now.Before(p.LearnStarted.Add(b.learnFor)))) {
		return ModeAlert
	}
	return ModeLearn
}

// Allowlist returns the executables digest may run, its inherited ones
// included, or nil and false when it has no profile.
func (b *Baseline) Allowlist(digest string) ([]Executable, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.allowlist(digest)
}

func (b *Baseline) allowlist(digest string) ([]Executable, bool) {
	p := b.profiles[digest]
	if p == nil {
		return nil, false
	}
	var out []Executable
	seen := map[string]bool{}
	for i := 0; p != nil && i < maxInherit && !seen[p.ImageDigest]; i++ {
		seen[p.ImageDigest] = true
		out = append(out, p.Executables...)
		if p.Inherit == "" {
			break
		}
		p = b.profiles[p.Inherit]
	}
	return out, true
}

// Judge decides about e at time now, learning it when the image is in
// learn mode.
func (b *Baseline) Judge(e Exec, now time.Time) Verdict {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.profiles[e.ImageDigest]
	mode := b.mode(p, now)
	if mode == ModeLearn {
		return b.learn(p, e, now)
	}
	var v Verdict
	if p != nil && b.def == ModeLearn && p.Mode == "" && p.LearnCompleted.IsZero() && !p.LearnStarted.IsZero() {
		p.LearnCompleted = now
		p.Revision++
		v.LearningDone = true
	}
	v.Mode = mode
	reason, ok := b.check(e)
	switch {
	case ok:
		v.Action, v.Reason = Allow, reason
	case mode == ModeEnforce:
		v.Action, v.Reason = Deny, reason
	default:
		v.Action, v.Reason = Alert, reason
	}
	return v
}

func (b *Baseline) learn(p *Profile, e Exec, now time.Time) Verdict {
	v := Verdict{Mode: ModeLearn, Action: Allow, Reason: "learning"}
	switch {
	case e.Drift:
		return Verdict{Mode: ModeLearn, Action: Alert, Reason: driftReason(e)}
	case e.SHA256 == "":
		return Verdict{Mode: ModeLearn, Action: Alert, Reason: fmt.Sprintf("%s could not be hashed; not learned", e.Path)}
	}
	if p == nil {
		p = &Profile{ImageDigest: e.ImageDigest}
		b.profiles[e.ImageDigest] = p
	}
	if p.LearnStarted.IsZero() {
		p.LearnStarted = now
		v.Changed = true
	}
	if e.ImageName != "" && p.ImageName != e.ImageName {
		p.ImageName = e.ImageName
		v.Changed = true
	}
	role := e.Role
	if role == "" {
		role = RoleExec
	}
	if p.add(Executable{Path: e.Path, SHA256: e.SHA256, Device: e.Device, Inode: e.Inode, Role: role}) {
		v.Changed = true
	}
	for _, in := range e.Interpreters {
		in.Role = RoleInterpreter
		if in.Path != "" && sha256RE.MatchString(in.SHA256) && p.add(in) {
			v.Changed = true
		}
	}
	if v.Changed {
		p.Revision++
	}
	return v
}

// check returns why e is allowed (true) or not (false).
func (b *Baseline) check(e Exec) (string, bool) {
	list, ok := b.allowlist(e.ImageDigest)
	switch {
	case !ok:
		return fmt.Sprintf("no profile for image %s", e.ImageDigest), false
	case e.Drift:
		return driftReason(e), false
	case e.SHA256 == "":
		return fmt.Sprintf("%s could not be hashed", e.Path), false
	}
	var samePath, sameInode *Executable
	for i := range list {
		x := &list[i]
		if x.Path == e.Path {
			samePath = x
		}
		if x.SHA256 == e.SHA256 {
			if x.Role == RoleInterpreter && e.Role == RoleExec {
				continue
			}
			return fmt.Sprintf("in profile as %s", x.Path), true
		}
		if x.Inode != 0 && x.Inode == e.Inode && x.Device == e.Device {
			sameInode = x
		}
	}
	switch {
	case sameInode != nil:
		return fmt.Sprintf("%s changed since it was profiled (sha256 %s, profile has %s)", e.Path, short(e.SHA256), short(sameInode.SHA256)), false
	case samePath != nil && samePath.SHA256 != e.SHA256:
		return fmt.Sprintf("%s is in the profile with different content (sha256 %s, profile has %s)", e.Path, short(e.SHA256), short(samePath.SHA256)), false
	case samePath != nil:
		return fmt.Sprintf("%s is only allowed as an interpreter", e.Path), false
	}
	return fmt.Sprintf("%s (sha256 %s) is not in the profile", e.Path, short(e.SHA256)), false
}

func driftReason(e Exec) string {
	return fmt.Sprintf("drift: %s is not from the image (container writable layer)", e.Path)
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

// FinishLearning ends the learning window of every image whose window has
// elapsed at now and returns copies of those profiles for saving. Images
// that stop executing still get their profile saved this way.
func (b *Baseline) FinishLearning(now time.Time) []*Profile {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.def != ModeLearn || b.learnFor == 0 {
		return nil
	}
	var done []*Profile
	for _, p := range b.profiles {
		if p.Mode != "" || p.LearnStarted.IsZero() || !p.LearnCompleted.IsZero() {
			continue
		}
		if now.Before(p.LearnStarted.Add(b.learnFor)) {
			continue
		}
		p.LearnCompleted = now
		p.Revision++
		done = append(done, p.Clone())
	}
	sort.Slice(done, func(i, j int) bool { return done[i].ImageDigest < done[j].ImageDigest })
	return done
}
