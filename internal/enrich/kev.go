package enrich

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
)

// kevURL is CISA's Known Exploited Vulnerabilities catalog.
const kevURL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"

// KEV is the CISA KEV feed, named "kev".
type KEV struct{}

var _ feed.Feed = (*KEV)(nil)

// Name implements feed.Feed.
func (*KEV) Name() string { return "kev" }

// Version implements feed.Feed.
func (*KEV) Version() int { return 1 }

// Layout is kev/known_exploited_vulnerabilities.json in a bundle.
func (*KEV) Layout() feed.Layout {
	return feed.Layout{
		Folder:   "kev",
		Include:  func(rel string) bool { return rel == "known_exploited_vulnerabilities.json" },
		Upstream: []feed.Remote{{URL: kevURL, Name: "known_exploited_vulnerabilities.json"}},
	}
}

// Fetch implements feed.Feed.
func (k *KEV) Fetch(ctx context.Context, src feed.Source, prev string) (*feed.Data, error) {
	return feed.Fetch(ctx, src, prev, k.Layout())
}

type kevCatalog struct {
	CatalogVersion  string `json:"catalogVersion"`
	Vulnerabilities []struct {
		CVEID                      string   `json:"cveID"`
		DateAdded                  string   `json:"dateAdded"`
		DueDate                    string   `json:"dueDate"`
		RequiredAction             string   `json:"requiredAction"`
		KnownRansomwareCampaignUse string   `json:"knownRansomwareCampaignUse"`
		CWEs                       []string `json:"cwes"`
	} `json:"vulnerabilities"`
}

// Parse implements feed.Feed.
func (k *KEV) Parse(ctx context.Context, data *feed.Data, emit func(feed.Record) error) error {
	for _, name := range data.Files {
		err := feed.EachJSON(ctx, data, name, func(where string, raw []byte) error {
			var c kevCatalog
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if c.Vulnerabilities == nil {
				return fmt.Errorf("%s: not a KEV catalog (no vulnerabilities list)", where)
			}
			for i, v := range c.Vulnerabilities {
				id := strings.TrimSpace(v.CVEID)
				if !strings.HasPrefix(id, "CVE-") {
					return fmt.Errorf("%s: entry %d: bad cveID %q", where, i, v.CVEID)
				}
				rec := feed.Record{Vulnerability: model.Vulnerability{
					ID:   id,
					CWEs: v.CWEs,
					KEV: &model.KEV{
						DateAdded: v.DateAdded, DueDate: v.DueDate,
						RansomwareUse: v.KnownRansomwareCampaignUse, RequiredAction: v.RequiredAction,
					},
				}}
				if err := emit(rec); err != nil {
					return fmt.Errorf("%s: %s: %w", where, id, err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("kev: %w", err)
		}
	}
	return nil
}
