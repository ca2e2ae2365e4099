package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-security/bulwark/internal/agent"
	"github.com/bulwark-security/bulwark/internal/runtime"
)

// defaultProfileDir is where the agent keeps learned profiles.
const defaultProfileDir = "/var/lib/bulwark/profiles"

func newAgentCmd(g *globals) *cobra.Command {
	var (
		mode, server, token string
		serverCA            string
		dockerHost, cri     string
		learnFor            time.Duration
		allEvents           bool
		enforcers           []string
	)
	profiles := new(string)
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Watch what containers execute; learn, alert on and block the unexpected",
		Long: `Run the node agent. It sees every exec through an eBPF tracepoint, attributes it
to a container by cgroup, keys it by the container's image digest and judges it
against that image's profile:

  learn    record executables for --learn-for per image, save the profile, then alert
  alert    report execs outside the profile, and drift (files not from the image)
  enforce  deny them: EPERM via BPF LSM or fanotify where the kernel allows, SIGKILL otherwise

Per-image modes in the profile files override --mode. Events are JSON lines on
stdout (schema in docs/runtime.md). Needs root (CAP_SYS_ADMIN, CAP_BPF) and a
kernel with BTF.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := runtime.ParseMode(mode)
			if err != nil {
				return usageErr(err)
			}
			if learnFor < 0 {
				return usageErr(errors.New("--learn-for must not be negative"))
			}
			for _, e := range enforcers {
				if !slices.Contains(agent.DefaultEnforcers, e) {
					return usageErr(fmt.Errorf("--enforcers: unknown mechanism %q (want %s)", e, strings.Join(agent.DefaultEnforcers, ", ")))
				}
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			if cri != "" && dockerHost != "" {
				return usageErr(errors.New("--cri-endpoint and --docker-host exclude each other"))
			}
			rt, rtDesc, err := agent.DetectRuntime(ctx, cri, dockerHost)
			if err != nil {
				return usageErr(err)
			}
			if c, ok := rt.(io.Closer); ok {
				defer c.Close()
			}
			var sink agent.Sink = agent.NewJSONLines(g.stdout)
			if server != "" {
				if token == "" {
					token = os.Getenv("BULWARK_TOKEN")
				}
				if token == "" {
					return usageErr(errors.New("--server needs --token (or env BULWARK_TOKEN) with the ingest scope"))
				}
				hc, err := serverHTTPClient("--server-ca", serverCA, 10*time.Second)
				if err != nil {
					return usageErr(err)
				}
				sink = agent.Tee{sink, agent.NewServerSink(ctx, server, token, hc)}
			}
			a, err := agent.New(ctx, agent.Options{
				Mode: m, LearnFor: learnFor, Profiles: runtime.Dir(*profiles),
				Runtime: rt, Sink: sink, Enforcers: enforcers, EmitAllowed: allEvents,
			})
			if err != nil {
				return opErr(err)
			}
			defer a.Close()
			g.log.Info("agent started", "mode", m, "enforcer", a.Enforcer(), "profiles", *profiles, "runtime", rtDesc)
			if m == runtime.ModeEnforce && a.Enforcer() == "" {
				g.log.Warn("no enforcement mechanism works on this kernel; reporting only", "probes", fmt.Sprint(a.Probes()))
			}
			if err := a.Run(ctx); err != nil {
				return opErr(err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&mode, "mode", string(runtime.ModeAlert), "default mode: learn, alert or enforce")
	f.DurationVar(&learnFor, "learn-for", 15*time.Minute, "learning window per image in learn mode (0: until restarted in another mode)")
	f.StringVar(&server, "server", "", "also send events to this Bulwark server URL")
	f.StringVar(&token, "token", "", "API token with the ingest scope for --server (env BULWARK_TOKEN)")
	f.StringVar(&serverCA, "server-ca", os.Getenv("BULWARK_CA_CERT"), "CA certificate (PEM) that signs the server's certificate (env BULWARK_CA_CERT)")
	f.StringVar(&dockerHost, "docker-host", "", "Docker Engine API (default $DOCKER_HOST or unix:///var/run/docker.sock)")
	f.StringVar(&cri, "cri-endpoint", "", "Kubernetes CRI socket to resolve containers with, e.g. unix:///run/crio/crio.sock (default: containerd's socket when it serves the CRI, then Docker)")
	f.BoolVar(&allEvents, "all-events", false, "also report allowed execs outside learn mode")
	f.StringSliceVar(&enforcers, "enforcers", nil, "enforcement mechanisms to probe, strongest first (default bpf-lsm,fanotify,bpf-signal)")
	cmd.PersistentFlags().StringVar(profiles, "profiles", defaultProfileDir, "directory of profile files")
	cmd.AddCommand(newAgentProfilesCmd(g, profiles))
	return cmd
}
