package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bulwark-security/bulwark/internal/match"
	"github.com/bulwark-security/bulwark/internal/match/ignore"
	"github.com/bulwark-security/bulwark/internal/match/vex"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/policy"
	"github.com/bulwark-security/bulwark/internal/scan"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

func newScanCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Scan an image, a directory or an SBOM for known vulnerabilities and apply a policy",
		Long: `Scan finds the packages (or reads them from an SBOM), matches them against the
vulnerability database, applies VEX documents and the ignore file, evaluates the
policy and writes the report in every format asked for.

Exit codes: 0 pass, 1 the policy failed, 2 usage or input error, 3 operational
error (no DB, registry unreachable). See docs/exit-codes.md.`,
	}
	cmd.AddCommand(newScanImageCmd(g), newScanFSCmd(g), newScanSBOMCmd(g))
	return cmd
}

// scanOptions are the flags every scan subcommand shares.
type scanOptions struct {
	db              vulnDBOptions
	offline         bool
	failOn          string
	ignoreUnfixed   bool
	failOnKEV       bool
	policyFile      string
	formats         []string
	output          string
	template        string
	vexFiles        []string
	vexOut          string
	ignoreFile      string
	showSuppressed  bool
	showUnreachable bool
	timeout         time.Duration
	diff            string
	push            pushOptions
	attest          attestOptions
}

func (o *scanOptions) addFlags(f *pflag.FlagSet) {
	o.db.addFlags(f)
	f.BoolVar(&o.offline, "offline", false, "never touch the network for vulnerability data; fail (exit 3) when no DB is present")
	f.StringVar(&o.failOn, "fail-on", "", "exit 1 when an unsuppressed finding is at or above this severity: negligible, low, medium, high, critical")
	f.BoolVar(&o.ignoreUnfixed, "ignore-unfixed", false, "count only findings that have a fixed version (for --fail-on and the policy)")
	f.BoolVar(&o.failOnKEV, "fail-on-kev", false, "exit 1 when a finding is in CISA's Known Exploited Vulnerabilities catalog")
	f.StringVar(&o.policyFile, "policy", "", "policy file (bulwark.yaml; see docs/policy.md); flags override its base rules")
	f.StringArrayVar(&o.formats, "format", nil, "output format, FORMAT or FORMAT=FILE, repeatable: table, json, sarif, cyclonedx, spdx, junit, gitlab, markdown, template (default table)")
	f.StringVarP(&o.output, "output", "o", "", "write the first format without =FILE to this file instead of stdout")
	f.StringVar(&o.template, "template", "", "Go text/template for --format template; @FILE reads it from a file")
	f.StringArrayVar(&o.vexFiles, "vex", nil, "OpenVEX or CycloneDX VEX document that suppresses or annotates findings (repeatable)")
	f.StringVar(&o.vexOut, "vex-out", "", "write an OpenVEX document stating not_affected for Go findings whose vulnerable code is not linked in")
	f.StringVar(&o.ignoreFile, "ignore-file", "", "ignore file (default: .bulwarkignore.yaml in the current directory, when present)")
	f.BoolVar(&o.showSuppressed, "show-suppressed", false, "list suppressed findings (ignore file, VEX, unreachable) in human-readable output")
	f.BoolVar(&o.showUnreachable, "show-unreachable", false, "report Go findings whose vulnerable functions are not linked into the binary as normal findings")
	f.DurationVar(&o.timeout, "timeout", 0, "give up after this long (e.g. 5m); 0 means no limit")
	f.StringVar(&o.diff, "diff", "", "a previous JSON report: also print what is new and what was resolved since then")
	o.push.addFlags(f)
	o.attest.addFlags(f)
}

// loaded are the inputs a scan reads before matching.
type loaded struct {
	db     *vulndb.DB
	policy *policy.Policy
	vex    []*vex.Document
	ignore *ignore.File
	out    []outputSpec
}

// load validates flags and reads every input, so that usage errors come
// out before any slow work.
func (o *scanOptions) load(g *globals) (*loaded, error) {
	l := &loaded{}
	var err error
	if l.out, err = parseOutputs(o.formats, o.output, o.template, o.showSuppressed, g); err != nil {
		return nil, usageErr(err)
	}
	if l.policy, err = o.buildPolicy(); err != nil {
		return nil, usageErr(err)
	}
	if err := o.attest.prepare(); err != nil {
		return nil, usageErr(err)
	}
	for _, f := range o.vexFiles {
		d, err := vex.Load(f)
		if err != nil {
			return nil, usageErr(err)
		}
		l.vex = append(l.vex, d)
	}
	ignorePath := o.ignoreFile
	if ignorePath == "" {
		if _, err := os.Stat(".bulwarkignore.yaml"); err == nil {
			ignorePath = ".bulwarkignore.yaml"
		}
	}
	if ignorePath != "" {
		if l.ignore, err = ignore.Load(ignorePath); err != nil {
			return nil, usageErr(err)
		}
	}
	if l.db, err = o.openDB(g); err != nil {
		return nil, err
	}
	return l, nil
}

// openDB opens the vulnerability DB. Without one, --offline fails with
// what to do; otherwise the scan says it is missing and how to get it.
func (o *scanOptions) openDB(g *globals) (*vulndb.DB, error) {
	db, err := o.db.open(g)
	if err == nil {
		return db, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		path := o.db.resolve(g)
		hint := "run `bulwark db update` (or `bulwark db import FILE` on an air-gapped machine)"
		if o.offline {
			return nil, opErr(fmt.Errorf("no vulnerability DB at %s and --offline is set: %s", path, hint))
		}
		return nil, opErr(fmt.Errorf("no vulnerability DB at %s: %s", path, hint))
	}
	return nil, err
}

// buildPolicy reads --policy and lays the gate flags over its base rules.
func (o *scanOptions) buildPolicy() (*policy.Policy, error) {
	p := &policy.Policy{Name: "command line"}
	if o.policyFile != "" {
		var err error
		if p, err = policy.Load(o.policyFile); err != nil {
			return nil, err
		}
	}
	if o.failOn != "" {
		if _, err := policy.ParseSeverity(o.failOn); err != nil {
			return nil, fmt.Errorf("--fail-on: %w", err)
		}
		p.Rules.FailOn = o.failOn
	}
	if o.ignoreUnfixed {
		t := true
		p.Rules.IgnoreUnfixed = &t
	}
	if o.failOnKEV {
		t := true
		p.Rules.FailOnKEV = &t
	}
	return p, nil
}

// run matches inv and writes every output; the returned error carries the
// exit code (1 when the policy failed).
func (o *scanOptions) run(ctx context.Context, g *globals, l *loaded, inv *model.Inventory) error {
	defer l.db.Close()
	rep, warnings, err := scan.Report(ctx, inv, scan.ReportOptions{
		DB:     l.db,
		Match:  match.Options{ShowUnreachable: o.showUnreachable},
		VEX:    l.vex,
		Ignore: l.ignore,
		Policy: l.policy,
	})
	if err != nil {
		return opErr(err)
	}
	for _, w := range warnings {
		fmt.Fprintf(g.stderr, "bulwark: warning: %s\n", w)
	}
	if o.vexOut != "" {
		product := inv.Image.Ref
		if inv.Image.Digest != "" && inv.Image.Name != "" {
			product = "pkg:oci/" + lastPathElem(inv.Image.Name) + "@" + strings.ReplaceAll(inv.Image.Digest, ":", "%3A")
		}
		if err := writeOutput(g.stdout, o.vexOut, func(w ioWriter) error { return vex.WriteOpenVEX(w, rep.Findings, product) }); err != nil {
			return err
		}
	}
	for _, out := range l.out {
		if err := out.write(g, rep); err != nil {
			return err
		}
	}
	if o.diff != "" {
		if err := printDiff(g, o.diff, rep); err != nil {
			return err
		}
	}
	if err := o.push.push(ctx, g, inv); err != nil {
		return err
	}
	if err := o.attest.attest(ctx, g, rep, &o.push); err != nil {
		return err
	}
	if rep.Decision != nil && !rep.Decision.Pass {
		var failed []string
		for _, r := range rep.Decision.Reasons {
			if !r.Pass {
				failed = append(failed, r.Rule+": "+r.Message)
			}
		}
		return &exitError{code: ExitPolicy, err: fmt.Errorf("policy failed: %s", strings.Join(failed, "; "))}
	}
	return nil
}

func lastPathElem(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// timedOut replaces err with the --timeout cause when the deadline is what
// stopped the scan, so the user reads "scan timed out after 5m" rather than
// a bare "context deadline exceeded".
func timedOut(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		return opErr(cause)
	}
	return err
}

// withTimeout applies --timeout to a command's context.
func (o *scanOptions) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.timeout > 0 {
		return context.WithTimeoutCause(ctx, o.timeout, fmt.Errorf("scan timed out after %s (--timeout)", o.timeout))
	}
	return context.WithCancel(ctx)
}
