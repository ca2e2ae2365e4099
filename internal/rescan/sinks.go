package rescan

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/store"
)

// Sink delivers one message somewhere.
type Sink interface {
	Name() string
	Send(ctx context.Context, body []byte) error
}

// SignatureHeader carries a webhook body's HMAC-SHA256, "sha256=<hex>".
const SignatureHeader = "X-Bulwark-Signature"

// Sign returns the SignatureHeader value for body under secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Webhook posts the message JSON, signed with HMAC-SHA256 when a secret
// is set, so receivers can check it came from this server.
type Webhook struct {
	SinkName string
	URL      string
	Secret   []byte
	Client   *http.Client
}

var _ Sink = (*Webhook)(nil)

// Name returns the sink's name.
func (w *Webhook) Name() string { return w.SinkName }

// Send posts body.
func (w *Webhook) Send(ctx context.Context, body []byte) error {
	h := map[string]string{"Content-Type": "application/json"}
	if len(w.Secret) > 0 {
		h[SignatureHeader] = Sign(w.Secret, body)
	}
	return post(ctx, w.Client, w.URL, body, h)
}

// Slack posts to a Slack-compatible incoming webhook a one-line summary.
type Slack struct {
	SinkName string
	URL      string
	Client   *http.Client
}

var _ Sink = (*Slack)(nil)

// Name returns the sink's name.
func (s *Slack) Name() string { return s.SinkName }

// Send turns the message into Slack's {"text": …} and posts it.
func (s *Slack) Send(ctx context.Context, body []byte) error {
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("slack: message: %w", err)
	}
	b, _ := json.Marshal(map[string]string{"text": Text(&m)})
	return post(ctx, s.Client, s.URL, b, map[string]string{"Content-Type": "application/json"})
}

// Log hands each message to a function (the CLI logs it with slog).
type Log struct {
	Write func(m *Message)
}

var _ Sink = (*Log)(nil)

// Name is "log".
func (l *Log) Name() string { return "log" }

// Send decodes and writes the message.
func (l *Log) Send(_ context.Context, body []byte) error {
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("log: message: %w", err)
	}
	l.Write(&m)
	return nil
}

// Text is a one-line human summary of a message.
func Text(m *Message) string {
	where := m.Repo
	if where == "" {
		where = m.Digest
	}
	s := fmt.Sprintf("%s %s in %s (%s %s)", m.Severity, m.VulnID, where, m.Package, m.Version)
	if len(m.FixedVersions) > 0 {
		s += ", fixed in " + strings.Join(m.FixedVersions, ", ")
	}
	if m.Running {
		s += fmt.Sprintf("; running in %d container(s)", len(m.Workloads))
	}
	return s
}

func post(ctx context.Context, c *http.Client, url string, body []byte, headers map[string]string) error {
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", req.URL.Host, resp.Status)
	}
	return nil
}

// Deliverer sends the outbox's messages, retrying with exponential
// backoff; a message leaves the outbox only once its sink accepted it.
type Deliverer struct {
	Outbox store.Outbox
	Sinks  map[string]Sink
	// Backoff is the first retry delay, doubled per attempt up to
	// MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Lease is how long a message being sent is hidden from others.
	Lease time.Duration
	Now   func() time.Time
	// Sent, when set, observes each attempt.
	Sent func(sink string, err error)
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// DeliverDue sends every due message once; it returns how many were sent.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	lease := d.Lease
	if lease <= 0 {
		lease = time.Minute
	}
	sent := 0
	for {
		due, err := d.Outbox.DueNotifications(ctx, d.now(), lease, 100)
		if err != nil {
			return sent, err
		}
		if len(due) == 0 {
			return sent, nil
		}
		for _, n := range due {
			sink := d.Sinks[n.Sink]
			var err error
			if sink == nil {
				err = fmt.Errorf("no sink named %q is configured", n.Sink)
			} else {
				err = sink.Send(ctx, n.Payload)
			}
			if d.Sent != nil {
				d.Sent(n.Sink, err)
			}
			if err == nil {
				sent++
				if err := d.Outbox.Delivered(ctx, n.ID); err != nil {
					return sent, err
				}
				continue
			}
			if err := d.Outbox.Retry(ctx, n.ID, d.now().Add(d.backoff(n.Attempts)), err.Error()); err != nil {
				return sent, err
			}
		}
	}
}

func (d *Deliverer) backoff(attempts int) time.Duration {
	b, maxB := d.Backoff, d.MaxBackoff
	if b <= 0 {
		b = 5 * time.Second
	}
	if maxB <= 0 {
		maxB = time.Hour
	}
	for i := 1; i < attempts && b < maxB; i++ {
		b *= 2
	}
	return min(b, maxB)
}

// Run delivers due messages every interval until ctx ends.
func (d *Deliverer) Run(ctx context.Context, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
