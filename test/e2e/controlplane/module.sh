#!/usr/bin/env bash
# Writes the Go module that builds one Kubernetes release: go.mod and go.sum in <dir>.
#
#   bash test/e2e/controlplane/module.sh v1.35.4 test/e2e/controlplane/versions/1.35
#
# The module requires k8s.io/kubernetes at that version and replaces each of its staging modules
# (the `=> ./staging/src/k8s.io/...` lines of its go.mod, which a dependent cannot follow) with the
# published tag of the same release (v0.35.4), as Kubernetes' own go.mod pins them. It also
# requires the etcd server that release pins, and copies its `go` and `godebug` lines, so the
# binaries behave as upstream's. Needs the Go module proxy; build.sh calls it for a version that
# has no committed module under versions/.
set -euo pipefail

version="${1:?usage: module.sh <vX.Y.Z> <dir>}"
dir="${2:?usage: module.sh <vX.Y.Z> <dir>}"
[[ "$version" == v* ]] || version="v$version"
if [[ ! "$version" =~ ^v1\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.]+)?$ ]]; then
  echo "module.sh: '$version' is not a Kubernetes release (v1.<minor>.<patch>[-pre])" >&2
  exit 2
fi
staging_version="v0.${version#v1.}"
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain.sh
source "$here/toolchain.sh"

export GOWORK=off GOFLAGS=-mod=mod
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The release's own go.mod, from the module proxy (the .mod file only, not the source zip).
( cd "$work" && go mod download -json "k8s.io/kubernetes@$version" >/dev/null 2>&1 ) || true
upstream_mod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$version.mod"
if [[ ! -s "$upstream_mod" ]]; then
  echo "module.sh: the Go module proxy does not serve k8s.io/kubernetes@$version" >&2
  exit 1
fi

go_line="$(awk '$1 == "go" { print $2; exit }' "$upstream_mod")"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$upstream_mod")"
mapfile -t staging < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\/src\// { print $1 }' "$upstream_mod" | sort -u)
if [[ -z "$go_line" || -z "$etcd_version" || ${#staging[@]} -eq 0 ]]; then
  echo "module.sh: cannot read the go line, etcd version or staging modules of $upstream_mod" >&2
  exit 1
fi
use_toolchain_for "$go_line"

{
  echo "// Builds Kubernetes $version (kube-apiserver, kube-controller-manager, kube-scheduler,"
  echo "// kubectl) and etcd $etcd_version for the e2e tests. Written by ../../module.sh; see ../../README.md."
  echo "module sidecar-injector/test/e2e/controlplane/k8s"
  echo
  echo "go $go_line"
  echo
  awk '$1 == "godebug" { print }' "$upstream_mod"
  echo
  echo "require ("
  echo "	go.etcd.io/etcd/server/v3 $etcd_version"
  echo "	k8s.io/kubernetes $version"
  echo ")"
  echo
  echo "// k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with"
  echo "// ./staging/src/...; pin each to the published $staging_version tag instead."
  echo "replace ("
  for m in "${staging[@]}"; do echo "	$m => $m $staging_version"; done
  echo ")"
} >"$work/go.mod"
write_tools_go "$work"

echo "module.sh: resolving the dependencies of Kubernetes $version (go mod tidy)"
( cd "$work" && go mod tidy )

mkdir -p "$dir"
cp "$work/go.mod" "$work/go.sum" "$dir/"
echo "module.sh: wrote $dir/go.mod and go.sum (Kubernetes $version, etcd $etcd_version, go $(awk '$1 == "go" { print $2; exit }' "$dir/go.mod"))"
