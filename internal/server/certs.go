package server

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// certReloader serves the certificate in a pair of PEM files and reloads
// it when either file changes, so a certificate rotated by cert-manager
// (or any renewal job) is used without restarting the server. A broken
// rotation keeps the last good certificate.
type certReloader struct {
	certFile, keyFile string
	// every bounds how often the files are stat'ed.
	every time.Duration

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time
	checked time.Time
	lastErr error
}

func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, every: 10 * time.Second}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// load reads the pair; the caller holds mu or is the constructor.
func (r *certReloader) load() error {
	mt, err := r.newestModTime()
	if err != nil {
		return err
	}
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate %s / key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.modTime = &c, mt
	return nil
}

func (r *certReloader) newestModTime() (time.Time, error) {
	var newest time.Time
	for _, f := range []string{r.certFile, r.keyFile} {
		st, err := os.Stat(f)
		if err != nil {
			return time.Time{}, fmt.Errorf("TLS: %w", err)
		}
		if st.ModTime().After(newest) {
			newest = st.ModTime()
		}
	}
	return newest, nil
}

// GetCertificate implements tls.Config.GetCertificate.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= r.every {
		r.checked = now
		if mt, err := r.newestModTime(); err == nil && !mt.Equal(r.modTime) {
			// Keep serving the previous certificate when the new pair
			// does not load (a half-written rotation, a key mismatch).
			r.lastErr = r.load()
		}
	}
	return r.cert, nil
}

// Err is the last reload failure, nil when the served pair is current.
func (r *certReloader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}
