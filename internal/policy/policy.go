// Package policy evaluates a scan report against a policy and returns a
// Decision. Evaluation is one pure function shared by the CI gate,
// admission control and the server: the same report and policy give the
// same verdict everywhere. Policy outcomes are values, never errors.
package policy

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
)

// Rules is one set of gate rules. Zero values switch a rule off.
type Rules struct {
	// FailOn is the lowest severity that fails: "negligible", "low",
	// "medium", "high" or "critical". Empty: severity alone never fails.
	FailOn string `yaml:"failOn,omitempty" json:"failOn,omitempty"`
	// IgnoreUnfixed skips findings with no fixed version (fixable only).
	IgnoreUnfixed *bool `yaml:"ignoreUnfixed,omitempty" json:"ignoreUnfixed,omitempty"`
	// FailOnKEV fails on any finding listed in CISA KEV, whatever its
	// severity.
	FailOnKEV *bool `yaml:"failOnKEV,omitempty" json:"failOnKEV,omitempty"`
	// MaxCVSS fails on any finding whose CVSS base score is above it.
	MaxCVSS *float64 `yaml:"maxCVSS,omitempty" json:"maxCVSS,omitempty"`
	// MinEPSS fails on findings whose EPSS score is at least this.
	MinEPSS *float64 `yaml:"minEPSS,omitempty" json:"minEPSS,omitempty"`
	// MaxDBAge fails when the vulnerability data is older, e.g. "72h".
	MaxDBAge Duration `yaml:"maxDBAge,omitempty" json:"maxDBAge,omitempty"`
	// FailOnUnknown fails when some packages could not be checked
	// (unparseable versions, no data for the distribution).
	FailOnUnknown *bool `yaml:"failOnUnknown,omitempty" json:"failOnUnknown,omitempty"`
	// DeniedPackages fail when present: "name", "ecosystem/name" or a
	// purl prefix ("pkg:npm/event-stream").
	DeniedPackages []string `yaml:"deniedPackages,omitempty" json:"deniedPackages,omitempty"`
	// DeniedLicenses fail when a package declares one of them (SPDX ids,
	// case-insensitive).
	DeniedLicenses []string `yaml:"deniedLicenses,omitempty" json:"deniedLicenses,omitempty"`
	// AllowedLicenses, when set, fail on any declared licence not listed.
	// Packages that declare no licence are not judged.
	AllowedLicenses []string `yaml:"allowedLicenses,omitempty" json:"allowedLicenses,omitempty"`
}

// Override applies extra rules to matching images or namespaces. Every set
// selector must match; rules set in the override replace the base rules.
type Override struct {
	Name string `yaml:"name" json:"name"`
	// Namespaces are Kubernetes namespaces (glob patterns).
	Namespaces []string `yaml:"namespaces,omitempty" json:"namespaces,omitempty"`
	// Images are image name globs ("registry.local/legacy/*").
	Images []string `yaml:"images,omitempty" json:"images,omitempty"`
	// Labels must all be present with these values on the workload.
	Labels map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Rules  Rules             `yaml:"rules" json:"rules"`
}

// Policy is a named rule set with overrides.
type Policy struct {
	Name      string     `yaml:"name,omitempty" json:"name,omitempty"`
	Rules     Rules      `yaml:",inline" json:"rules"`
	Overrides []Override `yaml:"overrides,omitempty" json:"overrides,omitempty"`
}

// Context is what is known about where the image is going.
type Context struct {
	// Image is the image name (repository, no tag), for overrides.
	Image     string
	Namespace string
	Labels    map[string]string
	// Now is the evaluation time (injected for tests and replays).
	Now time.Time
}

// Effective returns the rules that apply in ctx: the base rules with every
// matching override laid over them in order, and the names of the
// overrides that applied.
func (p *Policy) Effective(ctx Context) (Rules, []string) {
	r := p.Rules
	var applied []string
	for _, o := range p.Overrides {
		if !o.matches(ctx) {
			continue
		}
		applied = append(applied, o.Name)
		r = r.overlay(o.Rules)
	}
	return r, applied
}

func (o *Override) matches(ctx Context) bool {
	if len(o.Namespaces) > 0 && !anyGlob(o.Namespaces, ctx.Namespace) {
		return false
	}
	if len(o.Images) > 0 && !anyGlob(o.Images, ctx.Image) {
		return false
	}
	for k, v := range o.Labels {
		if ctx.Labels[k] != v {
			return false
		}
	}
	return len(o.Namespaces)+len(o.Images)+len(o.Labels) > 0
}

func anyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
		// "registry/team/*" also covers nested repositories.
		if strings.HasSuffix(p, "/*") && strings.HasPrefix(s, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}

func (r Rules) overlay(o Rules) Rules {
	if o.FailOn != "" {
		r.FailOn = o.FailOn
	}
	if o.IgnoreUnfixed != nil {
		r.IgnoreUnfixed = o.IgnoreUnfixed
	}
	if o.FailOnKEV != nil {
		r.FailOnKEV = o.FailOnKEV
	}
	if o.MaxCVSS != nil {
		r.MaxCVSS = o.MaxCVSS
	}
	if o.MinEPSS != nil {
		r.MinEPSS = o.MinEPSS
	}
	if o.MaxDBAge != 0 {
		r.MaxDBAge = o.MaxDBAge
	}
	if o.FailOnUnknown != nil {
		r.FailOnUnknown = o.FailOnUnknown
	}
	if o.DeniedPackages != nil {
		r.DeniedPackages = o.DeniedPackages
	}
	if o.DeniedLicenses != nil {
		r.DeniedLicenses = o.DeniedLicenses
	}
	if o.AllowedLicenses != nil {
		r.AllowedLicenses = o.AllowedLicenses
	}
	return r
}

// Validate checks the values a policy file can get wrong.
func (p *Policy) Validate() error {
	check := func(where string, r Rules) error {
		if r.FailOn != "" {
			if _, err := ParseSeverity(r.FailOn); err != nil {
				return fmt.Errorf("%sfailOn: %w", where, err)
			}
		}
		if r.MaxCVSS != nil && (*r.MaxCVSS < 0 || *r.MaxCVSS > 10) {
			return fmt.Errorf("%smaxCVSS: %v is outside 0–10", where, *r.MaxCVSS)
		}
		if r.MinEPSS != nil && (*r.MinEPSS < 0 || *r.MinEPSS > 1) {
			return fmt.Errorf("%sminEPSS: %v is outside 0–1", where, *r.MinEPSS)
		}
		return nil
	}
	if err := check("", p.Rules); err != nil {
		return err
	}
	for i, o := range p.Overrides {
		if o.Name == "" {
			return fmt.Errorf("overrides[%d]: name is required", i)
		}
		if len(o.Namespaces)+len(o.Images)+len(o.Labels) == 0 {
			return fmt.Errorf("overrides[%d] (%s): set at least one of namespaces, images, labels", i, o.Name)
		}
		if err := check(fmt.Sprintf("overrides[%d] (%s): ", i, o.Name), o.Rules); err != nil {
			return err
		}
	}
	return nil
}

// ParseSeverity turns "high" (any case) into a rating.
func ParseSeverity(s string) (model.Rating, error) {
	r := model.Rating(strings.ToUpper(strings.TrimSpace(s)))
	if r == model.RatingUnknown || model.RatingRank(r) > 0 {
		return r, nil
	}
	return "", fmt.Errorf("unknown severity %q (want one of negligible, low, medium, high, critical)", s)
}

func boolOf(b *bool) bool { return b != nil && *b }

func sortedUnique(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}
