// Package store defines the small role interfaces Bulwark's stores
// implement: reading and writing advisories (the vulnerability DB) and,
// for the server, writing and querying inventories and workloads. Each
// interface has a handful of methods so that a consumer depends only on
// what it uses.
package store

import (
	"context"

	"github.com/bulwark-security/bulwark/internal/model"
)

// AdvisoryReader answers matching's questions. Implementations are safe
// for concurrent use.
type AdvisoryReader interface {
	// Affected returns every affected entry for a package name in a
	// namespace ("debian:12", "npm", "golang", …). For distributions name
	// is the source package. No entries is not an error.
	Affected(ctx context.Context, namespace, name string) ([]model.Affected, error)
	// Vulnerability returns the joined record for an id or any alias; nil
	// when unknown.
	Vulnerability(ctx context.Context, id string) (*model.Vulnerability, error)
	// HasNamespace reports whether the DB holds any data for the
	// namespace, so matching can tell "no advisories" from "no data".
	HasNamespace(ctx context.Context, namespace string) (bool, error)
	// Info describes the database (schema, build time, sources).
	Info(ctx context.Context) (model.DBInfo, error)
}
