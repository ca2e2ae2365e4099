package store

import (
	"context"
	"time"
)

// AcceptedRisk is an ignore entry held by the server and applied to every
// match, with the same fields as an entry of .bulwarkignore.yaml.
type AcceptedRisk struct {
	ID        int64     `json:"id"`
	VulnID    string    `json:"vulnID"`
	Package   string    `json:"package,omitempty"`
	PURL      string    `json:"purl,omitempty"`
	Path      string    `json:"path,omitempty"`
	Reason    string    `json:"reason"`
	Owner     string    `json:"owner,omitempty"`
	Expires   time.Time `json:"expires,omitzero"`
	CreatedAt time.Time `json:"createdAt"`
}

// RiskStore keeps accepted risks.
type RiskStore interface {
	// PutRisk stores a new accepted risk and returns it with its id.
	PutRisk(ctx context.Context, r AcceptedRisk) (AcceptedRisk, error)
	// Risks lists every accepted risk, expired ones included.
	Risks(ctx context.Context) ([]AcceptedRisk, error)
	// DeleteRisk removes one (ErrNotFound if unknown).
	DeleteRisk(ctx context.Context, id int64) error
}

// Scope is what a token may do.
type Scope string

// Token scopes; admin implies the others.
const (
	ScopeIngest Scope = "ingest"
	ScopeRead   Scope = "read"
	ScopeAdmin  Scope = "admin"
)

// Token is an API token; only its SHA-256 hash is stored.
type Token struct {
	Name      string    `json:"name"`
	Hash      string    `json:"-"`
	Scopes    []Scope   `json:"scopes"`
	CreatedAt time.Time `json:"createdAt"`
}

// TokenStore keeps API tokens.
type TokenStore interface {
	// PutToken stores a token, replacing one of the same name.
	PutToken(ctx context.Context, t Token) error
	// TokenByHash finds a token by the hex SHA-256 of its secret.
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// Tokens lists every token.
	Tokens(ctx context.Context) ([]Token, error)
	// DeleteToken removes a token by name.
	DeleteToken(ctx context.Context, name string) error
}
