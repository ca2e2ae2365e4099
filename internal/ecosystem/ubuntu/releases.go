// Package ubuntu is the Ubuntu vulnerability feed: the Ubuntu CVE
// Tracker's per-release statements, or osv.dev's Ubuntu export upstream.
package ubuntu

import "strings"

// codenames maps Ubuntu release codenames to version numbers, the release
// part of the "ubuntu:<version>" namespace.
var codenames = map[string]string{
	"warty": "4.10", "hoary": "5.04", "breezy": "5.10", "dapper": "6.06",
	"edgy": "6.10", "feisty": "7.04", "gutsy": "7.10", "hardy": "8.04",
	"intrepid": "8.10", "jaunty": "9.04", "karmic": "9.10", "lucid": "10.04",
	"maverick": "10.10", "natty": "11.04", "oneiric": "11.10", "precise": "12.04",
	"quantal": "12.10", "raring": "13.04", "saucy": "13.10", "trusty": "14.04",
	"utopic": "14.10", "vivid": "15.04", "wily": "15.10", "xenial": "16.04",
	"yakkety": "16.10", "zesty": "17.04", "artful": "17.10", "bionic": "18.04",
	"cosmic": "18.10", "disco": "19.04", "eoan": "19.10", "focal": "20.04",
	"groovy": "20.10", "hirsute": "21.04", "impish": "21.10", "jammy": "22.04",
	"kinetic": "22.10", "lunar": "23.04", "mantic": "23.10", "noble": "24.04",
	"oracular": "24.10", "plucky": "25.04", "questing": "25.10",
}

// Namespace returns "ubuntu:<version>" for a tracker release name. ESM
// and other streams ("esm-infra/xenial", "trusty/esm", "fips/focal",
// "vivid/ubuntu-core"), "devel", "upstream" and "snap" return "": their
// packages are not what a stock image of the release installs, so they
// are skipped rather than mixed into the release's namespace.
func Namespace(release string) string {
	if strings.Contains(release, "/") {
		return ""
	}
	if v, ok := codenames[release]; ok {
		return "ubuntu:" + v
	}
	return ""
}
