package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// defaultCacheDir is the user cache dir plus "bulwark".
func defaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: set --cache-dir or BULWARK_CACHE_DIR: %w", err)
	}
	return filepath.Join(d, "bulwark"), nil
}

// newLogger returns a text logger on w that redacts credentials.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case "password", "token", "secret", "authorization", "auth":
				return slog.String(a.Key, "REDACTED")
			}
			return a
		},
	}))
}
