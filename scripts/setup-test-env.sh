#!/usr/bin/env bash
# setup-test-env.sh — install and start what the integration tiers need, idempotently:
# Debian packages (Docker Engine, registry, rpm tools, skopeo, debootstrap, npm), a Docker Engine with no
# bridge network, and the real Debian 12 test images. Needs root on Debian 12. Safe to run repeatedly.
#
#   scripts/setup-test-env.sh            # everything
#   BULWARK_SHARED=/path/to/shared ...   # where the shared test data and image builder live (default ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup-test-env] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (installs Debian packages and starts dockerd)"

# Each Debian package with a probe that says it is already there: some tools (node/npm, for one) may come from
# outside Debian's packages, and reinstalling them through apt would conflict.
probes=(
  "docker.io:command -v dockerd"
  "docker-registry:command -v docker-registry"
  "skopeo:command -v skopeo"
  "debootstrap:command -v debootstrap"
  "npm:command -v npm"
  "rpm:command -v rpm"
  "python3-rpm:/usr/bin/python3 -c 'import rpm'"
  "apache2-utils:command -v htpasswd"
  "time:test -x /usr/bin/time"
  "dpkg-dev:command -v dpkg-architecture"
  "zstd:command -v zstd"
  "curl:command -v curl"
  "gcc:command -v gcc"
  "libc6-dev:test -f /usr/include/stdlib.h"
)
missing=()
for entry in "${probes[@]}"; do
  pkg=${entry%%:*} probe=${entry#*:}
  bash -c "$probe" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
fi
# The Debian registry package starts a service on :5000 that tests do not use.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
pkill -f '^/usr/bin/docker-registry serve /etc/docker/registry/config.yml' 2>/dev/null || true

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (no bridge network, no iptables)"
  mkdir -p /var/log/bulwark-test
  nohup dockerd --bridge=none --iptables=false >/var/log/bulwark-test/dockerd.log 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || die "dockerd did not start; see /var/log/bulwark-test/dockerd.log"
fi

shared=${BULWARK_SHARED:-$(cd .. && pwd)/shared}
if [ -x "$shared/tools/make-test-images" ]; then
  log "test images (cached in ${BULWARK_TEST_IMAGES:-$HOME/.cache/bulwark-test-images})"
  "$shared/tools/make-test-images" >/dev/null
elif [ "${CI:-}" = true ]; then
  die "no shared test data at $shared: set BULWARK_SHARED"
else
  log "no shared test data at $shared: integration tests that need it will fail; set BULWARK_SHARED"
fi
log "Kubernetes control plane and helm for the admission tests (cached in ~/.cache/bulwark-envtest)"; scripts/envtest-assets.sh >/dev/null
log "cosign CLI for the attestation interop tests (cached in ~/.cache/bulwark-envtest)"; scripts/cosign-build.sh >/dev/null
eval "$(scripts/start-postgres.sh)"  # PostgreSQL for the server store tests; URL in /tmp/bulwark-test-postgres.url
log "ready"
