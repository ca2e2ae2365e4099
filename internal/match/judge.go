package match

import (
	"fmt"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/version"
)

// verdict is the decision for one package and one advisory entry.
type verdict struct {
	entry *model.Affected
	state model.MatchState
	// why is the version evidence: "installed X < fixed Y",
	// "no fix released", "vendor says not affected".
	why string
}

// judge decides every entry for s. A version that cannot be compared makes
// the whole package unknown: none of its advisories can be ruled out.
func (e *Engine) judge(s *subject, entries []model.Affected) {
	var relevant []*model.Affected
	for i := range entries {
		a := &entries[i]
		// A namespace holds one ecosystem; an entry of another one (a
		// data error) would compare versions in the wrong scheme.
		if a.Ecosystem != "" && a.Ecosystem != s.pkg.Ecosystem {
			continue
		}
		relevant = append(relevant, a)
	}
	if len(relevant) == 0 {
		return
	}
	s.entries = relevant
	eco := s.pkg.Ecosystem
	c, err := e.comparator(string(eco))
	if err != nil {
		s.unknown = &model.Unknown{Package: model.RefOf(s.pkg),
			Reason: fmt.Sprintf("%d advisories for %s not checked: %v", len(relevant), s.name, err)}
		return
	}
	if s.version == "" {
		s.unknown = &model.Unknown{Package: model.RefOf(s.pkg),
			Reason: fmt.Sprintf("no version recorded for %s package %s: %d advisories not checked", eco, s.pkg.Name, len(relevant))}
		return
	}
	if _, err := c.Compare(s.version, s.version); err != nil {
		s.unknown = &model.Unknown{Package: model.RefOf(s.pkg),
			Reason: fmt.Sprintf("cannot parse version %q of %s package %s: %v; %d advisories not checked",
				s.version, eco, s.pkg.Name, err, len(relevant))}
		return
	}
	s.verdicts = make([]verdict, 0, len(relevant))
	for _, a := range relevant {
		s.verdicts = append(s.verdicts, decide(c, s.version, a, e.explain))
	}
}

// decide applies one entry's vendor status and version bounds.
// Matching never shows why a package is outside a range; only Explain
// (explain set) pays for those sentences.
func decide(c version.Comparator, v string, a *model.Affected, explain bool) verdict {
	if a.Status == model.StatusNotAffected {
		return verdict{entry: a, state: model.MatchNotAffected, why: "vendor says not affected"}
	}
	if len(a.Ranges) == 0 && len(a.Versions) == 0 {
		if a.Status == model.StatusFixed {
			return verdict{entry: a, state: model.MatchUnknown,
				why: "vendor marks it fixed but names no fixed version"}
		}
		if a.Status == "" {
			return verdict{entry: a, state: model.MatchUnknown,
				why: "advisory names no affected versions"}
		}
		return verdict{entry: a, state: model.MatchAffected, why: "all versions affected, fix: none"}
	}
	in, why, err := affects(c, v, a, explain)
	if err != nil {
		return verdict{entry: a, state: model.MatchUnknown, why: "cannot compare with the advisory: " + err.Error()}
	}
	if !in {
		return verdict{entry: a, state: model.MatchNotAffected, why: why}
	}
	return verdict{entry: a, state: model.MatchAffected, why: why}
}

// affects reports whether v is one of the entry's versions or inside one
// of its ranges, with the bound that decided it.
func affects(c version.Comparator, v string, a *model.Affected, explain bool) (bool, string, error) {
	for _, lv := range a.Versions {
		n, err := c.Compare(v, lv)
		if err != nil {
			return false, "", fmt.Errorf("affected version %q: %w", lv, err)
		}
		if n == 0 {
			return true, fmt.Sprintf("installed %s is listed as affected", v), nil
		}
	}
	var outside []string
	for _, r := range a.Ranges {
		in, err := version.InRange(c, v, r.Introduced, r.Fixed, r.LastAffected)
		if err != nil {
			return false, "", err
		}
		if in {
			return true, insideWhy(v, r), nil
		}
		if explain {
			outside = append(outside, outsideWhy(c, v, r))
		}
	}
	if !explain {
		return false, "", nil
	}
	if len(outside) == 0 {
		return false, fmt.Sprintf("installed %s is not a listed affected version", v), nil
	}
	return false, strings.Join(outside, "; "), nil
}

func hasLower(r model.Range) bool { return r.Introduced != "" && r.Introduced != "0" }

func insideWhy(v string, r model.Range) string {
	lower := ""
	if hasLower(r) {
		lower = fmt.Sprintf(" (introduced %s)", r.Introduced)
	}
	switch {
	case r.Fixed != "":
		return fmt.Sprintf("installed %s < fixed %s%s", v, r.Fixed, lower)
	case r.LastAffected != "":
		return fmt.Sprintf("installed %s <= last affected %s%s, fix: none", v, r.LastAffected, lower)
	case hasLower(r):
		return fmt.Sprintf("installed %s >= introduced %s, fix: none", v, r.Introduced)
	}
	return fmt.Sprintf("all versions affected (installed %s), fix: none", v)
}

func outsideWhy(c version.Comparator, v string, r model.Range) string {
	if hasLower(r) {
		if n, err := c.Compare(v, r.Introduced); err == nil && n < 0 {
			return fmt.Sprintf("installed %s < introduced %s", v, r.Introduced)
		}
	}
	if r.Fixed != "" {
		return fmt.Sprintf("installed %s >= fixed %s", v, r.Fixed)
	}
	return fmt.Sprintf("installed %s > last affected %s", v, r.LastAffected)
}
