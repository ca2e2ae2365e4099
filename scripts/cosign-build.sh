#!/usr/bin/env bash
# cosign-build.sh — build the real cosign CLI from the Go module proxy for the attestation interop tests
# (internal/attest, build tag integration). The binary is cached under ~/.cache/bulwark-envtest/cosign-<version>/
# and only built when missing; the build runs at the lowest CPU priority (a cold build takes several minutes).
#
#   scripts/cosign-build.sh                   # prints the path of the cosign binary on stdout
#   export BULWARK_COSIGN=$(scripts/cosign-build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[cosign-build] %s\n' "$*" >&2; }

# v2 keeps attestations under the sha256-<hex>.att tag scheme by default, which is what Bulwark writes.
version=${BULWARK_COSIGN_VERSION:-v2.6.5}
cache=${BULWARK_ENVTEST_CACHE:-$HOME/.cache/bulwark-envtest}
dir=$cache/cosign-$version
bin=$dir/cosign
if [ ! -x "$bin" ]; then
  log "building cosign $version; this takes a while the first time"
  # go install builds in its own throwaway module context, so cosign's dependencies never touch Bulwark's go.mod.
  # Install into a temporary GOBIN and move the result so an interrupted build is not mistaken for a done one.
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  GOBIN=$tmp GOFLAGS=-trimpath nice -n 19 go install "github.com/sigstore/cosign/v2/cmd/cosign@$version"
  mv "$tmp/cosign" "$bin"
fi
echo "$bin"
