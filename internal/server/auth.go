package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/store"
)

// TokenPrefix starts every token secret, so leaked tokens are easy to
// spot by secret scanners.
const TokenPrefix = "bwk_"

// NewTokenSecret returns a fresh random token secret.
func NewTokenSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// HashToken is the stored form of a secret: hex SHA-256. Secrets are
// random and long, so a plain hash suffices (no password stretching).
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ParseScopes reads "ingest,read" into scopes, rejecting unknown ones.
func ParseScopes(s string) ([]store.Scope, error) {
	var out []store.Scope
	for _, p := range strings.Split(s, ",") {
		sc := store.Scope(strings.TrimSpace(p))
		switch sc {
		case store.ScopeIngest, store.ScopeRead, store.ScopeAdmin:
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		case "":
		default:
			return nil, fmt.Errorf("unknown scope %q: want ingest, read or admin", sc)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no scope given: want ingest, read or admin")
	}
	return out, nil
}

// allows reports whether a token's scopes grant need; admin grants all.
func allows(have []store.Scope, need store.Scope) bool {
	return slices.Contains(have, need) || slices.Contains(have, store.ScopeAdmin)
}

func (s *Server) authorize(r *http.Request, need store.Scope) error {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" {
		return errStatus(http.StatusUnauthorized, "missing bearer token")
	}
	t, err := s.cfg.Store.TokenByHash(r.Context(), HashToken(strings.TrimSpace(secret)))
	if errors.Is(err, store.ErrNotFound) {
		return errStatus(http.StatusUnauthorized, "unknown token")
	}
	if err != nil {
		return err
	}
	if !allows(t.Scopes, need) {
		return errStatus(http.StatusForbidden, "token %q lacks the %s scope", t.Name, need)
	}
	return nil
}
