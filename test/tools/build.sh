#!/usr/bin/env bash
# Builds one of the Go test tools (helm, promtool) from the module pinned in
# test/tools/<tool>/go.mod into a cache outside the repository:
#
#   ${SIDECAR_INJECTOR_CACHE:-$HOME/.cache/sidecar-injector}/<tool>-<version>/<tool>
#
# Usage: test/tools/build.sh helm|promtool
# A second run finds the binary and exits at once ("cached"). Works from any cwd.
# The last line of output is always  SIDECAR_INJECTOR_<TOOL>=<path of the binary>
# (read by test/deploy/support/tools.ts).
#
# The toolchain, the build lock and the logged build are the control plane's
# (test/e2e/controlplane/toolchain.sh). Environment: SIDECAR_INJECTOR_CACHE, BUILD_PARALLELISM,
# FORCE_REBUILD=1 (as there).
set -euo pipefail

tool="${1:-}"
case "$tool" in
  helm) module=helm.sh/helm/v4 pkg=helm.sh/helm/v4/cmd/helm ;;
  promtool) module=github.com/prometheus/prometheus pkg=github.com/prometheus/prometheus/cmd/promtool ;;
  *) echo "usage: $0 helm|promtool" >&2; exit 2 ;;
esac

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../e2e/controlplane/toolchain.sh
source "$here/../e2e/controlplane/toolchain.sh"

moddir="$here/$tool"
# The version comes from go.mod alone, so a cache hit needs no Go toolchain call.
version="$(awk -v m="$module" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$moddir/go.mod")"
[[ -n "$version" ]] || { echo "build.sh: cannot read the $module version from $moddir/go.mod" >&2; exit 1; }

dir="$cache_root/$tool-$version"
binary="$dir/$tool"
var="SIDECAR_INJECTOR_$(tr '[:lower:]' '[:upper:]' <<<"$tool")"

have() { [[ -x "$binary" ]]; }
done_with() {
  local shown
  if [[ "$tool" == helm ]]; then shown="$("$binary" version --short 2>&1)"; else shown="$("$binary" --version 2>&1 | head -n 1)"; fi
  echo "$1: $tool $version ($shown)"
  echo "$var=$binary"
  exit 0
}

[[ "${FORCE_REBUILD:-}" != 1 ]] && have && done_with cached
lock_build_dir "$dir" have && done_with "cached (built by the other process)"

cd "$moddir"
export GOWORK=off             # ignore any go.work above this directory
export GOFLAGS=-mod=readonly  # go.mod/go.sum are tidy and committed; never rewrite them here
export CGO_ENABLED=0          # as the upstream release builds
use_toolchain_for "$(awk '$1 == "go" { print $2; exit }' go.mod)"

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

log="$dir/build.log"
tmp="$dir/.$tool.tmp.$$"
trap 'rm -f "$tmp"' EXIT
: >"$log"
echo "building $tool $version from $pkg ($(go version), -p ${BUILD_PARALLELISM:-2}, full log $log)"
echo "  measured on 2 cores: 5-13 min from nothing, depending on what else runs (test/tools/README.md)"
start=$SECONDS
go_build_logged "$log" -buildvcs=false -tags="$tags" -ldflags="$ldflags" -o "$tmp" "$pkg"
mv -f "$tmp" "$binary"
echo "built in $((SECONDS - start))s"
done_with built
