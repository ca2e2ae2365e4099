#!/usr/bin/env bash
# demo.sh — Bulwark end to end, offline, from what the repository ships:
#   1. build bulwark
#   2. build a vulnerability DB from the bundled feed bundle (testdata/demo/feeds: real Debian, GitHub and Go records)
#   3. build a small OCI image from real package databases (testdata/demo: a Debian 12 dpkg database, an npm lock file,
#      a go.mod, Python wheel metadata), one layer each
#   4. write its SBOM, scan it (table on the terminal, JSON and SARIF to files) and explain one finding
# Output goes to bin/demo (or $DEMO_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
out=${DEMO_DIR:-$PWD/bin/demo}
rm -rf "$out"
mkdir -p "$out"
export BULWARK_CACHE_DIR=$out/cache
bw=bin/bulwark
make -s build

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "building a vulnerability DB from the bundled feeds (offline)"
"$bw" db update --source debian,ghsa,go,nvd,kev --mirror "file://$PWD/testdata/demo/feeds"

step "building a small image from real package databases"
go run ./hack/mkimage -o "$out/image" -tag demo \
  "testdata/demo/os=ADD debian-12-rootfs.tar /" \
  "testdata/demo/app=COPY app/ /srv/app/" \
  "testdata/demo/pyapp=RUN pip install flask==2.0.0 click==8.0.0"
ref="oci:$out/image:demo"

step "SBOM: $out/demo.cdx.json"
"$bw" sbom "$ref" -f cyclonedx -o "$out/demo.cdx.json"
"$bw" sbom "$ref" -f table -o "$out/demo.sbom.txt"
head -n 12 "$out/demo.sbom.txt"

step "scan"
"$bw" scan image "$ref" --format table --format "json=$out/report.json" --format "sarif=$out/report.sarif"

step "why is the image not affected by CVE-2024-6197 (NVD: curl 8.6.0–8.9.0)?"
"$bw" explain CVE-2024-6197 "$ref" >"$out/explain.txt"
head -n 12 "$out/explain.txt"

step "the CI gate: --fail-on critical (exit 1 means the policy failed)"
set +e
"$bw" scan image "$ref" --fail-on critical --quiet --format "json=$out/gate.json"
rc=$?
set -e
echo "exit code: $rc"
echo
echo "Reports: $out/report.json $out/report.sarif $out/demo.cdx.json"
