// Package reporttest holds the report every format's golden test renders:
// a Debian 12 image with an npm application and a Go binary, real package
// names and versions (from Debian's bookworm repository, an npm lockfile and
// a go.mod), and findings with real CVE, GHSA and GO ids, severities and
// fixed versions taken from the Debian, GitHub and Go advisory data.
package reporttest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bulwark-security/bulwark/internal/model"
)

// digest makes a stable, well-formed sha256 digest for a fixture label so
// that goldens do not change between runs.
func digest(label string) string {
	s := sha256.Sum256([]byte(label))
	return "sha256:" + hex.EncodeToString(s[:])
}

var (
	created = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

	layers = []model.Layer{
		{Index: 0, DiffID: digest("layer0"), Digest: digest("blob0"), Size: 30512640, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", CreatedBy: "ADD rootfs.tar.xz / # buildkit"},
		{Index: 1, DiffID: digest("layer1"), Digest: digest("blob1"), Size: 41877504, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", CreatedBy: "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl ca-certificates openssl python3 libxml2 nginx-light git # buildkit"},
		{Index: 2, DiffID: digest("layer2"), Digest: digest("blob2"), Size: 8123392, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", CreatedBy: "COPY app/ /srv/app/ # buildkit"},
		{Index: 3, DiffID: digest("layer3"), Digest: digest("blob3"), Size: 9437184, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", CreatedBy: "COPY bin/server /usr/local/bin/server # buildkit"},
	}
)

func ref(i int) *model.LayerRef {
	return &model.LayerRef{Index: i, DiffID: layers[i].DiffID, CreatedBy: layers[i].CreatedBy}
}

const dpkgStatus = "/var/lib/dpkg/status"

func deb(layer int, name, version, srcName, srcVersion string) model.Package {
	purl := "pkg:deb/debian/" + name + "@" + escapeVersion(version) + "?arch=amd64&distro=debian-12"
	if srcName != "" {
		purl = "pkg:deb/debian/" + name + "@" + escapeVersion(version) + "?arch=amd64&distro=debian-12&upstream=" + srcName
	}
	return model.Package{
		Ecosystem: model.EcosystemDeb, Name: name, Version: version,
		SourceName: srcName, SourceVersion: srcVersion, Arch: "amd64",
		PURL: purl, Origin: model.OriginInstalled, FoundBy: "dpkg",
		Locations: []string{dpkgStatus}, Layer: ref(layer),
	}
}

// escapeVersion percent-encodes the characters of Debian versions that a
// purl version must not carry literally.
func escapeVersion(v string) string {
	var b bytes.Buffer
	for _, r := range v {
		switch r {
		case ':':
			b.WriteString("%3A")
		case '+':
			b.WriteString("%2B")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func npm(name, version string) model.Package {
	return model.Package{
		Ecosystem: model.EcosystemNPM, Name: name, Version: version,
		PURL: "pkg:npm/" + name + "@" + version, Licenses: []string{"MIT"},
		Origin: model.OriginLockfile, FoundBy: "npm-lockfile",
		Locations: []string{"/srv/app/package-lock.json"}, Layer: ref(2),
	}
}

func gomod(path, version string) model.Package {
	return model.Package{
		Ecosystem: model.EcosystemGo, Name: path, Version: version,
		PURL: "pkg:golang/" + path + "@" + version, Origin: model.OriginBinary, FoundBy: "go-binary",
		Locations: []string{"/usr/local/bin/server"}, Layer: ref(3),
		Metadata: map[string]string{"go.main": "example.com/vuln-fixture", "go.toolchain": "go1.21.5"},
	}
}

// Inventory returns the fixture inventory: 9 Debian packages, 4 npm
// packages, 2 Go modules and one Python distribution.
func Inventory() model.Inventory {
	pkgs := []model.Package{
		deb(0, "apt", "2.6.2", "", ""),
		deb(0, "libc6", "2.36-9+deb12u14", "glibc", "2.36-9+deb12u14"),
		deb(0, "login", "1:4.13+dfsg1-1+deb12u2", "shadow", "1:4.13+dfsg1-1+deb12u2"),
		deb(0, "zlib1g", "1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1"),
		deb(1, "curl", "7.88.1-10+deb12u15", "", ""),
		deb(1, "libexpat1", "2.5.0-1+deb12u5", "expat", "2.5.0-1+deb12u5"),
		deb(1, "nginx-light", "1.22.1-9+deb12u11", "nginx", "1.22.1-9+deb12u11"),
		deb(1, "openssl", "3.0.22-1~deb12u2", "", ""),
		deb(1, "git", "1:2.39.5-0+deb12u3", "", ""),
		npm("axios", "0.21.1"),
		npm("express", "4.17.1"),
		npm("lodash", "4.17.15"),
		npm("minimist", "1.2.5"),
		gomod("golang.org/x/crypto", "v0.14.0"),
		gomod("golang.org/x/net", "v0.10.0"),
		{
			Ecosystem: model.EcosystemPyPI, Name: "Flask", Version: "2.0.0",
			PURL: "pkg:pypi/flask@2.0.0", Licenses: []string{"BSD-3-Clause"},
			Origin: model.OriginInstalled, FoundBy: "python-dist-info",
			Locations: []string{"/usr/local/lib/python3.11/site-packages/Flask-2.0.0.dist-info/METADATA"}, Layer: ref(1),
		},
	}
	pkgs[3].Licenses = []string{"Zlib"}
	pkgs[4].Licenses = []string{"curl"}
	return model.Inventory{
		Schema: model.InventorySchema,
		Image: model.Image{
			Ref: "docker-archive:debian12-app.docker.tar", Source: "docker-archive",
			Name: "bulwark-test/debian12-app", Digest: digest("manifest"), ConfigDigest: digest("config"),
			Tags: []string{"bulwark-test/debian12-app:latest"}, Platform: "linux/amd64", Layers: layers,
			Labels: map[string]string{"org.opencontainers.image.source": "https://github.com/bulwark-security/bulwark"},
		},
		Distro: &model.Distro{
			ID: "debian", VersionID: "12", Codename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)",
			Release: "12", Source: "/etc/os-release",
		},
		Packages: pkgs,
		GoBinaries: []model.GoBinary{{
			Path: "/usr/local/bin/server", MainModule: "example.com/vuln-fixture", GoVersion: "go1.21.5",
			Symbols: []string{"golang.org/x/net/http2.Server.ServeConn", "golang.org/x/net/http2.serverConn.processHeaders", "main.main"},
			Layer:   ref(3),
		}},
		Status: []model.PluginStatus{
			{Name: "dpkg", Version: 1, State: model.PluginOK},
			{Name: "npm-lockfile", Version: 1, State: model.PluginOK},
			{Name: "go-binary", Version: 1, State: model.PluginOK},
			{Name: "python-dist-info", Version: 1, State: model.PluginPartial, Warnings: []string{"/usr/local/lib/python3.11/site-packages/broken-1.0.dist-info/METADATA: missing Version header"}},
		},
		CreatedAt: created,
		Scanner:   model.Tool{Name: "bulwark", Version: "0.1.0"},
	}
}

func find(inv *model.Inventory, name string) model.PackageRef {
	for i := range inv.Packages {
		if inv.Packages[i].Name == name {
			return model.RefOf(&inv.Packages[i])
		}
	}
	panic("reporttest: no fixture package " + name)
}

// Report returns the fixture report: findings at every severity, one of
// each suppression kind, a not-reachable Go finding, an unknown and a
// failed policy decision.
func Report() *model.Report {
	inv := Inventory()
	const nvdV31 = "CVSS_V3"
	fs := []model.Finding{
		{
			VulnID: "CVE-2021-44906", Aliases: []string{"GHSA-xvch-5gv4-984h"}, Summary: "Prototype Pollution in minimist",
			Package: find(&inv, "minimist"), State: model.MatchAffected,
			Reason: "installed 1.2.5 in range >=1.0.0, <1.2.6 (npm minimist)", FixedVersions: []string{"1.2.6"},
			Severity: model.RatingCritical, SeveritySource: "ghsa", CVSSScore: 9.8,
			CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", EPSS: 0.00953,
			DataSource: "ghsa", Namespace: "npm", AdvisoryIDs: []string{"GHSA-xvch-5gv4-984h"},
		},
		{
			VulnID: "CVE-2021-23337", Aliases: []string{"GHSA-35jh-r3h4-6jhm"}, Summary: "Command Injection in lodash",
			Package: find(&inv, "lodash"), State: model.MatchAffected,
			Reason: "installed 4.17.15 < fixed 4.17.21 (npm lodash)", FixedVersions: []string{"4.17.21"},
			Severity: model.RatingHigh, SeveritySource: "ghsa", CVSSScore: 7.2,
			CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
			DataSource: "ghsa", Namespace: "npm", AdvisoryIDs: []string{"GHSA-35jh-r3h4-6jhm"},
		},
		{
			VulnID: "CVE-2020-8203", Aliases: []string{"GHSA-p6mc-m468-83gw"}, Summary: "Prototype Pollution in lodash",
			Package: find(&inv, "lodash"), State: model.MatchAffected,
			Reason: "installed 4.17.15 in range >=3.7.0, <4.17.19 (npm lodash)", FixedVersions: []string{"4.17.19"},
			Severity: model.RatingHigh, SeveritySource: "ghsa", CVSSScore: 7.4,
			CVSSVector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H",
			DataSource: "ghsa", Namespace: "npm", AdvisoryIDs: []string{"GHSA-p6mc-m468-83gw"},
		},
		{
			VulnID: "CVE-2021-3749", Aliases: []string{"GHSA-cph5-m8f7-6c5x"}, Summary: "axios Inefficient Regular Expression Complexity vulnerability",
			Package: find(&inv, "axios"), State: model.MatchAffected,
			Reason: "installed 0.21.1 < fixed 0.21.2 (npm axios)", FixedVersions: []string{"0.21.2"},
			Severity: model.RatingHigh, SeveritySource: "ghsa", CVSSScore: 7.5,
			CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
			DataSource: "ghsa", Namespace: "npm", AdvisoryIDs: []string{"GHSA-cph5-m8f7-6c5x"},
		},
		{
			VulnID: "CVE-2023-39325", Aliases: []string{"GHSA-4374-p667-p6c8", "GO-2023-2102"},
			Summary: "HTTP/2 rapid reset can cause excessive work in net/http",
			Package: find(&inv, "golang.org/x/net"), State: model.MatchAffected,
			Reason: "installed v0.10.0 < fixed v0.17.0 (golang golang.org/x/net)", FixedVersions: []string{"v0.17.0"},
			Severity: model.RatingHigh, SeveritySource: "nvd", CVSSScore: 7.5,
			CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", KEV: true, EPSS: 0.94,
			Reachability: model.Reachable, ReachableSymbols: []string{"golang.org/x/net/http2.Server.ServeConn", "golang.org/x/net/http2.serverConn.processHeaders"},
			DataSource: "go-vulndb", Namespace: "golang", AdvisoryIDs: []string{"GO-2023-2102"},
		},
		{
			VulnID: "CVE-2023-48795", Aliases: []string{"GHSA-45x7-px36-x8w8", "GO-2023-2402"},
			Summary: "Man-in-the-middle attacker can compromise integrity of secure channel in golang.org/x/crypto",
			Package: find(&inv, "golang.org/x/crypto"), State: model.MatchAffected,
			Reason: "installed v0.14.0 < fixed v0.17.0 (golang golang.org/x/crypto)", FixedVersions: []string{"v0.17.0"},
			Severity: model.RatingMedium, SeveritySource: "nvd", CVSSScore: 5.9,
			CVSSVector:   "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N",
			Reachability: model.NotReachable, DataSource: "go-vulndb", Namespace: "golang", AdvisoryIDs: []string{"GO-2023-2402"},
			Suppressed: &model.Suppression{Kind: "unreachable", Reason: "no vulnerable symbol of golang.org/x/crypto/ssh is linked into /usr/local/bin/server"},
		},
		{
			VulnID: "CVE-2023-52425", Summary: "expat: parsing large tokens can trigger a denial of service",
			Package: find(&inv, "libexpat1"), State: model.MatchAffected,
			Reason: "debian:12 source expat is affected with no fix (minor issue)", VendorStatus: model.StatusAffected,
			Urgency: "not yet assigned", Severity: model.RatingHigh, SeveritySource: "nvd", CVSSScore: 7.5,
			CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", DataSource: "debian", Namespace: "debian:12",
		},
		{
			VulnID: "CVE-2023-45853", Summary: "MiniZip in zlib through 1.3 has an integer overflow",
			Package: find(&inv, "zlib1g"), State: model.MatchAffected,
			Reason: "debian:12 source zlib: the vendor will not fix it", VendorStatus: model.StatusWillNotFix,
			Urgency: "not yet assigned", Severity: model.RatingCritical, SeveritySource: "nvd", CVSSScore: 9.8,
			CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", DataSource: "debian", Namespace: "debian:12",
			Suppressed: &model.Suppression{
				Kind: "ignore", Reason: "minizip is not built into the zlib1g binary package", Source: ".bulwarkignore.yaml",
				Owner: "platform-team@example.com", Expires: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC),
			},
		},
		{
			VulnID: "CVE-2023-29383", Summary: "shadow: improper input validation in chfn",
			Package: find(&inv, "login"), State: model.MatchAffected,
			Reason: "debian:12 source shadow is affected with no fix (minor issue)", VendorStatus: model.StatusAffected,
			Urgency: "not yet assigned", Severity: model.RatingLow, SeveritySource: "nvd", CVSSScore: 3.3,
			CVSSVector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:L/A:N", DataSource: "debian", Namespace: "debian:12",
			Notes: []string{"VEX statement under_investigation from vex/base.openvex.json superseded"},
			Suppressed: &model.Suppression{
				Kind: "vex", Reason: "chfn is not setuid in this image", Source: "vex/app.openvex.json",
				Justification: "vulnerable_code_not_in_execute_path",
			},
		},
		{
			VulnID: "CVE-2011-3374", Summary: "apt: insufficient validation of repository keys",
			Package: find(&inv, "apt"), State: model.MatchAffected,
			Reason: "debian:12 source apt is affected with no fix (unimportant)", VendorStatus: model.StatusAffected,
			Urgency: "unimportant", Severity: model.RatingNegligible, SeveritySource: "debian", CVSSScore: 3.7,
			CVSSVector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N", DataSource: "debian", Namespace: "debian:12",
		},
	}
	return &model.Report{
		Schema: model.ReportSchema, Inventory: inv, Findings: fs,
		Unknowns: []model.Unknown{{Package: find(&inv, "Flask"), Reason: "no advisories for namespace pypi in the database"}},
		DB:       &model.DBInfo{Schema: 1, BuiltAt: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), Sources: []string{"debian", "ghsa", "go-vulndb", "nvd"}},
		Decision: &model.Decision{
			Pass: false, Policy: "bulwark.yaml",
			Reasons: []model.RuleResult{
				{
					Rule: "fail-on-severity", Pass: false, Message: "6 unsuppressed findings at or above HIGH",
					VulnIDs: []string{"CVE-2021-44906", "CVE-2021-23337", "CVE-2020-8203", "CVE-2021-3749", "CVE-2023-39325", "CVE-2023-52425"},
				},
				{Rule: "kev", Pass: false, Message: "1 finding is in the CISA KEV catalog", VulnIDs: []string{"CVE-2023-39325"}},
				{Rule: "max-db-age", Pass: true, Message: "vulnerability data is 9h30m old (limit 72h)"},
			},
		},
		CreatedAt: created,
	}
}

// Clean returns a report over the fixture inventory with no findings and a
// passing decision.
func Clean() *model.Report {
	return &model.Report{
		Schema: model.ReportSchema, Inventory: Inventory(), Findings: []model.Finding{},
		Decision:  &model.Decision{Pass: true, Policy: "bulwark.yaml", Reasons: []model.RuleResult{{Rule: "fail-on-severity", Pass: true, Message: "no unsuppressed findings at or above HIGH"}}},
		CreatedAt: created,
	}
}

// Golden compares got with the file at path, or rewrites the file when
// update is set (each test package defines its own -update flag).
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the output (run go test with -update to accept):\n%s", path, lineDiff(string(want), string(got)))
	}
}

func lineDiff(want, got string) string {
	return cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n"))
}
