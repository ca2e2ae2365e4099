// Package all is the one explicit list of enabled plugins: catalogers,
// distro detectors, feeds and matchers. Nothing registers itself; adding a
// plugin means adding a line here.
package all

import (
	"github.com/bulwark-security/bulwark/internal/catalog"
)

import (
	"github.com/bulwark-security/bulwark/internal/ecosystem/alpine"
	"github.com/bulwark-security/bulwark/internal/ecosystem/amazon"
	"github.com/bulwark-security/bulwark/internal/ecosystem/debian"
	"github.com/bulwark-security/bulwark/internal/ecosystem/dotnet"
	"github.com/bulwark-security/bulwark/internal/ecosystem/golang"
	"github.com/bulwark-security/bulwark/internal/ecosystem/java"
	"github.com/bulwark-security/bulwark/internal/ecosystem/npm"
	"github.com/bulwark-security/bulwark/internal/ecosystem/osrelease"
	ghsa "github.com/bulwark-security/bulwark/internal/ecosystem/osv"
	"github.com/bulwark-security/bulwark/internal/ecosystem/php"
	"github.com/bulwark-security/bulwark/internal/ecosystem/python"
	"github.com/bulwark-security/bulwark/internal/ecosystem/redhat"
	"github.com/bulwark-security/bulwark/internal/ecosystem/rpm"
	"github.com/bulwark-security/bulwark/internal/ecosystem/ruby"
	"github.com/bulwark-security/bulwark/internal/ecosystem/rust"
	"github.com/bulwark-security/bulwark/internal/ecosystem/ubuntu"
	"github.com/bulwark-security/bulwark/internal/enrich"
	"github.com/bulwark-security/bulwark/internal/feed"
)

// Catalogers returns every enabled cataloger, OS package managers first.
func Catalogers() []catalog.Cataloger {
	return []catalog.Cataloger{
		// OS packages
		debian.NewDpkgCataloger(),
		debian.NewDistrolessCataloger(),
		alpine.NewApkCataloger(),
		rpm.NewCataloger(),

		// Language packages
		golang.NewBinaryCataloger(),
		golang.NewModCataloger(),
		npm.NewLockCataloger(),
		npm.NewYarnCataloger(),
		npm.NewPnpmCataloger(),
		npm.NewInstalledCataloger(),
		python.NewInstalledCataloger(),
		python.NewPoetryLockCataloger(),
		python.NewPipfileLockCataloger(),
		python.NewUVLockCataloger(),
		python.NewRequirementsCataloger(),
		java.NewArchiveCataloger(),
		rust.NewLockCataloger(),
		rust.NewAuditableCataloger(),
		ruby.NewLockCataloger(),
		ruby.NewGemspecCataloger(),
		php.NewLockCataloger(),
		php.NewInstalledCataloger(),
		dotnet.NewDepsCataloger(),
		dotnet.NewLockCataloger(),
	}
}

// Detectors returns every distro detector.
func Detectors() []catalog.Detector {
	return []catalog.Detector{
		osrelease.New(),
	}
}

// Feeds returns every vulnerability feed: distributions, language
// ecosystems, enrichment. Feeds that are off unless named
// (feed.DefaultEnabled reports false: EPSS) are listed too.
func Feeds() []feed.Feed {
	return []feed.Feed{
		// Distributions
		&debian.Feed{},
		&ubuntu.Feed{},
		&alpine.Feed{},
		&redhat.Feed{},
		&amazon.Feed{},
		// Language ecosystems
		&ghsa.GHSA{},
		&golang.Feed{},
		// Enrichment
		&enrich.NVD{},
		&enrich.KEV{},
		&enrich.EPSS{},
	}
}
