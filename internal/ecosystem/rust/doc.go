// Package rust catalogs Rust crates from Cargo.lock files and from the
// dependency list that cargo-auditable embeds in executables.
package rust
