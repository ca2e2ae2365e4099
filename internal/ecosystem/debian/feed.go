package debian

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/osv"
)

// Upstream locations.
const (
	// trackerURL is the Debian security tracker's whole database: per
	// source package, per CVE, per release: status, fixed version,
	// urgency and no-DSA reasons.
	trackerURL = "https://security-tracker.debian.org/tracker/data/json"
	// osvURL is osv.dev's Debian export (generated from the tracker): it
	// adds DSA/DLA advisories, CVSS vectors and dates.
	osvURL = "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip"
)

// Feed is the Debian security feed, named "debian": the security
// tracker's statements, joined with osv.dev's Debian records.
//
// Where both speak about one (CVE, release, source package) the tracker
// wins: OSV leaves out not-affected statements and no-DSA reasons. DSA
// and DLA advisories are not emitted as vulnerabilities of their own (that
// would report every CVE twice); their ids become AdvisoryIDs of the CVEs
// they fixed.
type Feed struct{}

var _ feed.Feed = (*Feed)(nil)

// Name implements feed.Feed.
func (*Feed) Name() string { return "debian" }

// Version implements feed.Feed.
func (*Feed) Version() int { return 2 }

// Layout is where the feed's files are. In a bundle: debian/osv-*.jsonl
// (OSV records, one per line), debian/tracker-api-<codename>-*/**.json
// (per-CVE tracker records) and optionally debian/tracker.json (the
// upstream whole-database form).
func (*Feed) Layout() feed.Layout {
	return feed.Layout{
		Folder: "debian",
		Include: func(rel string) bool {
			return (strings.HasPrefix(rel, "osv-") && strings.HasSuffix(rel, ".jsonl")) ||
				(strings.HasPrefix(rel, "tracker-api-") && strings.HasSuffix(rel, ".json")) ||
				rel == "tracker.json" || rel == "tracker.json.gz"
		},
		Upstream: []feed.Remote{
			{URL: trackerURL, Name: "tracker.json"},
			{URL: osvURL, Name: "osv-debian.zip"},
		},
	}
}

// Fetch implements feed.Feed.
func (f *Feed) Fetch(ctx context.Context, src feed.Source, prev string) (*feed.Data, error) {
	return feed.Fetch(ctx, src, prev, f.Layout())
}

// OSVEcosystem maps "Debian:<N>" to the namespace "debian:<N>".
func OSVEcosystem(e string) (model.Ecosystem, string, bool) {
	rel, ok := strings.CutPrefix(e, "Debian:")
	if !ok || rel == "" || strings.Contains(rel, ":") {
		return "", "", false
	}
	return model.EcosystemDeb, "debian:" + rel, true
}

type affKey struct{ vuln, ns, pkg string }

// isAdvisoryID reports Debian's own advisory ids (DSA, DLA, DTSA).
func isAdvisoryID(id string) bool {
	return strings.HasPrefix(id, "DSA-") || strings.HasPrefix(id, "DLA-") || strings.HasPrefix(id, "DTSA-")
}

// isAdvisoryFile tells, from a file or zip-entry name, whether it holds
// advisories rather than CVE records.
func isAdvisoryFile(where string) bool {
	base := path.Base(where)
	if i := strings.LastIndex(where, "!"); i >= 0 {
		base = path.Base(where[i+1:])
	}
	return isAdvisoryID(base) || strings.Contains(base, "-dsa") || strings.Contains(base, "-dla")
}

// Parse implements feed.Feed.
func (f *Feed) Parse(ctx context.Context, data *feed.Data, emit func(feed.Record) error) error {
	var osvFiles []string
	tracker := newTrackerSet()
	for _, name := range data.Files {
		var err error
		switch {
		case strings.HasPrefix(name, "tracker.json"):
			err = f.readTrackerFile(ctx, data, name, tracker)
		case strings.HasPrefix(name, "tracker-api-"):
			err = feed.EachJSON(ctx, data, name, func(where string, raw []byte) error {
				return tracker.readPerCVE(raw, where)
			})
		default:
			osvFiles = append(osvFiles, name)
		}
		if err != nil {
			return fmt.Errorf("debian: %w", err)
		}
	}
	advisories, err := readAdvisories(ctx, data, osvFiles)
	if err != nil {
		return fmt.Errorf("debian: %w", err)
	}
	for _, name := range osvFiles {
		err := feed.EachOSV(ctx, data, name, func(where string, e *osv.Entry) error {
			if isAdvisoryID(e.ID) {
				return nil
			}
			rec := feed.FromOSV(e, f.Name(), OSVEcosystem)
			creditNVD(&rec)
			if t, ok := tracker.vulns[rec.Vulnerability.ID]; ok {
				rec.Affected = mergeAffected(t.Affected, rec.Affected)
				if rec.Vulnerability.Details == "" {
					rec.Vulnerability.Details = t.Vulnerability.Details
				}
				delete(tracker.vulns, rec.Vulnerability.ID)
			}
			if len(rec.Affected) == 0 {
				return nil
			}
			addAdvisories(&rec, advisories)
			if err := emit(rec); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			return nil
		}, func(where string) bool { return !isAdvisoryFile(where) })
		if err != nil {
			return fmt.Errorf("debian: %w", err)
		}
	}
	for _, id := range tracker.order {
		rec, ok := tracker.vulns[id]
		if !ok {
			continue
		}
		addAdvisories(rec, advisories)
		if err := emit(*rec); err != nil {
			return fmt.Errorf("debian: tracker %s: %w", id, err)
		}
	}
	return nil
}

func (f *Feed) readTrackerFile(ctx context.Context, data *feed.Data, name string, t *trackerSet) error {
	rc, err := feed.OpenPlain(data, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	return t.readUpstream(ctx, rc, name)
}

// readAdvisories maps (CVE, namespace, package) to the DSA/DLA ids that
// fixed it, from the OSV advisory records' "related" lists.
func readAdvisories(ctx context.Context, data *feed.Data, files []string) (map[affKey][]string, error) {
	out := map[affKey][]string{}
	for _, name := range files {
		err := feed.EachOSV(ctx, data, name, func(where string, e *osv.Entry) error {
			if !isAdvisoryID(e.ID) {
				return nil
			}
			for _, a := range e.Affected {
				_, ns, ok := OSVEcosystem(a.Package.Ecosystem)
				if !ok {
					continue
				}
				for _, cve := range append(slices.Clone(e.Aliases), e.Related...) {
					k := affKey{cve, ns, a.Package.Name}
					if !slices.Contains(out[k], e.ID) {
						out[k] = append(out[k], e.ID)
					}
				}
			}
			return nil
		}, isAdvisoryFile)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func addAdvisories(rec *feed.Record, adv map[affKey][]string) {
	for i := range rec.Affected {
		a := &rec.Affected[i]
		for _, id := range adv[affKey{a.VulnID, a.Namespace, a.Package}] {
			if !slices.Contains(a.AdvisoryIDs, id) {
				a.AdvisoryIDs = append(a.AdvisoryIDs, id)
			}
		}
	}
}

// mergeAffected keeps every tracker entry and the OSV entries for
// (release, package) pairs the tracker does not cover. OSV's urgency is
// kept where the tracker has none.
func mergeAffected(tracker, fromOSV []model.Affected) []model.Affected {
	out := slices.Clone(tracker)
	for _, o := range fromOSV {
		i := slices.IndexFunc(out, func(t model.Affected) bool { return t.Namespace == o.Namespace && t.Package == o.Package })
		if i < 0 {
			out = append(out, o)
			continue
		}
		if out[i].Urgency == "" {
			out[i].Urgency = o.Urgency
		}
	}
	return out
}

// creditNVD labels the CVSS vectors of Debian's OSV records as NVD's: the
// Debian security team rates issues only with its urgency words, and the
// export copies the vectors from NVD. Saying so keeps the severity source
// shown to users truthful ("nvd", the fallback, not the vendor).
func creditNVD(rec *feed.Record) {
	for i := range rec.Vulnerability.Severities {
		s := &rec.Vulnerability.Severities[i]
		if strings.HasPrefix(s.Type, "CVSS") {
			s.Source = "nvd"
		}
	}
}
