package catalog

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
)

func TestMergeLockEvidence(t *testing.T) {
	installed := func(name, version, loc string) model.Package {
		return model.Package{Ecosystem: model.EcosystemNPM, Name: name, Version: version, Origin: model.OriginInstalled, Locations: []string{loc}}
	}
	locked := func(name, version, loc string) model.Package {
		return model.Package{Ecosystem: model.EcosystemNPM, Name: name, Version: version, Origin: model.OriginLockfile, Locations: []string{loc}, Dev: name == "mocha"}
	}
	in := []model.Package{
		installed("lodash", "4.17.15", "/srv/app/node_modules/lodash/package.json"),
		locked("lodash", "4.17.15", "/srv/app/package-lock.json"),
		// Same name, other version: a different package.
		locked("minimist", "1.2.5", "/srv/app/package-lock.json"),
		installed("minimist", "1.2.0", "/srv/app/node_modules/minimist/package.json"),
		// Installed in another project: not this lock file's package.
		locked("express", "4.17.1", "/srv/other/package-lock.json"),
		installed("express", "4.17.1", "/srv/app/node_modules/express/package.json"),
		// A dev dependency keeps its flag on the merged package.
		installed("mocha", "8.2.1", "/srv/app/node_modules/mocha/package.json"),
		locked("mocha", "8.2.1", "/srv/app/package-lock.json"),
		// OS packages are never merged.
		{Ecosystem: model.EcosystemDeb, Name: "zlib1g", Version: "1", Origin: model.OriginInstalled, Locations: []string{"/var/lib/dpkg/status"}},
	}
	got := mergeLockEvidence(in)
	var summary []string
	for _, p := range got {
		s := p.Name + "@" + p.Version + " " + string(p.Origin)
		for _, l := range p.Locations {
			s += " " + l
		}
		if p.Dev {
			s += " dev"
		}
		summary = append(summary, s)
	}
	want := []string{
		"lodash@4.17.15 installed /srv/app/node_modules/lodash/package.json /srv/app/package-lock.json",
		"minimist@1.2.5 lockfile /srv/app/package-lock.json",
		"minimist@1.2.0 installed /srv/app/node_modules/minimist/package.json",
		"express@4.17.1 lockfile /srv/other/package-lock.json",
		"express@4.17.1 installed /srv/app/node_modules/express/package.json",
		"mocha@8.2.1 installed /srv/app/node_modules/mocha/package.json /srv/app/package-lock.json dev",
		"zlib1g@1 installed /var/lib/dpkg/status",
	}
	if diff := cmp.Diff(want, summary); diff != "" {
		t.Errorf("merged packages (-want +got):\n%s", diff)
	}
}
