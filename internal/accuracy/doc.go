// Package accuracy holds Bulwark's evidence for matching accuracy and
// speed: integration tests that check the findings for a real Debian 12
// image against independent oracles (the raw feed records evaluated with
// dpkg, node-semver and golang.org/x/mod/semver), a false-positive set
// where NVD and the vendor disagree, the identity of findings across an
// image, its SBOMs and its stored inventory, and benchmarks of matching
// and whole scans. The package has no non-test code; run it with
//
//	go test -tags integration ./internal/accuracy/
//
// See docs/accuracy.md for what each oracle compares and the results.
package accuracy
