// Package redhat is the Red Hat Enterprise Linux vulnerability feed, read
// from Red Hat's Security Data API: per CVE, per product (CPE), the fix
// state of each source package and the RHSA advisories that fixed it.
// Its data also covers RHEL rebuilds (Rocky, AlmaLinux, CentOS), which is
// why the namespace is "redhat:<major>" (see model.DistroFamily).
package redhat

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/osv"
	"github.com/bulwark-security/bulwark/internal/version/rpm"
)

// Feed is the Red Hat feed, named "redhat".
type Feed struct{}

var _ feed.Feed = (*Feed)(nil)

// Name implements feed.Feed.
func (*Feed) Name() string { return "redhat" }

// Version implements feed.Feed.
func (*Feed) Version() int { return 1 }

// Layout is where the feed's files are: redhat/*.jsonl in a bundle, one
// Security Data API CVE document per line.
func (*Feed) Layout() feed.Layout {
	return feed.Layout{
		Folder:  "redhat",
		Include: func(rel string) bool { return !strings.Contains(rel, "/") && strings.HasSuffix(rel, ".jsonl") },
	}
}

// Fetch implements feed.Feed. Upstream, the Security Data API is paged
// (see fetchUpstream).
func (f *Feed) Fetch(ctx context.Context, src feed.Source, prev string) (*feed.Data, error) {
	if src.Mirror == "" {
		return fetchUpstream(ctx, src, prev)
	}
	return feed.Fetch(ctx, src, prev, f.Layout())
}

// Parse implements feed.Feed.
func (f *Feed) Parse(ctx context.Context, data *feed.Data, emit func(feed.Record) error) error {
	for _, name := range data.Files {
		err := feed.EmitEach(ctx, data, name, ParseCVE, emit)
		if err != nil {
			return fmt.Errorf("redhat: %w", err)
		}
	}
	return nil
}

// cveDoc is a Security Data API CVE document
// (https://access.redhat.com/hydra/rest/securitydata/cve/<CVE>.json).
type cveDoc struct {
	Name           string   `json:"name"`
	ThreatSeverity string   `json:"threat_severity"`
	PublicDate     string   `json:"public_date"`
	Details        []string `json:"details"`
	Statement      string   `json:"statement"`
	CWE            string   `json:"cwe"`
	References     []string `json:"references"`
	Bugzilla       struct {
		Description string `json:"description"`
	} `json:"bugzilla"`
	CVSS3 struct {
		Score  string `json:"cvss3_base_score"`
		Vector string `json:"cvss3_scoring_vector"`
	} `json:"cvss3"`
	CVSS struct {
		Score  string `json:"cvss_base_score"`
		Vector string `json:"cvss_scoring_vector"`
	} `json:"cvss"`
	PackageState []struct {
		CPE         string `json:"cpe"`
		FixState    string `json:"fix_state"`
		PackageName string `json:"package_name"`
		Impact      string `json:"impact"`
	} `json:"package_state"`
	AffectedRelease []struct {
		Advisory string `json:"advisory"`
		CPE      string `json:"cpe"`
		Package  string `json:"package"`
		Impact   string `json:"impact"`
	} `json:"affected_release"`
}

var (
	rhelCPE = regexp.MustCompile(`^cpe:/[ao]:redhat:enterprise_linux:(\d+)(?::|$)`)
	cweRE   = regexp.MustCompile(`CWE-\d+`)
)

// Namespace returns "redhat:<major>" for a RHEL product CPE
// ("cpe:/o:redhat:enterprise_linux:9", "cpe:/a:redhat:enterprise_linux:8::crb"),
// "" for other products (OpenShift, JBoss, Satellite, …).
func Namespace(cpe string) string {
	m := rhelCPE.FindStringSubmatch(cpe)
	if m == nil {
		return ""
	}
	return "redhat:" + m[1]
}

// FixState maps a package_state fix_state to a vendor status.
//
//	Not affected          → not-affected
//	Affected              → affected
//	Will not fix          → will-not-fix
//	Fix deferred          → fix-deferred
//	Out of support scope  → end-of-life
//	Under investigation   → under-investigation
func FixState(s string) (model.VendorStatus, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "not affected":
		return model.StatusNotAffected, true
	case "affected":
		return model.StatusAffected, true
	case "will not fix":
		return model.StatusWillNotFix, true
	case "fix deferred":
		return model.StatusFixDeferred, true
	case "out of support scope":
		return model.StatusEndOfLife, true
	case "under investigation", "new":
		return model.StatusUnderInvestigation, true
	}
	return "", false
}

// SplitNEVRA splits "openssl-1:1.0.2k-8.el7" into the name and the
// version "1:1.0.2k-8.el7" (epoch 0 is dropped: "0:2.11y-31" → "2.11y-31").
// ok is false for strings that are not name-[epoch:]version-release, such
// as module builds ("python39:3.9-8090020230922213827.7484f1d1").
func SplitNEVRA(s string) (name, evr string, ok bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return "", "", false
	}
	j := strings.LastIndexByte(s[:i], '-')
	if j <= 0 {
		return "", "", false
	}
	name, evr = s[:j], s[j+1:]
	if strings.ContainsAny(name, ":/") || evr == "" || s[j+1:i] == "" || s[i+1:] == "" {
		return "", "", false
	}
	if e, rest, found := strings.Cut(evr, ":"); found {
		if _, err := strconv.Atoi(e); err != nil {
			return "", "", false
		}
		if e == "0" {
			evr = rest
		}
	}
	return name, evr, true
}

// ParseCVE converts one CVE document. Fixed releases key the fixed
// version by the source package named in the NEVRA; package states name
// source packages too, and module-scoped names ("python27:2.7/python2")
// are kept whole so they never match a non-modular package.
func ParseCVE(raw []byte) (feed.Record, error) {
	var d cveDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return feed.Record{}, err
	}
	if d.Name == "" {
		return feed.Record{}, fmt.Errorf("cve document has no name")
	}
	v := model.Vulnerability{
		ID:        d.Name,
		Summary:   d.Bugzilla.Description,
		Details:   strings.TrimSpace(strings.Join(d.Details, "\n")),
		Published: osv.ParseTime(d.PublicDate),
		CWEs:      uniq(cweRE.FindAllString(d.CWE, -1)),
	}
	for _, r := range d.References {
		v.References = append(v.References, strings.Fields(r)...)
	}
	v.References = uniq(v.References)
	if r := feed.VendorRating(d.ThreatSeverity); r != model.RatingUnknown {
		v.Severities = append(v.Severities, model.Severity{Source: "redhat", Type: "vendor", Rating: r})
	}
	if d.CVSS3.Vector != "" {
		sc, _ := strconv.ParseFloat(d.CVSS3.Score, 64)
		v.Severities = append(v.Severities, feed.CVSSSeverity("redhat", "CVSS_V3", d.CVSS3.Vector, sc))
	}
	if d.CVSS.Vector != "" {
		sc, _ := strconv.ParseFloat(d.CVSS.Score, 64)
		v.Severities = append(v.Severities, feed.CVSSSeverity("redhat", "CVSS_V2", d.CVSS.Vector, sc))
	}
	rec := feed.Record{Vulnerability: v}
	index := map[[2]string]int{}
	for _, ar := range d.AffectedRelease {
		ns := Namespace(ar.CPE)
		name, evr, ok := SplitNEVRA(ar.Package)
		if ns == "" || !ok {
			continue
		}
		k := [2]string{ns, name}
		if i, seen := index[k]; seen {
			// Several advisories for one package in one major release
			// fix it in each minor stream (8.9 z-stream, 8.10). The
			// highest EVR is the bound, since images follow the newest
			// minor release; every advisory id is kept.
			a := &rec.Affected[i]
			if c, err := (rpm.Comparator{}).Compare(evr, a.Ranges[0].Fixed); err == nil && c > 0 {
				a.Ranges[0].Fixed = evr
			}
			if ar.Advisory != "" && !contains(a.AdvisoryIDs, ar.Advisory) {
				a.AdvisoryIDs = append(a.AdvisoryIDs, ar.Advisory)
			}
			continue
		}
		a := model.Affected{
			VulnID: d.Name, Namespace: ns, Ecosystem: model.EcosystemRPM, Package: name,
			Ranges: []model.Range{{Fixed: evr}}, Status: model.StatusFixed,
			Urgency: first(ar.Impact, d.ThreatSeverity), Source: "redhat",
		}
		if ar.Advisory != "" {
			a.AdvisoryIDs = []string{ar.Advisory}
		}
		index[k] = len(rec.Affected)
		rec.Affected = append(rec.Affected, a)
	}
	for _, ps := range d.PackageState {
		ns := Namespace(ps.CPE)
		st, ok := FixState(ps.FixState)
		if ns == "" || !ok || ps.PackageName == "" {
			continue
		}
		k := [2]string{ns, ps.PackageName}
		if _, seen := index[k]; seen {
			continue
		}
		index[k] = len(rec.Affected)
		rec.Affected = append(rec.Affected, model.Affected{
			VulnID: d.Name, Namespace: ns, Ecosystem: model.EcosystemRPM, Package: ps.PackageName,
			Status: st, Urgency: first(ps.Impact, d.ThreatSeverity), Source: "redhat",
		})
	}
	return rec, nil
}

func first(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func uniq(in []string) []string {
	var out []string
	for _, s := range in {
		if s != "" && !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
