#!/usr/bin/env bash
# Builds one Kubernetes release from Go modules: kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl and the etcd that release pins, into a cache outside the repository,
# each version apart:
#
#   ${SIDECAR_INJECTOR_CACHE:-$HOME/.cache/sidecar-injector}/k8s-<version>/bin/
#
#   bash test/e2e/controlplane/build.sh            # SIDECAR_INJECTOR_K8S_VERSION, else the newest supported minor
#   bash test/e2e/controlplane/build.sh 1.35       # a supported minor: its module under versions/1.35
#   bash test/e2e/controlplane/build.sh v1.38.0-beta.0   # any release: module.sh writes its module first
#   bash test/e2e/controlplane/build.sh --where [version]  # only print the version and directory, build nothing
#
# A second run finds the binaries and exits at once ("cached"). Works from any cwd. The last line
# of output is always  SIDECAR_INJECTOR_K8S_BIN_DIR=<dir>  (read by test/e2e/support/controlPlane.ts).
#
# Environment:
#   SIDECAR_INJECTOR_K8S_VERSION  the version when no argument is given (a minor or a full version)
#   SIDECAR_INJECTOR_CACHE        cache root (default $HOME/.cache/sidecar-injector)
#   BUILD_PARALLELISM             go build -p (default 2)
#   FORCE_REBUILD=1               ignore the cached binaries
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain.sh
source "$here/toolchain.sh"
# shellcheck source=versions.sh
source "$here/versions.sh"

where_only=0
if [[ "${1:-}" == --where ]]; then where_only=1; shift; fi
requested="${1:-${SIDECAR_INJECTOR_K8S_VERSION:-}}"
resolve_version "$requested"   # sets kube_version and module_dir (empty when none is committed)

kdir="$cache_root/k8s-$kube_version"
bin="$kdir/bin"
if (( where_only )); then
  echo "SIDECAR_INJECTOR_K8S_VERSION=$kube_version"
  echo "SIDECAR_INJECTOR_K8S_BIN_DIR=$bin"
  exit 0
fi
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd)

have_all() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
  [[ -s "$bin/kube-version" && -s "$bin/etcd-version" ]]
}

report() {
  local b
  for b in "${binaries[@]}"; do echo "  $bin/$b"; done
  echo "kube-apiserver --version: $("$bin/kube-apiserver" --version)"
  echo "etcd: $(cat "$bin/etcd-version")"
  echo "SIDECAR_INJECTOR_K8S_BIN_DIR=$bin"
}

if [[ "${FORCE_REBUILD:-}" != 1 ]] && have_all; then
  echo "cached: Kubernetes $kube_version, etcd $(cat "$bin/etcd-version")"
  report
  exit 0
fi

# One build at a time per version (parallel test runners, two terminals).
if lock_build_dir "$kdir" have_all; then
  echo "cached: Kubernetes $kube_version (built by the other process)"
  report
  exit 0
fi

# The module is built in the cache: its go.mod and go.sum from versions/<minor> (or written by
# module.sh for a release without one), plus tools.go.
src="$kdir/module"
rm -rf "$src"; mkdir -p "$src"
if [[ -n "$module_dir" ]]; then
  cp "$module_dir/go.mod" "$module_dir/go.sum" "$src/"
else
  echo "no committed module for $kube_version: writing one with module.sh (needs the Go module proxy)"
  bash "$here/module.sh" "$kube_version" "$src"
fi
write_tools_go "$src"

cd "$src"
export GOWORK=off             # ignore any go.work above this directory
export GOFLAGS=-mod=readonly  # go.sum is complete; never rewrite go.mod here
export CGO_ENABLED=0          # as upstream's release builds of these binaries
use_toolchain_for "$(awk '$1 == "go" { print $2; exit }' go.mod)"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' go.mod)"

# Version stamps, as Kubernetes' own build (hack/lib/version.sh) sets them.
minor="${kube_version#v1.}"; minor="${minor%%.*}"
build_date="$(go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes 2>/dev/null || true)"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.gitCommit="
  [[ -n "$build_date" ]] && ldflags+=" -X $pkg.buildDate=$build_date"
done

tmp="$kdir/.bin.tmp.$$"
log="$kdir/build.log"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
: >"$log"

echo "building Kubernetes $kube_version (${binaries[*]:0:4}) and etcd $etcd_version"
echo "  $(go version), -p ${BUILD_PARALLELISM:-2}, full log: $log"
echo "  measured on 2 cores: ~25 min from nothing, ~20 min with modules downloaded (see README.md)"
start=$SECONDS
go_build_logged "$log" -ldflags="$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl
go_build_logged "$log" -ldflags="-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3

echo "$kube_version" >"$tmp/kube-version"
echo "$etcd_version" >"$tmp/etcd-version"
rm -rf "$bin"
mv "$tmp" "$bin"
echo "built in $((SECONDS - start))s"
report
