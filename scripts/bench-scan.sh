#!/usr/bin/env bash
# bench-scan.sh — time `bulwark sbom` on the real multi-layer test image, cold and warm, with peak RSS,
# next to the time gzip needs merely to decompress the same layers.
#
# Usage: scripts/bench-scan.sh [RUNS]        (RUNS per measurement, best is reported; default 3)
#   BULWARK_TEST_IMAGES   where debian12-app.{oci,docker.tar} live (default ~/.cache/bulwark-test-images)
# Targets (docs/performance.md): cold <= 1.5x decompression and < 2 s, warm < 150 ms, peak RSS < 100 MB.
# Also runs the Go benchmarks with -benchmem when BENCH_GO=1.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
images=${BULWARK_TEST_IMAGES:-$HOME/.cache/bulwark-test-images}
oci=$images/debian12-app.oci
archive=$images/debian12-app.docker.tar
[ -d "$oci" ] && [ -f "$archive" ] || { echo "test images missing: run ../shared/tools/make-test-images" >&2; exit 1; }
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bulwark" ./cmd/bulwark

# measure CMD...: prints "<ms> <peak KB>" of one run
measure() {
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
  awk '{printf "%d %d\n", $1*1000, $2}' "$tmp/time"
}
# best N CMD...: the fastest of N runs (ms) and the largest peak RSS seen (KB)
best() {
  local n=$1; shift
  local bms=999999999 bkb=0 ms kb
  for _ in $(seq "$n"); do
    read -r ms kb < <("$@")
    [ "$ms" -lt "$bms" ] && bms=$ms
    [ "$kb" -gt "$bkb" ] && bkb=$kb
  done
  echo "$bms $bkb"
}
decompress() { measure sh -c 'for f in "$1"/blobs/sha256/*; do gzip -dc "$f" 2>/dev/null | wc -c >/dev/null; done' _ "$oci"; }
cold() { rm -rf "$tmp/cache"; BULWARK_CACHE_DIR=$tmp/cache measure "$tmp/bulwark" sbom "$1" -f json -o "$tmp/out.json"; }
warm() { BULWARK_CACHE_DIR=$tmp/cache measure "$tmp/bulwark" sbom "$1" -f json -o "$tmp/out.json"; }

read -r dms _ < <(best "$runs" decompress)
printf 'machine: %s cores, load %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %-6s %8s %10s %8s\n' source run ms peak-MB vs-gzip
printf '%-16s %-6s %8d %10s %8s\n' "gzip -dc|wc -c" - "$dms" - 1.00
for ref in "oci:$oci" "docker-archive:$archive"; do
  kind=${ref%%:*}
  read -r cms ckb < <(best "$runs" cold "$ref")
  BULWARK_CACHE_DIR=$tmp/cache "$tmp/bulwark" sbom "$ref" -f json -o "$tmp/out.json" # fill the cache
  read -r wms wkb < <(best "$runs" warm "$ref")
  awk -v k="$kind" -v ms="$cms" -v kb="$ckb" -v d="$dms" 'BEGIN{printf "%-16s %-6s %8d %10.1f %8.2f\n", k, "cold", ms, kb/1024, ms/d}'
  awk -v k="$kind" -v ms="$wms" -v kb="$wkb" 'BEGIN{printf "%-16s %-6s %8d %10.1f %8s\n", k, "warm", ms, kb/1024, "-"}'
done
if [ "${BENCH_GO:-0}" = 1 ]; then
  go test -tags integration -run '^$' -bench BenchmarkInventory -benchmem -benchtime 3x ./internal/scan/
fi
