package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/bulwark-security/bulwark/internal/scan"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// progressLine draws one self-overwriting status line on a terminal:
// layers done out of total and bytes read. It draws at most ten times a
// second and erases itself when done.
type progressLine struct {
	w      io.Writer
	mu     sync.Mutex
	total  int
	done   int
	cached int
	bytes  map[int]int64
	last   time.Time
	drawn  bool
}

func newProgress(w io.Writer) *progressLine {
	return &progressLine{w: w, bytes: map[int]int64{}}
}

// progressFor returns the callback for scan.Options.Progress, or nil when
// no display should be drawn (quiet, or stderr is not a terminal).
func progressFor(g *globals) (func(scan.Event), func()) {
	if g.quiet || !isTerminal(g.stderr) {
		return nil, func() {}
	}
	p := newProgress(g.stderr)
	return p.event, p.finish
}

func (p *progressLine) event(e scan.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Kind {
	case scan.EventResolved:
		p.total = e.Layers
	case scan.EventLayerBytes:
		p.bytes[e.Layer] = e.Bytes
	case scan.EventLayerDone:
		p.done++
		if e.Cached {
			p.cached++
		}
		p.bytes[e.Layer] = e.Bytes
	}
	if time.Since(p.last) < 100*time.Millisecond && p.done < p.total {
		return
	}
	p.last = time.Now()
	var sum int64
	for _, b := range p.bytes {
		sum += b
	}
	fmt.Fprintf(p.w, "\r\033[Klayers %d/%d (%d cached), %s read", p.done, p.total, p.cached, formatBytes(sum))
	p.drawn = true
}

func (p *progressLine) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
