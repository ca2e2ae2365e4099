#!/usr/bin/env bash
# start-registry.sh — run Debian's docker-registry on 127.0.0.1 with basic auth, for integration tests.
#
# Usage: scripts/start-registry.sh PORT [USER [PASSWORD]]
#   Installs docker-registry and apache2-utils (htpasswd) with apt when missing (needs root then),
#   writes a config, an htpasswd file and storage into a new temp dir, starts the registry in the
#   background and waits until it answers. Idempotent: when something already answers on the port
#   as a registry, it only prints that. Prints "STATE_DIR=<dir>" last; stop it with
#   kill "$(cat <dir>/pid)".
# Defaults: USER=bulwark PASSWORD=bulwark-test.
set -euo pipefail

port=${1:?usage: start-registry.sh PORT [USER [PASSWORD]]}
user=${2:-bulwark}
pass=${3:-bulwark-test}
log() { printf '[start-registry] %s\n' "$*" >&2; }

answers() { # a registry answers /v2/ with 200 or 401
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" 2>/dev/null || true)
  [ "$code" = 401 ] || [ "$code" = 200 ]
}

if answers; then
  log "a registry already answers on 127.0.0.1:$port"
  echo "STATE_DIR="
  exit 0
fi

need() { # need CMD PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing $2"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need docker-registry docker-registry
need htpasswd apache2-utils
need curl curl

state=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-registry.XXXXXX")
htpasswd -Bbn "$user" "$pass" >"$state/htpasswd"
mkdir -p "$state/storage"
cat >"$state/config.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
auth:
  htpasswd:
    realm: bulwark-test
    path: $state/htpasswd
CONF

nohup docker-registry serve "$state/config.yml" >"$state/log" 2>&1 &
echo $! >"$state/pid"
for _ in $(seq 50); do
  answers && break
  sleep 0.2
done
if ! answers; then
  log "the registry did not start; see $state/log"
  tail -n 5 "$state/log" >&2 || true
  exit 1
fi
log "registry on 127.0.0.1:$port (user $user), pid $(cat "$state/pid")"
echo "STATE_DIR=$state"
