// Package runtime is the pure logic of runtime exec profiles: what each
// image is expected to execute, learning it from observed execs, and judging
// an exec against it. It knows nothing about the kernel, containers or
// files on disk beyond the profile format; internal/agent feeds it events.
package runtime

import (
	"fmt"
	"regexp"
	"sort"
	"time"
)

// Mode is what the agent does with execs of one image.
type Mode string

// Modes. The zero value means "use the agent's default".
const (
	ModeLearn   Mode = "learn"   // record execs into the profile, allow everything
	ModeAlert   Mode = "alert"   // report execs outside the profile
	ModeEnforce Mode = "enforce" // deny execs outside the profile
)

// ParseMode returns the Mode named s; "" is not a mode.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeLearn, ModeAlert, ModeEnforce:
		return m, nil
	}
	return "", fmt.Errorf("unknown mode %q (want learn, alert or enforce)", s)
}

// Role says why an executable is in a profile.
type Role string

// Roles.
const (
	// RoleExec is a file executed directly (execve).
	RoleExec Role = "exec"
	// RoleInterpreter is a file the kernel opens to run another one: the
	// ELF interpreter (ld-linux) or a script's #! interpreter. Enforcement
	// by file-open permission events sees these opens too.
	RoleInterpreter Role = "interpreter"
)

// Executable is one allowlist entry. Identity is the content hash; device
// and inode are those of the real file in the image layer on the host and
// let the agent skip hashing. The path is what the image calls the file and
// is informational: it never allows a different file.
type Executable struct {
	Path   string `json:"path" yaml:"path"`
	SHA256 string `json:"sha256" yaml:"sha256"`
	Device uint64 `json:"device,omitempty" yaml:"device,omitempty"`
	Inode  uint64 `json:"inode,omitempty" yaml:"inode,omitempty"`
	Role   Role   `json:"role,omitempty" yaml:"role,omitempty"`
	// Package names the package owning the file ("deb:coreutils") for an
	// entry seeded from the image's package database; empty for entries
	// learned from observed execs. Seeded entries carry the hash of the
	// file in the image, so they allow exactly what learning that file
	// would; device and inode are filled in when the file is first seen.
	Package string `json:"package,omitempty" yaml:"package,omitempty"`
}

// Profile is the set of executables one image (by digest) may run.
type Profile struct {
	// ImageDigest keys the profile: the image ID ("sha256:…" of the config)
	// as the container runtime reports it.
	ImageDigest string `json:"imageDigest" yaml:"imageDigest"`
	// ImageName is the name the image was last seen under; informational.
	ImageName string `json:"imageName,omitempty" yaml:"imageName,omitempty"`
	// Mode overrides the agent's default mode for this image.
	Mode Mode `json:"mode,omitempty" yaml:"mode,omitempty"`
	// Inherit names the digest of another profile whose executables this
	// one also allows, so a new image version need not learn from scratch.
	Inherit string `json:"inherit,omitempty" yaml:"inherit,omitempty"`
	// Revision increases on every change, so reviewers can tell versions
	// of the same profile apart.
	Revision int `json:"revision" yaml:"revision"`
	// LearnStarted is when learning began; LearnCompleted when it ended.
	LearnStarted   time.Time    `json:"learnStarted,omitzero" yaml:"learnStarted,omitempty"`
	LearnCompleted time.Time    `json:"learnCompleted,omitzero" yaml:"learnCompleted,omitempty"`
	Executables    []Executable `json:"executables" yaml:"executables"`
}

var (
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Validate reports the first problem that makes p unusable.
func (p *Profile) Validate() error {
	if !digestRE.MatchString(p.ImageDigest) {
		return fmt.Errorf("imageDigest %q: want sha256:<64 hex>", p.ImageDigest)
	}
	if p.Inherit != "" && !digestRE.MatchString(p.Inherit) {
		return fmt.Errorf("inherit %q: want sha256:<64 hex>", p.Inherit)
	}
	if p.Inherit == p.ImageDigest {
		return fmt.Errorf("profile %s inherits from itself", p.ImageDigest)
	}
	if p.Mode != "" {
		if _, err := ParseMode(string(p.Mode)); err != nil {
			return fmt.Errorf("profile %s: %w", p.ImageDigest, err)
		}
	}
	if p.Revision < 0 {
		return fmt.Errorf("profile %s: negative revision", p.ImageDigest)
	}
	for i, e := range p.Executables {
		if len(e.Path) == 0 || e.Path[0] != '/' {
			return fmt.Errorf("executables[%d]: path %q is not absolute", i, e.Path)
		}
		if !sha256RE.MatchString(e.SHA256) {
			return fmt.Errorf("executables[%d] %s: sha256 %q: want 64 lowercase hex digits", i, e.Path, e.SHA256)
		}
		switch e.Role {
		case "", RoleExec, RoleInterpreter:
		default:
			return fmt.Errorf("executables[%d] %s: unknown role %q", i, e.Path, e.Role)
		}
	}
	return nil
}

// add records e unless an entry with the same path and hash exists; it
// reports whether p changed. A known entry gains device and inode when it
// lacked them.
func (p *Profile) add(e Executable) bool {
	if e.Role == "" {
		e.Role = RoleExec
	}
	for i := range p.Executables {
		x := &p.Executables[i]
		if x.Path != e.Path || x.SHA256 != e.SHA256 {
			continue
		}
		changed := false
		if x.Device == 0 && x.Inode == 0 && e.Inode != 0 {
			x.Device, x.Inode = e.Device, e.Inode
			changed = true
		}
		if x.Role == RoleInterpreter && e.Role == RoleExec {
			x.Role = RoleExec
			changed = true
		}
		if x.Package == "" && e.Package != "" {
			x.Package = e.Package
			changed = true
		}
		return changed
	}
	p.Executables = append(p.Executables, e)
	p.sort()
	return true
}

// Merge adds the entries of es that p lacks (same path and hash) and
// returns how many entries it added or completed; a seeded profile is
// merged into a learned one this way, and neither loses entries.
func (p *Profile) Merge(es []Executable) int {
	n := 0
	for _, e := range es {
		if p.add(e) {
			n++
		}
	}
	return n
}

func (p *Profile) sort() {
	sort.SliceStable(p.Executables, func(i, j int) bool {
		a, b := p.Executables[i], p.Executables[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.SHA256 < b.SHA256
	})
}

// Clone returns a deep copy of p.
func (p *Profile) Clone() *Profile {
	c := *p
	c.Executables = append([]Executable(nil), p.Executables...)
	return &c
}
