package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/bulwark-security/bulwark/internal/rescan"
)

// RunOptions are the long-running parts around the HTTP API.
type RunOptions struct {
	// Listen is the address, e.g. ":8080".
	Listen string
	// TLSCert and TLSKey serve HTTPS when both are set; a rotated pair
	// is picked up within seconds, without a restart.
	TLSCert, TLSKey string
	// DBUpdateInterval updates the vulnerability DB this often (and once
	// at start when no DB is loaded); 0 disables scheduled updates.
	DBUpdateInterval time.Duration
	// Workers is the number of rescan workers on this replica.
	Workers int
	// Deliverer sends notifications; nil sends none.
	Deliverer    *rescan.Deliverer
	DeliverEvery time.Duration
	// Ready, when set, is called with the bound address once listening.
	Ready func(addr net.Addr)
	// OnError reports background failures (the CLI logs them).
	OnError func(what string, err error)
}

// Run serves the API and runs rescan workers, scheduled DB updates and
// notification delivery until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context, o RunOptions) error {
	onErr := o.OnError
	if onErr == nil {
		onErr = func(string, error) {}
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	if o.TLSCert != "" {
		certs, err := newCertReloader(o.TLSCert, o.TLSKey)
		if err != nil {
			return err
		}
		hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.GetCertificate}
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", o.Listen, err)
	}
	if o.Ready != nil {
		o.Ready(ln.Addr())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if s.cfg.Rescanner != nil {
		rs := s.cfg.Rescanner
		if rs.Rescanned == nil {
			rs.Rescanned = s.cfg.Metrics.ObserveRescan
		}
		for range max(o.Workers, 1) {
			wg.Go(func() {
				if err := rs.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
					onErr("rescan worker", err)
				}
			})
		}
	}
	if o.Deliverer != nil {
		if o.Deliverer.Sent == nil {
			o.Deliverer.Sent = s.cfg.Metrics.ObserveNotification
		}
		every := o.DeliverEvery
		if every <= 0 {
			every = 5 * time.Second
		}
		wg.Go(func() { o.Deliverer.Run(ctx, every, func(err error) { onErr("notification delivery", err) }) })
	}
	wg.Go(func() { s.expireEvents(ctx, time.Hour, onErr) })
	if o.DBUpdateInterval > 0 && s.cfg.Updater != nil {
		wg.Go(func() { s.scheduleUpdates(ctx, o.DBUpdateInterval, onErr) })
	}
	errc := make(chan error, 1)
	go func() {
		if o.TLSCert != "" {
			// The certificate comes from TLSConfig, reloaded on rotation.
			errc <- hs.ServeTLS(ln, "", "")
			return
		}
		errc <- hs.Serve(ln)
	}()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer scancel()
	_ = hs.Shutdown(sctx)
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// scheduleUpdates updates the DB every interval, and at once when no DB
// is loaded yet.
func (s *Server) scheduleUpdates(ctx context.Context, every time.Duration, onErr func(string, error)) {
	update := func() {
		if _, err := s.cfg.Updater.Update(ctx); err != nil {
			s.cfg.Metrics.DBUpdates.WithLabelValues("error").Inc()
			if ctx.Err() == nil {
				onErr("scheduled db update", err)
			}
			return
		}
		s.cfg.Metrics.DBUpdates.WithLabelValues("ok").Inc()
	}
	if _, _, ok := s.cfg.Matcher.DBInfo(); !ok {
		update()
	}
	repeat(ctx, every, update)
}

// repeat calls f every interval until ctx ends.
func repeat(ctx context.Context, every time.Duration, f func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
