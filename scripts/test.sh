#!/usr/bin/env bash
# test.sh — the whole test suite, as CI runs it:
#   1. go vet and the unit tier (includes the architecture test; no network, no daemons)
#   2. the integration tier (build tag "integration": Docker Engine, a local registry, real images, real feeds)
# Services are installed and started by scripts/setup-test-env.sh (idempotent). Needs root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
export BULWARK_SHARED=${BULWARK_SHARED:-$(cd .. && pwd)/shared}
export BULWARK_TEST_IMAGES=${BULWARK_TEST_IMAGES:-$HOME/.cache/bulwark-test-images}

echo "== go vet"
go vet ./...
go vet -tags integration ./...

echo "== unit tests"
go test -count=1 ./...

echo "== demo (the README's first command, offline)"
demo_dir=$(mktemp -d)
DEMO_DIR=$demo_dir scripts/demo.sh >"$demo_dir.log" 2>&1 || { cat "$demo_dir.log"; echo "make demo failed"; exit 1; }
rm -rf "$demo_dir" "$demo_dir.log"

echo "== integration tests"
scripts/setup-test-env.sh
go test -count=1 -tags integration -timeout 40m ./...
go test -count=1 -tags kernel -timeout 20m ./internal/agent/...
echo "== all tiers passed"
