// Package cli is Bulwark's command line: flags, configuration and exit
// codes. It is the only package that knows about flags; everything below it
// takes plain values.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes, documented in docs/exit-codes.md.
const (
	ExitOK          = 0 // success; the policy passed
	ExitPolicy      = 1 // the scan ran and the policy failed
	ExitUsage       = 2 // bad flags, bad reference, unreadable input
	ExitOperational = 3 // DB missing or stale, registry unreachable, I/O failure
)

// Version is set at build time with -ldflags "-X …/internal/cli.Version=…".
var Version = "dev"

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as a usage/input error (exit 2).
func usageErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// opErr marks err as an operational error (exit 3).
func opErr(err error) error { return &exitError{code: ExitOperational, err: err} }

// globals are the flags every command shares.
type globals struct {
	cacheDir string
	quiet    bool
	verbose  bool
	stdout   io.Writer
	stderr   io.Writer
	log      *slog.Logger
}

// Main runs the CLI and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(stderr, "bulwark: %v\n", ee.err)
		}
		return ee.code
	}
	// Errors cobra raises itself (unknown flag, wrong arg count) are usage errors.
	fmt.Fprintf(stderr, "bulwark: %v\n", err)
	return ExitUsage
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "bulwark",
		Short:         "Container security: scan images, gate CI, admit workloads, watch runtime",
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			level := slog.LevelWarn
			if g.verbose {
				level = slog.LevelDebug
			}
			if g.quiet {
				level = slog.LevelError
			}
			g.log = newLogger(g.stderr, level)
			if g.cacheDir == "" {
				d, err := defaultCacheDir()
				if err != nil {
					return opErr(err)
				}
				g.cacheDir = d
			}
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.cacheDir, "cache-dir", os.Getenv("BULWARK_CACHE_DIR"), "cache directory for layer results and the vulnerability DB (env BULWARK_CACHE_DIR; default: the user cache dir)")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "print nothing but results and errors")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "debug logging on stderr")

	for _, add := range commands {
		root.AddCommand(add(g))
	}
	return root
}

// commands is the one list of top-level commands; each lives in its own file.
var commands = []func(*globals) *cobra.Command{
	newSBOMCmd,
	newCacheCmd,
	newDBCmd,
	newScanCmd,
	newExplainCmd,
	newAgentCmd,
	newServerCmd,
	newImagesCmd,
	newAffectedCmd,
	newEventsCmd,
	newWatchCmd,
	newVerifyCmd,
}
