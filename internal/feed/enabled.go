package feed

// Defaulter is implemented by feeds that are off unless asked for by name
// (`--source epss`), such as optional enrichment sources.
type Defaulter interface {
	DefaultEnabled() bool
}

// DefaultEnabled reports whether f runs in a plain `db update`: true
// unless f implements Defaulter and says otherwise.
func DefaultEnabled(f Feed) bool {
	if d, ok := f.(Defaulter); ok {
		return d.DefaultEnabled()
	}
	return true
}
