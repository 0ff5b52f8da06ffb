#!/usr/bin/env bash
# Builds one of the Go test tools (helm, promtool) from the module pinned in
# test/tools/<tool>/go.mod into a cache outside the repository:
#
#   ${SIDECAR_INJECTOR_CACHE:-$HOME/.cache/sidecar-injector}/<tool>-<version>/<tool>
#
# Usage: test/tools/build.sh helm|promtool
# A second run finds the binary and exits at once ("cached"). Works from any cwd.
# The last line of output is always  SIDECAR_INJECTOR_<TOOL>=<path of the binary>
# (read by test/support/tools.ts).
#
# Environment:
#   SIDECAR_INJECTOR_CACHE   cache root (default $HOME/.cache/sidecar-injector)
#   BUILD_PARALLELISM        go build -p (default 2)
#   FORCE_REBUILD=1          ignore the cache
set -euo pipefail

tool="${1:-}"
case "$tool" in
  helm) module=helm.sh/helm/v4 pkg=helm.sh/helm/v4/cmd/helm ;;
  promtool) module=github.com/prometheus/prometheus pkg=github.com/prometheus/prometheus/cmd/promtool ;;
  *) echo "usage: $0 helm|promtool" >&2; exit 2 ;;
esac

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
moddir="$here/$tool"
# The version comes from go.mod alone, so a cache hit needs no Go toolchain call.
version="$(awk -v m="$module" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$moddir/go.mod")"
[[ -n "$version" ]] || { echo "build.sh: cannot read the $module version from $moddir/go.mod" >&2; exit 1; }

cache_root="${SIDECAR_INJECTOR_CACHE:-${HOME:?HOME is not set}/.cache/sidecar-injector}"
dir="$cache_root/$tool-$version"
binary="$dir/$tool"
var="SIDECAR_INJECTOR_$(tr '[:lower:]' '[:upper:]' <<<"$tool")"

report() {
  local shown
  if [[ "$tool" == helm ]]; then shown="$("$binary" version --short 2>&1)"; else shown="$("$binary" --version 2>&1 | head -n 1)"; fi
  echo "$tool: $shown"
  echo "$var=$binary"
}

if [[ "${FORCE_REBUILD:-}" != 1 && -x "$binary" ]]; then
  echo "cached: $tool $version"
  report
  exit 0
fi

mkdir -p "$dir"
# One build at a time per tool and version (parallel test runners, other worktrees).
exec 9>"$dir/.lock"
if ! flock -n 9; then
  echo "another build of $tool $version is running; waiting for it (lock $dir/.lock)"
  flock 9
  if [[ "${FORCE_REBUILD:-}" != 1 && -x "$binary" ]]; then
    echo "cached: $tool $version (built by the other process)"
    report
    exit 0
  fi
fi

command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "build.sh: go not found (need Go >= 1.26)" >&2; exit 1; }

cd "$moddir"
export GOWORK=off             # ignore any go.work above this directory
export GOFLAGS=-mod=readonly  # go.mod/go.sum are tidy and committed; never rewrite them here
export CGO_ENABLED=0          # as the upstream release builds

ldflags="-s -w"
tags=""
case "$tool" in
  helm) ldflags+=" -X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.gitTreeState=clean" ;;
  promtool)
    # Module v0.3MM.P is Prometheus 3.MM.P.
    release="${version#v0.}"; minor="${release#?}"; minor="${minor%%.*}"
    ldflags+=" -X github.com/prometheus/common/version.Version=${release:0:1}.$((10#$minor)).${release##*.}"
    # Rule checks and unit tests need no service discovery: leaving out its plugins drops the
    # cloud SDKs (about 300 of 1,560 packages, the slowest to compile).
    tags="remove_all_sd"
    ;;
esac

jobs="${BUILD_PARALLELISM:-2}"
log="$dir/build.log"
tmp="$dir/.$tool.tmp.$$"

echo "building $tool $version from $pkg"
echo "  go: $(go version)   -p $jobs   cache: $dir   full log: $log"
echo "  a cold build downloads the modules and compiles several hundred packages (see test/tools/README.md for measured times)"

start=$SECONDS
# Heartbeat, so CI without a TTY sees life during long compiles and the link step.
( while sleep 60; do echo "  ... still building $tool, $((SECONDS - start))s"; done ) 2>/dev/null &
ticker=$!
stop_ticker() { pkill -P "$ticker" 2>/dev/null || true; kill "$ticker" 2>/dev/null || true; }
trap 'stop_ticker; rm -f "$tmp"' EXIT

set +e
go build -v -p "$jobs" -buildvcs=false -trimpath -tags="$tags" -ldflags="$ldflags" -o "$tmp" "$pkg" 2>&1 | tee "$log" | {
  n=0
  while IFS= read -r _; do
    n=$((n + 1))
    (( n % 100 == 0 )) && echo "  $tool: compiled $n packages, $((SECONDS - start))s"
  done
  echo "  $tool: $n packages in all"
}
rc=${PIPESTATUS[0]}
set -e
stop_ticker

if (( rc != 0 )); then
  echo "go build of $tool failed (exit $rc) after $((SECONDS - start))s; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit "$rc"
fi

mv -f "$tmp" "$binary"
echo "built $tool $version in $((SECONDS - start))s"
report
