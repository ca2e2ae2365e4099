package enrich

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/osv"
)

// nvdFeedURL is the NVD's yearly CVE 2.0 data feed; %d is a year from 2002
// on. The "modified" feed is not needed: a full fetch takes the yearly
// files, which NVD regenerates daily.
const nvdFeedURL = "https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-%d.json.gz"

// NVD is the National Vulnerability Database, named "nvd": CVSS v4.0,
// v3.x and v2 vectors and scores, CWEs, descriptions and references. It
// is enrichment only: NVD's CPE configurations are not turned into
// affected entries, since vendor and ecosystem feeds say which packages
// are affected far more precisely.
type NVD struct {
	// Now gives the current year for the upstream file list; nil means
	// time.Now.
	Now func() time.Time
}

var _ feed.Feed = (*NVD)(nil)

// Name implements feed.Feed.
func (*NVD) Name() string { return "nvd" }

// Version implements feed.Feed.
func (*NVD) Version() int { return 1 }

// Layout is nvd/**/CVE-*.json (one CVE API 2.0 "cve" object per file, as
// in fkie-cad/nvd-json-data-feeds) or nvd/nvdcve-2.0-*.json[.gz] (the
// yearly feeds) in a bundle; "nvd-fkie-samples" is accepted as the folder
// name too.
func (n *NVD) Layout() feed.Layout {
	now := time.Now
	if n.Now != nil {
		now = n.Now
	}
	l := feed.Layout{
		Folder:     "nvd",
		AltFolders: []string{"nvd-fkie-samples"},
		Include: func(rel string) bool {
			base := path.Base(rel)
			return strings.HasPrefix(base, "CVE-") && strings.HasSuffix(base, ".json") ||
				strings.HasPrefix(base, "nvdcve-2.0-") && (strings.HasSuffix(base, ".json") || strings.HasSuffix(base, ".json.gz"))
		},
	}
	last := now().UTC().Year()
	for y := 2002; y <= last; y++ {
		l.Upstream = append(l.Upstream, feed.Remote{
			URL: fmt.Sprintf(nvdFeedURL, y), Name: fmt.Sprintf("nvdcve-2.0-%d.json.gz", y),
			// A new year's file may not be out on January 1st.
			Optional: y == last,
		})
	}
	return l
}

// Fetch implements feed.Feed.
func (n *NVD) Fetch(ctx context.Context, src feed.Source, prev string) (*feed.Data, error) {
	return feed.Fetch(ctx, src, prev, n.Layout())
}

// Parse implements feed.Feed.
func (n *NVD) Parse(ctx context.Context, data *feed.Data, emit func(feed.Record) error) error {
	for _, name := range data.Files {
		var err error
		if strings.HasPrefix(path.Base(name), "nvdcve-") {
			err = n.parseYearly(ctx, data, name, emit)
		} else {
			err = feed.EachJSON(ctx, data, name, func(where string, raw []byte) error {
				rec, ok, err := ParseNVDCVE(raw)
				if err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
				if !ok {
					return nil
				}
				return emit(rec)
			})
		}
		if err != nil {
			return fmt.Errorf("nvd: %w", err)
		}
	}
	return nil
}

// parseYearly streams {"vulnerabilities": [{"cve": {…}}, …]}: a yearly
// file is too large to hold whole.
func (n *NVD) parseYearly(ctx context.Context, data *feed.Data, name string, emit func(feed.Record) error) error {
	rc, err := feed.OpenPlain(data, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := json.NewDecoder(rc)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%s: not a JSON object", name)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if tok != "vulnerabilities" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			continue
		}
		tok, err = dec.Token()
		if err == nil && tok == nil {
			continue // "vulnerabilities": null, an empty year
		}
		if err != nil || tok != json.Delim('[') {
			return fmt.Errorf("%s: vulnerabilities is not a list", name)
		}
		for i := 0; dec.More(); i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			var item struct {
				CVE json.RawMessage `json:"cve"`
			}
			if err := dec.Decode(&item); err != nil {
				return fmt.Errorf("%s: vulnerabilities[%d]: %w", name, i, err)
			}
			rec, ok, err := ParseNVDCVE(item.CVE)
			if err != nil {
				return fmt.Errorf("%s: vulnerabilities[%d]: %w", name, i, err)
			}
			if ok {
				if err := emit(rec); err != nil {
					return err
				}
			}
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

type nvdMetric struct {
	Source   string `json:"source"`
	Type     string `json:"type"`
	CVSSData struct {
		Version      string  `json:"version"`
		VectorString string  `json:"vectorString"`
		BaseScore    float64 `json:"baseScore"`
	} `json:"cvssData"`
}

type nvdCVE struct {
	ID           string `json:"id"`
	Published    string `json:"published"`
	LastModified string `json:"lastModified"`
	VulnStatus   string `json:"vulnStatus"`
	Descriptions []struct {
		Lang  string `json:"lang"`
		Value string `json:"value"`
	} `json:"descriptions"`
	Metrics struct {
		V40 []nvdMetric `json:"cvssMetricV40"`
		V31 []nvdMetric `json:"cvssMetricV31"`
		V30 []nvdMetric `json:"cvssMetricV30"`
		V2  []nvdMetric `json:"cvssMetricV2"`
	} `json:"metrics"`
	Weaknesses []struct {
		Description []struct {
			Value string `json:"value"`
		} `json:"description"`
	} `json:"weaknesses"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
}

// ParseNVDCVE converts one CVE API 2.0 "cve" object. ok is false for
// rejected CVEs, which describe nothing.
func ParseNVDCVE(raw []byte) (feed.Record, bool, error) {
	var c nvdCVE
	if err := json.Unmarshal(raw, &c); err != nil {
		return feed.Record{}, false, err
	}
	if !strings.HasPrefix(c.ID, "CVE-") {
		return feed.Record{}, false, fmt.Errorf("nvd record has no CVE id")
	}
	if c.VulnStatus == "Rejected" {
		return feed.Record{}, false, nil
	}
	v := model.Vulnerability{
		ID:        c.ID,
		Published: osv.ParseTime(c.Published),
		Modified:  osv.ParseTime(c.LastModified),
	}
	for _, d := range c.Descriptions {
		if d.Lang == "en" {
			v.Details = d.Value
			break
		}
	}
	for _, set := range []struct {
		typ     string
		metrics []nvdMetric
	}{{"CVSS_V4", c.Metrics.V40}, {"CVSS_V3", c.Metrics.V31}, {"CVSS_V3", c.Metrics.V30}, {"CVSS_V2", c.Metrics.V2}} {
		if m, ok := pickMetric(set.metrics); ok {
			vec := m.CVSSData.VectorString
			if set.typ == "CVSS_V4" && !strings.HasPrefix(vec, "CVSS:4") {
				vec = "CVSS:4.0/" + vec
			}
			v.Severities = append(v.Severities, feed.CVSSSeverity("nvd", set.typ, vec, m.CVSSData.BaseScore))
		}
	}
	for _, w := range c.Weaknesses {
		for _, d := range w.Description {
			if strings.HasPrefix(d.Value, "CWE-") && !contains(v.CWEs, d.Value) {
				v.CWEs = append(v.CWEs, d.Value)
			}
		}
	}
	for _, r := range c.References {
		if r.URL != "" && !contains(v.References, r.URL) {
			v.References = append(v.References, r.URL)
		}
	}
	return feed.Record{Vulnerability: v}, true, nil
}

// pickMetric prefers NVD's own ("Primary") assessment over a CNA's.
func pickMetric(ms []nvdMetric) (nvdMetric, bool) {
	for _, m := range ms {
		if m.Type == "Primary" {
			return m, true
		}
	}
	if len(ms) > 0 {
		return ms[0], true
	}
	return nvdMetric{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
