// Package model holds Bulwark's plain data: image identity, layer provenance,
// distributions, packages, advisories, findings and reports.
//
// Everything here is a value type with JSON tags. The package imports nothing
// from the rest of Bulwark and has no behaviour beyond small helpers, so every
// other package can depend on it.
package model
