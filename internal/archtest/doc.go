// Package archtest holds the architecture test: it parses every package's
// imports and fails when a package imports one on its own or a higher
// level, following the table in docs/architecture.md.
package archtest
