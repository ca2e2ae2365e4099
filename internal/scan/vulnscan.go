package scan

import (
	"context"
	"fmt"
	"time"

	"github.com/bulwark-security/bulwark/internal/match"
	"github.com/bulwark-security/bulwark/internal/match/ignore"
	"github.com/bulwark-security/bulwark/internal/match/vex"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/policy"
	"github.com/bulwark-security/bulwark/internal/store"
)

// ReportOptions control matching an inventory into a report.
type ReportOptions struct {
	// DB is the advisory database; required.
	DB store.AdvisoryReader
	// Match tunes the engine (e.g. show not-reachable Go findings).
	Match match.Options
	// VEX documents suppress or annotate findings.
	VEX []*vex.Document
	// Ignore is the ignore file, when there is one.
	Ignore *ignore.File
	// Policy, when set, is evaluated and its Decision stored in the report.
	Policy        *policy.Policy
	PolicyContext policy.Context
	// Now is the clock for ignore expiry and policy age rules.
	Now time.Time
}

// Report matches an inventory against the database, applies VEX and ignore
// rules, and evaluates the policy. The same inventory gives the same report
// whether it came from an image, an SBOM or the server's store. Warnings
// (expired ignore entries) are returned for the caller to show.
func Report(ctx context.Context, inv *model.Inventory, opts ReportOptions) (*model.Report, []string, error) {
	if opts.DB == nil {
		return nil, nil, fmt.Errorf("no vulnerability database")
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	findings, unknowns, err := match.New(opts.DB, opts.Match).Match(ctx, inv)
	if err != nil {
		return nil, nil, fmt.Errorf("matching: %w", err)
	}
	if len(opts.VEX) > 0 {
		vex.Apply(findings, inv.Image.Digest, opts.VEX)
	}
	var warnings []string
	if opts.Ignore != nil {
		warnings = opts.Ignore.Apply(findings, opts.Now)
	}
	info, err := opts.DB.Info(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("reading database info: %w", err)
	}
	r := &model.Report{
		Schema:    model.ReportSchema,
		Inventory: *inv,
		Findings:  model.SortedFindings(findings),
		Unknowns:  unknowns,
		DB:        &info,
		CreatedAt: opts.Now.UTC(),
	}
	if r.Findings == nil {
		r.Findings = []model.Finding{}
	}
	if opts.Policy != nil {
		pc := opts.PolicyContext
		if pc.Now.IsZero() {
			pc.Now = opts.Now
		}
		if pc.Image == "" {
			pc.Image = inv.Image.Name
		}
		d := policy.Evaluate(opts.Policy, r, pc)
		r.Decision = &d
	}
	return r, warnings, nil
}
