package catalog

import (
	"path"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
)

// mergeLockEvidence folds a lock-file entry into the installed package it
// describes: when a project's lock file pins name@version and the same
// package is installed below the lock file's directory (node_modules,
// vendor, site-packages), the image holds one package, not two. The
// installed package keeps its origin and layer and gains the lock file as a
// second location, so the report still says where each piece of evidence
// came from. Lock entries with no installed counterpart stay as they are.
func mergeLockEvidence(pkgs []model.Package) []model.Package {
	type key struct {
		eco           model.Ecosystem
		name, version string
	}
	installed := map[key][]int{}
	for i := range pkgs {
		p := &pkgs[i]
		if p.Ecosystem.IsOS() || p.Origin != model.OriginInstalled || len(p.Locations) == 0 {
			continue
		}
		k := key{p.Ecosystem, model.NormalizeName(p.Ecosystem, p.Name), p.Version}
		installed[k] = append(installed[k], i)
	}
	drop := map[int]bool{}
	for i := range pkgs {
		p := &pkgs[i]
		if p.Origin != model.OriginLockfile || len(p.Locations) == 0 {
			continue
		}
		dir := path.Dir(p.Locations[0])
		prefix := strings.TrimSuffix(dir, "/") + "/"
		for _, j := range installed[key{p.Ecosystem, model.NormalizeName(p.Ecosystem, p.Name), p.Version}] {
			in := &pkgs[j]
			if !strings.HasPrefix(in.Locations[0], prefix) {
				continue
			}
			for _, loc := range p.Locations {
				if !slices.Contains(in.Locations, loc) {
					in.Locations = append(in.Locations, loc)
				}
			}
			in.Dev = in.Dev || p.Dev
			drop[i] = true
			break
		}
	}
	if len(drop) == 0 {
		return pkgs
	}
	out := pkgs[:0]
	for i := range pkgs {
		if !drop[i] {
			out = append(out, pkgs[i])
		}
	}
	return out
}
