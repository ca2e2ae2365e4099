package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// memFeed emits fixed records; it never reports unchanged.
type memFeed struct {
	name    string
	records []feed.Record
	fail    error
}

var _ feed.Feed = (*memFeed)(nil)

func (f *memFeed) Name() string { return f.name }
func (f *memFeed) Version() int { return 1 }
func (f *memFeed) Fetch(context.Context, feed.Source, string) (*feed.Data, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	return &feed.Data{Fingerprint: "fp-" + f.name, Close: func() error { return nil }}, nil
}
func (f *memFeed) Parse(_ context.Context, _ *feed.Data, emit func(feed.Record) error) error {
	for _, r := range f.records {
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

func testDBFeeds() []feed.Feed {
	return []feed.Feed{
		&memFeed{name: "debian", records: []feed.Record{{
			Vulnerability: model.Vulnerability{ID: "CVE-2023-4911"},
			Affected: []model.Affected{{Namespace: "debian:12", Ecosystem: model.EcosystemDeb, Package: "glibc", Status: model.StatusFixed,
				Ranges: []model.Range{{Introduced: "0", Fixed: "2.36-9+deb12u3"}}}},
		}}},
		&memFeed{name: "ghsa-npm", records: []feed.Record{{
			Vulnerability: model.Vulnerability{ID: "GHSA-jf85-cpcp-j695", Aliases: []string{"CVE-2019-10744"}},
			Affected: []model.Affected{{Namespace: "npm", Ecosystem: model.EcosystemNPM, Package: "lodash", Status: model.StatusFixed,
				Ranges: []model.Range{{Introduced: "0", Fixed: "4.17.12"}}}},
		}}},
		&memFeed{name: "kev", records: []feed.Record{{Vulnerability: model.Vulnerability{ID: "CVE-2023-4911", KEV: &model.KEV{DateAdded: "2023-11-21"}}}}},
	}
}

// runDB runs one db subcommand the way root does, returning its exit code.
func runDB(t *testing.T, cacheDir string, feeds []feed.Feed, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{cacheDir: cacheDir, stdout: &out, stderr: &errb, log: newLogger(io.Discard, 0)}
	path := &dbPathFlag{}
	cmd := &cobra.Command{Use: "db", SilenceErrors: true, SilenceUsage: true}
	cmd.PersistentFlags().StringVar(&path.path, "db", "", "")
	list := func() []feed.Feed { return feeds }
	cmd.AddCommand(newDBUpdateCmd(g, path, list), newDBStatusCmd(g, path, list), newDBExportCmd(g, path), newDBImportCmd(g, path))
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	err := cmd.ExecuteContext(context.Background())
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.code, out.String(), errb.String() + ee.Error()
	}
	return ExitUsage, out.String(), errb.String() + err.Error()
}

func TestDBCommands(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	feeds := testDBFeeds()

	if code, _, errs := runDB(t, cache, feeds, "status"); code != ExitOperational || !strings.Contains(errs, "run bulwark db update") {
		t.Errorf("status without a DB: exit %d, %q", code, errs)
	}
	if code, out, errs := runDB(t, cache, feeds, "update"); code != ExitOK || !strings.Contains(out, "first build") {
		t.Fatalf("update: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ := runDB(t, cache, append(feeds, &memFeed{name: "epss"}), "status")
	if code != ExitOK {
		t.Fatalf("status: exit %d", code)
	}
	for _, want := range []string{"schema:  1", "debian", "ghsa-npm", "kev", "fp-debian", "epss", "not in this DB", vulndb.DefaultPath(cache)} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}

	// A failing feed: exit 3, the DB in place named with its age.
	broken := append(testDBFeeds()[:1], &memFeed{name: "ghsa-npm", fail: errors.New("dial tcp: connection refused")})
	code, _, errs := runDB(t, cache, broken, "update")
	if code != ExitOperational || !strings.Contains(errs, "keeping the vulnerability DB") || !strings.Contains(errs, "source ghsa-npm") {
		t.Errorf("failed update: exit %d, %q", code, errs)
	}

	// --source names feeds, by prefix too; others are kept.
	if code, out, errs := runDB(t, cache, feeds, "update", "--source", "ghsa"); code != ExitOK || !strings.Contains(out, "debian    kept") {
		t.Errorf("update --source ghsa: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runDB(t, cache, feeds, "update", "--source", "nope"); code != ExitUsage || !strings.Contains(errs, "known sources: debian, ghsa-npm, kev") {
		t.Errorf("update --source nope: exit %d, %q", code, errs)
	}

	// Export, then import into a fresh cache: first use pins the key.
	archive := filepath.Join(dir, "db.tar.zst")
	if code, _, errs := runDB(t, cache, feeds, "export", archive); code != ExitOK || !strings.Contains(errs, "created signing key") {
		t.Fatalf("export: exit %d, %q", code, errs)
	}
	other := filepath.Join(dir, "other")
	code, out, errs = runDB(t, other, feeds, "import", archive)
	if code != ExitOK || !strings.Contains(errs, "pinned") || !strings.Contains(out, "imported") {
		t.Fatalf("import on first use: exit %d\n%s%s", code, out, errs)
	}
	if pinned, _ := filepath.Glob(filepath.Join(other, "keys", "trusted", "*.pub")); len(pinned) != 1 {
		t.Errorf("pinned keys: %v", pinned)
	}
	// --require-trusted-key refuses first use.
	if code, _, _ := runDB(t, filepath.Join(dir, "strict"), feeds, "import", "--require-trusted-key", archive); code != ExitOperational {
		t.Errorf("import --require-trusted-key without keys: exit %d, want 3", code)
	}
	// With the exporter's public key configured, import is silent about trust.
	t.Setenv("BULWARK_DB_TRUSTED_KEYS", filepath.Join(cache, "keys", vulndb.PublicKeyFile))
	if code, _, errs := runDB(t, filepath.Join(dir, "third"), feeds, "import", archive); code != ExitOK || strings.Contains(errs, "pinned") {
		t.Errorf("import with a trusted key: exit %d, %q", code, errs)
	}

	// A tampered archive is refused and the DB in place stays.
	b, _ := os.ReadFile(archive)
	b[len(b)/2] ^= 0xff
	bad := filepath.Join(dir, "bad.tar.zst")
	os.WriteFile(bad, b, 0o644)
	before, _ := os.ReadFile(vulndb.DefaultPath(other))
	code, _, errs = runDB(t, other, feeds, "import", bad)
	if code == ExitOK || !strings.Contains(errs, "not imported; keeping the vulnerability DB") {
		t.Errorf("tampered import: exit %d, %q", code, errs)
	}
	if after, _ := os.ReadFile(vulndb.DefaultPath(other)); !bytes.Equal(before, after) {
		t.Error("tampered import changed the DB")
	}
}

func TestVulnDBOptions(t *testing.T) {
	cache := t.TempDir()
	if code, _, errs := runDB(t, cache, testDBFeeds(), "update"); code != ExitOK {
		t.Fatalf("update: %s", errs)
	}
	g := &globals{cacheDir: cache, stderr: io.Discard}
	o := &vulnDBOptions{}
	db, err := o.open(g)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	o.maxAge = ageValue(time.Nanosecond)
	_, err = o.open(g)
	var ee *exitError
	var se *vulndb.StaleError
	if !errors.As(err, &ee) || ee.code != ExitOperational || !errors.As(err, &se) {
		t.Errorf("open with --max-db-age 1ns = %v, want exit 3 with a StaleError", err)
	}
	o = &vulnDBOptions{dbPathFlag: dbPathFlag{path: filepath.Join(cache, "missing.db")}}
	if _, err := o.open(g); !errors.As(err, &ee) || ee.code != ExitOperational {
		t.Errorf("open of a missing DB = %v, want exit 3", err)
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "1.5d": 36 * time.Hour, "36h": 36 * time.Hour, "0": 0} {
		got, err := parseAge(in)
		if err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "soon", "-3h"} {
		if _, err := parseAge(in); err == nil {
			t.Errorf("parseAge(%q) succeeded", in)
		}
	}
}

func TestMirrorSource(t *testing.T) {
	dir := t.TempDir()
	for in, want := range map[string]string{"": "", "file://" + dir: "file://" + dir, dir: "file://" + dir, "https://mirror.example/feeds": "https://mirror.example/feeds"} {
		got, err := mirrorSource(in)
		if err != nil || got.Mirror != want {
			t.Errorf("mirrorSource(%q) = %q, %v; want %q", in, got.Mirror, err, want)
		}
	}
	for _, in := range []string{"file://" + filepath.Join(dir, "none"), "ftp://x", "relative/none"} {
		if _, err := mirrorSource(in); err == nil {
			t.Errorf("mirrorSource(%q) succeeded", in)
		}
	}
	if diff := cmp.Diff("1.5 KiB", formatBytes(1536)); diff != "" {
		t.Error(diff)
	}
}
