#!/usr/bin/env bash
# envtest-assets.sh — build the control plane the Kubernetes integration tests run against (kube-apiserver and
# etcd from the Go module proxy, via the tools module in hack/envtest) and the helm CLI for the chart tests.
# Binaries are cached under ~/.cache/bulwark-envtest/<version>/ and only built when missing; the build runs at
# the lowest CPU priority because a cold kube-apiserver build takes about 16 minutes of two cores.
#
#   scripts/envtest-assets.sh                 # prints the KUBEBUILDER_ASSETS directory on stdout
#   export KUBEBUILDER_ASSETS=$(scripts/envtest-assets.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[envtest-assets] %s\n' "$*" >&2; }

k8s_version=$(awk '$1 == "k8s.io/kubernetes" {print $2; exit}' hack/envtest/go.mod)
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2; exit}' hack/envtest/go.mod)
helm_version=v3.22.0
cache=${BULWARK_ENVTEST_CACHE:-$HOME/.cache/bulwark-envtest}
assets=$cache/$k8s_version
mkdir -p "$assets" "$cache/helm-$helm_version"

build() { # build NAME PACKAGE: go build into the cache atomically so an interrupted build is not mistaken for a done one
  local name=$1 pkg=$2
  if [ -x "$assets/$name" ]; then return; fi
  log "building $name ($pkg); this takes a while the first time"
  (cd hack/envtest && nice -n 19 go build -trimpath -o "$assets/$name.tmp" "$pkg")
  mv "$assets/$name.tmp" "$assets/$name"
}
build etcd ./etcd
build kube-apiserver ./kube-apiserver
printf 'kubernetes %s\netcd %s\n' "$k8s_version" "$etcd_version" >"$assets/VERSIONS"

helm=$cache/helm-$helm_version/helm
if [ ! -x "$helm" ]; then
  log "building helm $helm_version"
  GOBIN="$cache/helm-$helm_version" GOFLAGS=-trimpath nice -n 19 go install "helm.sh/helm/v3/cmd/helm@$helm_version"
fi
echo "$assets"
