package match

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
)

// reachContext answers "is this vulnerable Go symbol linked into that
// binary" for one inventory. It is used by one Match call at a time.
type reachContext struct {
	goos, goarch string
	binaries     map[string]*model.GoBinary
	linked       map[string]*linkedSet
}

func newReachContext(inv *model.Inventory) *reachContext {
	rc := &reachContext{binaries: map[string]*model.GoBinary{}, linked: map[string]*linkedSet{}}
	parts := strings.Split(inv.Image.Platform, "/")
	if len(parts) >= 2 {
		rc.goos, rc.goarch = parts[0], parts[1]
	}
	for i := range inv.GoBinaries {
		b := &inv.GoBinaries[i]
		rc.binaries[b.Path] = b
	}
	return rc
}

// linkedSet holds a binary's symbols in one normal form, "PKG.FUNC" or
// "PKG.TYPE.METHOD", whatever form the cataloger wrote them in.
type linkedSet struct {
	set    map[string]bool
	sorted []string
}

func newLinkedSet(symbols []string) *linkedSet {
	ls := &linkedSet{set: make(map[string]bool, len(symbols))}
	for _, s := range symbols {
		ls.set[model.NormalizeGoSymbol(s)] = true
	}
	ls.sorted = slices.Sorted(maps.Keys(ls.set))
	return ls
}

func (ls *linkedSet) has(pkg, sym string) bool { return ls.set[pkg+"."+model.NormalizeGoSymbol(sym)] }

// hasPackage reports whether any function of pkg is linked.
func (ls *linkedSet) hasPackage(pkg string) bool {
	prefix := pkg + "."
	i := sort.SearchStrings(ls.sorted, prefix)
	return i < len(ls.sorted) && strings.HasPrefix(ls.sorted[i], prefix)
}

type reachResult struct {
	state   model.Reachability
	symbols []string
	why     string
}

// binaryOf finds the Go binary a package was read from.
func (rc *reachContext) binaryOf(p *model.Package) *model.GoBinary {
	for _, loc := range p.Locations {
		if b := rc.binaries[loc]; b != nil {
			return b
		}
	}
	return nil
}

func applies(gs model.GoSymbols, goos, goarch string) bool {
	if goos != "" && len(gs.GOOS) > 0 && !slices.Contains(gs.GOOS, goos) {
		return false
	}
	if goarch != "" && len(gs.GOARCH) > 0 && !slices.Contains(gs.GOARCH, goarch) {
		return false
	}
	return true
}

// reach decides whether the vulnerable symbols of a group's affected
// records are linked into the binary the package came from.
func (rc *reachContext) reach(p *model.Package, g *group) reachResult {
	var syms []model.GoSymbols
	for _, v := range g.all() {
		if v.state == model.MatchAffected {
			syms = append(syms, v.entry.GoSymbols...)
		}
	}
	if len(syms) == 0 {
		return reachResult{state: model.ReachUnknown, why: "reachability unknown: the advisory lists no affected Go symbols"}
	}
	bin := rc.binaryOf(p)
	if bin == nil {
		return reachResult{state: model.ReachUnknown, why: "reachability unknown: not read from a Go binary"}
	}
	if len(bin.Symbols) == 0 {
		return reachResult{state: model.ReachUnknown, why: "reachability unknown: no function table in " + bin.Path}
	}
	ls := rc.linked[bin.Path]
	if ls == nil {
		ls = newLinkedSet(bin.Symbols)
		rc.linked[bin.Path] = ls
	}
	var (
		found, pkgs []string
		applicable  int
	)
	for _, gs := range syms {
		if !applies(gs, rc.goos, rc.goarch) {
			continue
		}
		applicable++
		pkgs = append(pkgs, gs.Package)
		if len(gs.Symbols) == 0 {
			if ls.hasPackage(gs.Package) {
				found = append(found, gs.Package)
			}
			continue
		}
		for _, s := range gs.Symbols {
			if ls.has(gs.Package, s) {
				found = append(found, gs.Package+"."+s)
			}
		}
	}
	slices.Sort(found)
	found = slices.Compact(found)
	slices.Sort(pkgs)
	pkgs = slices.Compact(pkgs)
	switch {
	case applicable == 0:
		return reachResult{state: model.NotReachable,
			why: fmt.Sprintf("not reachable: the vulnerable code is specific to other platforms than %s/%s", rc.goos, rc.goarch)}
	case len(found) > 0:
		return reachResult{state: model.Reachable, symbols: found,
			why: fmt.Sprintf("reachable: %s linked into %s", strings.Join(found, ", "), bin.Path)}
	}
	return reachResult{state: model.NotReachable,
		why: fmt.Sprintf("not reachable: no vulnerable symbol of %s is linked into %s", strings.Join(pkgs, ", "), bin.Path)}
}
