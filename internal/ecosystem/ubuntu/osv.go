package ubuntu

import (
	"context"
	"fmt"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/osv"
)

// OSVEcosystem maps osv.dev's Ubuntu ecosystems ("Ubuntu:22.04:LTS",
// "Ubuntu:24.10") to "ubuntu:<version>". Ubuntu Pro (ESM, FIPS) streams
// are skipped, as in the tracker form.
func OSVEcosystem(e string) (model.Ecosystem, string, bool) {
	parts := strings.Split(e, ":")
	if len(parts) < 2 || parts[0] != "Ubuntu" || parts[1] == "Pro" {
		return "", "", false
	}
	return model.EcosystemDeb, "ubuntu:" + parts[1], true
}

// parseOSV reads the osv.dev export. Only UBUNTU-CVE-* records are used:
// USN notices repeat them per update.
func (f *Feed) parseOSV(ctx context.Context, data *feed.Data, name string, emit func(feed.Record) error) error {
	return feed.EachOSV(ctx, data, name, func(where string, e *osv.Entry) error {
		cve, ok := strings.CutPrefix(e.ID, "UBUNTU-")
		if !ok || !strings.HasPrefix(cve, "CVE-") {
			return nil
		}
		e.Aliases = append([]string{cve}, e.Aliases...)
		rec := feed.FromOSV(e, f.Name(), OSVEcosystem)
		if len(rec.Affected) == 0 {
			return nil
		}
		if err := emit(rec); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		return nil
	})
}
