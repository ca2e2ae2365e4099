package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
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

// LoadTokenFile reads pre-provisioned tokens, one per line:
//
//	NAME SCOPES SECRET
//
// where SCOPES is "ingest,read" as for ParseScopes and SECRET is the
// token secret or "sha256:" and its hex SHA-256, so that the file need
// not hold secrets at all. Blank lines and lines starting with # are
// skipped. Only hashes are kept.
func LoadTokenFile(path string) ([]store.Token, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	return ParseTokenFile(path, b)
}

// ParseTokenFile parses the contents of a token file; name labels errors.
func ParseTokenFile(name string, b []byte) ([]store.Token, error) {
	var out []store.Token
	seen := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("token file %s line %d: want NAME SCOPES SECRET, got %d fields", name, i+1, len(f))
		}
		scopes, err := ParseScopes(f[1])
		if err != nil {
			return nil, fmt.Errorf("token file %s line %d: %w", name, i+1, err)
		}
		hash, hashed := strings.CutPrefix(f[2], "sha256:")
		switch {
		case !hashed && len(f[2]) < 16:
			return nil, fmt.Errorf("token file %s line %d: token %q: the secret is shorter than 16 characters", name, i+1, f[0])
		case !hashed:
			hash = HashToken(f[2])
		default:
			if _, err := hex.DecodeString(hash); err != nil || len(hash) != sha256.Size*2 {
				return nil, fmt.Errorf("token file %s line %d: token %q: sha256: wants 64 hex digits", name, i+1, f[0])
			}
			hash = strings.ToLower(hash)
		}
		if seen[f[0]] {
			return nil, fmt.Errorf("token file %s line %d: token %q is listed twice", name, i+1, f[0])
		}
		seen[f[0]] = true
		out = append(out, store.Token{Name: f[0], Hash: hash, Scopes: scopes})
	}
	return out, nil
}

// WithTokens returns st answering TokenByHash from tokens first, so the
// tokens of a token file authenticate without ever being written to the
// store (removing a line and restarting revokes one).
func WithTokens(st store.Server, tokens []store.Token) store.Server {
	if len(tokens) == 0 {
		return st
	}
	m := make(map[string]store.Token, len(tokens))
	for _, t := range tokens {
		m[t.Hash] = t
	}
	return &fileTokens{Server: st, byHash: m}
}

type fileTokens struct {
	store.Server
	byHash map[string]store.Token
}

func (f *fileTokens) TokenByHash(ctx context.Context, hash string) (*store.Token, error) {
	if t, ok := f.byHash[hash]; ok {
		return &t, nil
	}
	return f.Server.TokenByHash(ctx, hash)
}
