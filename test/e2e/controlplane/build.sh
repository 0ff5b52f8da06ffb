#!/usr/bin/env bash
# Builds a real kube-apiserver, kubectl and etcd from Go modules (versions pinned in
# go.mod next to this script) into a cache outside the repository:
#
#   ${SIDECAR_INJECTOR_CACHE:-$HOME/.cache/sidecar-injector}/k8s-<version>/bin/
#
# A second run finds the three binaries and exits at once ("cached"). Works from any cwd.
# The last line of output is always  SIDECAR_INJECTOR_K8S_BIN_DIR=<dir>  (read by
# test/e2e/support/controlPlane.ts).
#
# Environment:
#   SIDECAR_INJECTOR_CACHE   cache root (default $HOME/.cache/sidecar-injector)
#   BUILD_PARALLELISM        go build -p (default 2)
#   FORCE_REBUILD=1          ignore the cache
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
modfile="$here/go.mod"

# Versions come from go.mod alone, so a cache hit needs no Go toolchain call.
mod_version() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$modfile"; }
kube_version="$(mod_version k8s.io/kubernetes)"
etcd_version="$(mod_version go.etcd.io/etcd/server/v3)"
if [[ -z "$kube_version" || -z "$etcd_version" ]]; then
  echo "build.sh: cannot read k8s.io/kubernetes / etcd versions from $modfile" >&2
  exit 1
fi

cache_root="${SIDECAR_INJECTOR_CACHE:-${HOME:?HOME is not set}/.cache/sidecar-injector}"
kdir="$cache_root/k8s-$kube_version"
bin="$kdir/bin"
binaries=(kube-apiserver kubectl etcd)

have_all() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
  [[ -s "$bin/kube-version" ]]
}

report() {
  local b
  for b in "${binaries[@]}"; do echo "  $bin/$b"; done
  echo "kube-apiserver --version: $("$bin/kube-apiserver" --version)"
  echo "etcd: $etcd_version"
  echo "SIDECAR_INJECTOR_K8S_BIN_DIR=$bin"
}

if [[ "${FORCE_REBUILD:-}" != 1 ]] && have_all; then
  echo "cached: Kubernetes $kube_version, etcd $etcd_version"
  report
  exit 0
fi

mkdir -p "$kdir"
# One build at a time per version (parallel test runners, two terminals).
exec 9>"$kdir/.lock"
if ! flock -n 9; then
  echo "another build of $kube_version is running; waiting for it (lock $kdir/.lock)"
  flock 9
  if [[ "${FORCE_REBUILD:-}" != 1 ]] && have_all; then
    echo "cached: Kubernetes $kube_version, etcd $etcd_version (built by the other process)"
    report
    exit 0
  fi
fi

command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "build.sh: go not found (need Go >= 1.24)" >&2; exit 1; }

cd "$here"
export GOWORK=off           # ignore any go.work above this directory
export GOFLAGS=-mod=readonly  # go.mod/go.sum are tidy and committed; never rewrite them here
export CGO_ENABLED=0        # as upstream's release builds of these binaries
jobs="${BUILD_PARALLELISM:-2}"

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

echo "building Kubernetes $kube_version (kube-apiserver, kubectl) and etcd $etcd_version"
echo "  go: $(go version)   -p $jobs   cache: $kdir   full log: $log"
echo "  a cold build downloads ~570 MB of modules and compiles ~2,300 packages: measured ~9 min on 2 cores (~6 min with modules already downloaded)"

start=$SECONDS
# Heartbeat, so CI without a TTY sees life during long compiles and the link step.
# (its stderr is dropped: that is only bash's "Terminated" notice when it is stopped)
( while sleep 60; do echo "  ... still building, $((SECONDS - start))s"; done ) 2>/dev/null &
ticker=$!
stop_ticker() { pkill -P "$ticker" 2>/dev/null || true; kill "$ticker" 2>/dev/null || true; }
trap 'stop_ticker; rm -rf "$tmp"' EXIT

set +e
go build -v -p "$jobs" -buildvcs=false -trimpath -ldflags="$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kubectl \
  ./cmd/etcd 2>&1 | tee "$log" | {
    n=0
    while IFS= read -r _; do
      n=$((n + 1))
      (( n % 100 == 0 )) && echo "  compiled $n packages, $((SECONDS - start))s"
    done
    echo "  $n packages in all"
  }
rc=${PIPESTATUS[0]}
set -e
stop_ticker

if (( rc != 0 )); then
  echo "go build failed (exit $rc) after $((SECONDS - start))s; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit "$rc"
fi

echo "$kube_version" >"$tmp/kube-version"
echo "$etcd_version" >"$tmp/etcd-version"
rm -rf "$bin"
mv "$tmp" "$bin"
echo "built in $((SECONDS - start))s"
report
