#!/usr/bin/env bash
# bench-big-image.sh — peak RSS and time of a cold `bulwark sbom` on an image of about 1 GB.
#
# Usage: scripts/bench-big-image.sh [SIZE_MB]   (uncompressed size to reach; default 1024)
#   BULWARK_TEST_IMAGES   where debian12-base.docker.tar lives (default ~/.cache/bulwark-test-images)
# The image is the real Debian 12 base root filesystem plus a second layer that copies its shared
# libraries and executables (files the catalogers claim and read) until the image reaches SIZE_MB,
# and a few large files of random data (files they skip). Target (docs/performance.md): peak RSS
# under 250 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-1024}
images=${BULWARK_TEST_IMAGES:-$HOME/.cache/bulwark-test-images}
base=$images/debian12-base.docker.tar
[ -f "$base" ] || { echo "test image missing: run ../shared/tools/make-test-images" >&2; exit 1; }
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bulwark" ./cmd/bulwark

mkdir -p "$tmp/rootfs" "$tmp/bulk/opt/bulk"
layer=$(tar -tf "$base" | grep '/layer.tar$' | head -1)
tar -xOf "$base" "$layer" | tar -x -C "$tmp/rootfs" --exclude='dev/*' 2>/dev/null || true
base_mb=$(du -sm "$tmp/rootfs" | cut -f1)
want=$(( size_mb - base_mb ))
# Three random files of 64 MiB each: big, incompressible, claimed by nobody.
for i in 1 2 3; do head -c $((64 << 20)) /dev/urandom >"$tmp/bulk/opt/bulk/blob$i.bin"; done
n=0
while [ "$(du -sm "$tmp/bulk" | cut -f1)" -lt "$want" ]; do
  n=$((n + 1))
  mkdir -p "$tmp/bulk/opt/bulk/copy$n"
  cp -a "$tmp/rootfs/usr/lib/x86_64-linux-gnu" "$tmp/rootfs/usr/bin" "$tmp/bulk/opt/bulk/copy$n/"
done
echo "building an OCI layout: base ${base_mb} MB + bulk $(du -sm "$tmp/bulk" | cut -f1) MB" >&2
go run ./hack/mkimage -o "$tmp/image" -tag big "$tmp/rootfs=debian base" "$tmp/bulk=bulk copies"
printf 'compressed image: %s\n' "$(du -sh "$tmp/image" | cut -f1)"
printf 'machine: %s cores, load %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
for run in 1 2; do
  rm -rf "$tmp/cache"
  BULWARK_CACHE_DIR=$tmp/cache /usr/bin/time -f "cold sbom: %e s wall, %U s user, %S s sys, peak RSS %M KB" \
    "$tmp/bulwark" sbom "oci:$tmp/image" -f json -o "$tmp/out.json"
done
