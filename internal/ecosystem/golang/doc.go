// Package golang is the Go ecosystem: catalogers for the build
// information and linked functions of Go executables and for go.mod
// requirements (as lock-file evidence), and the Go vulnerability feed.
package golang
