package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/admission"
	"github.com/bulwark-security/bulwark/internal/ecosystem/all"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/policy"
	"github.com/bulwark-security/bulwark/internal/rescan"
	"github.com/bulwark-security/bulwark/internal/server"
	"github.com/bulwark-security/bulwark/internal/store"
	"github.com/bulwark-security/bulwark/internal/store/postgres"
	"github.com/bulwark-security/bulwark/internal/store/sqlite"
	"github.com/bulwark-security/bulwark/internal/store/sqlstore"
	"github.com/bulwark-security/bulwark/internal/vulndb"
)

// serverStoreFlags choose the store: the embedded one in --data, or
// PostgreSQL.
type serverStoreFlags struct {
	data     string
	postgres string
}

func (f *serverStoreFlags) open(ctx context.Context) (*sqlstore.Store, error) {
	if f.postgres != "" {
		return postgres.Open(ctx, f.postgres)
	}
	return sqlite.Open(ctx, f.data)
}

type serverOptions struct {
	admission      *admissionFlags
	verify         *verifyFlags
	listen         string
	tlsCert        string
	tlsKey         string
	eventRetention time.Duration
	dbPath         string
	mirror         string
	sources        []string
	updateInterval time.Duration
	workers        int
	bootstrap      string
	tokenFile      string
	policyFile     string
	workloadTTL    time.Duration
	webhooks       []string
	webhookSecret  string
	slack          []string
	notifyLog      bool
	minSeverity    string
	allImages      bool
}

func newServerCmd(g *globals) *cobra.Command {
	sf := &serverStoreFlags{}
	o := &serverOptions{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the Bulwark server: inventory of scanned images, continuous rescans, notifications, API",
		Long: `Server keeps the inventory of every image pushed to it (bulwark scan … --server),
updates the vulnerability DB on a schedule or on POST /api/v1/db/update, re-matches
only the stored inventories an update touches, records new and resolved findings,
and notifies. It stores everything in an embedded SQLite file under --data, or in
PostgreSQL (--postgres), where several replicas share the data and the rescan work.

Every API route but /healthz, /readyz and /metrics needs a bearer token: create
one with "bulwark server token create", or start with --bootstrap-token.
See docs/server.md.`,
		Example: `  bulwark server --listen :8080 --data ./bulwark-data --bootstrap-token "$ADMIN_TOKEN"
  bulwark server --postgres "postgres://bulwark@db/bulwark" --db-update-interval 6h --notify-slack https://hooks.slack.com/…
  bulwark server token create --name ci --scope ingest,read`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), g, sf) },
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&sf.data, "data", envDefault("BULWARK_DATA", "./bulwark-data"), "data directory: the embedded store and the vulnerability DB (env BULWARK_DATA)")
	pf.StringVar(&sf.postgres, "postgres", os.Getenv("BULWARK_POSTGRES"), "PostgreSQL URL (postgres://…); replaces the embedded store (env BULWARK_POSTGRES)")
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", ":8080", "address to serve the API on")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM); needs --tls-key")
	f.StringVar(&o.tlsKey, "tls-key", "", "private key (PEM) for --tls-cert")
	f.DurationVar(&o.eventRetention, "event-retention", server.DefaultEventRetention, "delete runtime events from node agents older than this")
	f.StringVar(&o.dbPath, "db", "", "vulnerability DB file (default <data>/vulndb/bulwark.db)")
	f.StringVar(&o.mirror, "mirror", os.Getenv("BULWARK_DB_MIRROR"), "read feeds from a feed bundle: file:///dir or an http(s) URL (env BULWARK_DB_MIRROR)")
	f.StringSliceVar(&o.sources, "source", nil, "update only these feeds (comma-separated names, as for bulwark db update --source); default: every enabled feed")
	f.DurationVar(&o.updateInterval, "db-update-interval", 6*time.Hour, "update the vulnerability DB this often and rescan what changed; 0 disables (use POST /api/v1/db/update)")
	f.IntVar(&o.workers, "workers", 1, "rescan workers on this replica (each matches images in parallel)")
	f.StringVar(&o.bootstrap, "bootstrap-token", "", "store this secret as the admin token \"bootstrap\" at start, so a fresh server is usable (env BULWARK_BOOTSTRAP_TOKEN)")
	f.StringVar(&o.tokenFile, "token-file", os.Getenv("BULWARK_TOKEN_FILE"), "also accept the tokens in this file, one \"NAME SCOPES SECRET\" line each (SECRET may be sha256:HEX); never stored (env BULWARK_TOKEN_FILE)")
	f.StringVar(&o.policyFile, "policy", "", "policy file evaluated into every report (see docs/policy.md)")
	f.DurationVar(&o.workloadTTL, "workload-ttl", 15*time.Minute, "how long a workload report counts unless the reporter renews it")
	f.StringArrayVar(&o.webhooks, "notify-webhook", nil, "POST new-finding events as JSON to this URL (repeatable)")
	f.StringVar(&o.webhookSecret, "notify-webhook-secret", "", "sign webhook bodies with HMAC-SHA256 in the X-Bulwark-Signature header (env BULWARK_WEBHOOK_SECRET)")
	f.StringArrayVar(&o.slack, "notify-slack", nil, "Slack-compatible incoming webhook URL for new-finding events (repeatable)")
	f.BoolVar(&o.notifyLog, "notify-log", true, "log each new-finding event")
	f.StringVar(&o.minSeverity, "notify-min-severity", "high", "lowest severity that notifies: negligible, low, medium, high, critical")
	f.BoolVar(&o.allImages, "notify-all-images", false, "notify for every stored image, not only images reported running")
	o.admission = addAdmissionFlags(f)
	o.verify = addVerifyFlags(f)
	cmd.AddCommand(newServerTokenCmd(g, sf))
	return cmd
}

func envDefault(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (o *serverOptions) run(ctx context.Context, g *globals, sf *serverStoreFlags) error {
	if o.bootstrap == "" {
		o.bootstrap = os.Getenv("BULWARK_BOOTSTRAP_TOKEN")
	}
	if o.webhookSecret == "" {
		o.webhookSecret = os.Getenv("BULWARK_WEBHOOK_SECRET")
	}
	minSev, err := policy.ParseSeverity(o.minSeverity)
	if err != nil {
		return usageErr(fmt.Errorf("--notify-min-severity: %w", err))
	}
	var pol *policy.Policy
	if o.policyFile != "" {
		if pol, err = policy.Load(o.policyFile); err != nil {
			return usageErr(err)
		}
	}
	src, err := mirrorSource(o.mirror)
	if err != nil {
		return usageErr(err)
	}
	feeds, err := selectFeeds(all.Feeds(), o.sources)
	if err != nil {
		return usageErr(fmt.Errorf("--source: %w", err))
	}
	st, err := sf.open(ctx)
	if err != nil {
		return opErr(err)
	}
	defer st.Close()
	if o.bootstrap != "" {
		if err := st.PutToken(ctx, store.Token{Name: "bootstrap", Hash: server.HashToken(o.bootstrap), Scopes: []store.Scope{store.ScopeAdmin}}); err != nil {
			return opErr(err)
		}
	}
	var apiTokens []store.Token
	if o.tokenFile != "" {
		if apiTokens, err = server.LoadTokenFile(o.tokenFile); err != nil {
			return usageErr(fmt.Errorf("--token-file: %w", err))
		}
	}
	dbPath := o.dbPath
	if dbPath == "" {
		dbPath = filepath.Join(sf.data, "vulndb", "bulwark.db")
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o755); err != nil {
		return opErr(err)
	}
	var db *vulndb.DB
	if _, err := os.Stat(dbPath); err == nil {
		if db, err = vulndb.Open(dbPath); err != nil {
			return opErr(err)
		}
	}
	m := rescan.NewMatcher(db)
	defer m.Close()
	m.Risks, m.Policy = st, pol
	host, _ := os.Hostname()
	sinks, names := o.sinks(g)
	rs := &rescan.Rescanner{Store: st, Matcher: m, Worker: fmt.Sprintf("%s-%d", host, os.Getpid()),
		Notify: rescan.NotifyPolicy{Sinks: names, MinSeverity: minSev, AllImages: o.allImages}}
	up := &rescan.Updater{Path: dbPath, Feeds: feeds, Source: src, Matcher: m, Rescanner: rs}
	verifier, err := o.verify.build(o.admission != nil && o.admission.enabled)
	if err != nil {
		return usageErr(err)
	}
	var (
		admit    *admission.Handler
		reported func(string, *model.Report)
		onDemand *demandScanner
	)
	if o.admission != nil && o.admission.enabled {
		if o.tlsCert == "" {
			return usageErr(fmt.Errorf("--admission needs --tls-cert and --tls-key: the Kubernetes API server calls webhooks over HTTPS only"))
		}
		var scanner admission.Scanner
		var scanTokens []store.Token
		if onDemand, scanTokens = o.admission.demandScanner(g, storeVerdicts{q: st}); onDemand != nil {
			scanner = onDemand
			apiTokens = append(apiTokens, scanTokens...)
		}
		if verifier != nil {
			o.admission.verifier = verifier
		}
		h, cache, err := o.admission.build(pol, storeVerdicts{q: st}, scanner, g.log)
		if err != nil {
			return usageErr(fmt.Errorf("admission: %w", err))
		}
		admit = h
		// Every stored scan and rescan updates the verdict at once, so a
		// rescan that turns an image failing changes the next admission.
		reported = func(digest string, r *model.Report) { cache.Update(verdictOf(digest, r)) }
		rs.Reported = reported
	}
	metrics := server.NewMetrics(prometheus.NewRegistry())
	if onDemand != nil {
		if err := onDemand.registerMetrics(metrics); err != nil {
			return opErr(err)
		}
	}
	srv := server.New(server.Config{Store: server.WithTokens(st, apiTokens), Matcher: m, Rescanner: rs, Updater: up, EventRetention: o.eventRetention,
		Metrics: metrics, WorkloadTTL: o.workloadTTL, Reported: reported})
	if onDemand != nil {
		onDemand.api = srv.Handler()
	}
	if admit != nil {
		srv.Mount("POST "+admission.ValidatePath, admit.Validating())
		srv.Mount("POST "+admission.MutatePath, admit.Mutating())
	}
	var deliverer *rescan.Deliverer
	if len(sinks) > 0 {
		deliverer = &rescan.Deliverer{Outbox: st, Sinks: sinks}
	}
	storeKind := "sqlite " + sf.data
	if sf.postgres != "" {
		storeKind = "postgres"
	}
	return opErrIf(srv.Run(ctx, server.RunOptions{
		Listen: o.listen, TLSCert: o.tlsCert, TLSKey: o.tlsKey, DBUpdateInterval: o.updateInterval,
		Workers: o.workers, Deliverer: deliverer,
		Ready: func(addr net.Addr) {
			g.log.Warn("bulwark server listening", "addr", addr.String(), "store", storeKind, "db", dbPath, "tls", o.tlsCert != "")
		},
		OnError: func(what string, err error) { g.log.Error("background task failed", "task", what, "err", err) },
	}))
}

// sinks builds the notification sinks from the flags.
func (o *serverOptions) sinks(g *globals) (map[string]rescan.Sink, []string) {
	out := map[string]rescan.Sink{}
	var names []string
	add := func(s rescan.Sink) {
		out[s.Name()] = s
		names = append(names, s.Name())
	}
	for i, u := range o.webhooks {
		add(&rescan.Webhook{SinkName: fmt.Sprintf("webhook-%d", i+1), URL: u, Secret: []byte(o.webhookSecret)})
	}
	for i, u := range o.slack {
		add(&rescan.Slack{SinkName: fmt.Sprintf("slack-%d", i+1), URL: u})
	}
	if o.notifyLog {
		add(&rescan.Log{Write: func(m *rescan.Message) {
			g.log.Warn("new finding", slog.String("vuln", m.VulnID), slog.String("severity", string(m.Severity)),
				slog.String("digest", m.Digest), slog.String("repo", m.Repo), slog.String("package", m.Package+" "+m.Version),
				slog.Bool("running", m.Running), slog.Int("workloads", len(m.Workloads)))
		}})
	}
	return out, names
}

func opErrIf(err error) error {
	if err != nil {
		return opErr(err)
	}
	return nil
}

func newServerTokenCmd(g *globals, sf *serverStoreFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and delete the server's API tokens (run where the server's store is reachable)",
	}
	var name, scopes string
	create := &cobra.Command{
		Use:     "create",
		Short:   "Create a token and print its secret once; only its SHA-256 is stored",
		Example: `  bulwark server token create --name ci --scope ingest,read`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, err := server.ParseScopes(scopes)
			if err != nil {
				return usageErr(fmt.Errorf("--scope: %w", err))
			}
			if name == "" {
				return usageErr(fmt.Errorf("--name is required"))
			}
			st, err := sf.open(cmd.Context())
			if err != nil {
				return opErr(err)
			}
			defer st.Close()
			secret := server.NewTokenSecret()
			if err := st.PutToken(cmd.Context(), store.Token{Name: name, Hash: server.HashToken(secret), Scopes: sc}); err != nil {
				return opErr(err)
			}
			fmt.Fprintln(g.stdout, secret)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "token name (replaces a token of the same name)")
	create.Flags().StringVar(&scopes, "scope", "read", "comma-separated scopes: ingest, read, admin")
	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (names and scopes; secrets are not stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := sf.open(cmd.Context())
			if err != nil {
				return opErr(err)
			}
			defer st.Close()
			ts, err := st.Tokens(cmd.Context())
			if err != nil {
				return opErr(err)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSCOPES\tCREATED")
			for _, t := range ts {
				sc := make([]string, len(t.Scopes))
				for i, s := range t.Scopes {
					sc[i] = string(s)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, strings.Join(sc, ","), t.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := sf.open(cmd.Context())
			if err != nil {
				return opErr(err)
			}
			defer st.Close()
			if err := st.DeleteToken(cmd.Context(), args[0]); err != nil {
				return opErr(err)
			}
			return nil
		},
	}
	cmd.AddCommand(create, list, del)
	return cmd
}
