#!/usr/bin/env bash
# Builds kwok (sigs.k8s.io/kwok/cmd/kwok, the version kwok/go.mod pins) into
#
#   ${SIDECAR_INJECTOR_CACHE:-$HOME/.cache/sidecar-injector}/kwok-<version>/bin/kwok
#
# kwok simulates nodes and the kubelet's pod lifecycle against any API server; one binary serves
# every Kubernetes version. A second run prints "cached" and exits. The last line of output is
# always  SIDECAR_INJECTOR_KWOK=<path of the binary>  (read by test/e2e/support/controlPlane.ts).
# Environment: SIDECAR_INJECTOR_CACHE, BUILD_PARALLELISM, FORCE_REBUILD=1 (as build.sh).
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain.sh
source "$here/toolchain.sh"

version="$(awk '$1 == "require" && $2 == "sigs.k8s.io/kwok" { print $3 } $1 == "sigs.k8s.io/kwok" && $2 ~ /^v/ { print $2 }' "$here/kwok/go.mod" | head -n 1)"
[[ -n "$version" ]] || { echo "kwok.sh: cannot read the sigs.k8s.io/kwok version from $here/kwok/go.mod" >&2; exit 1; }
dir="$cache_root/kwok-$version"
binary="$dir/bin/kwok"

have() { [[ -x "$binary" ]]; }
done_with() { echo "$1: kwok $version"; echo "SIDECAR_INJECTOR_KWOK=$binary"; exit 0; }

[[ "${FORCE_REBUILD:-}" != 1 ]] && have && done_with cached
lock_build_dir "$dir" have && done_with "cached (built by the other process)"

cd "$here/kwok"
export GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0
use_toolchain_for "$(awk '$1 == "go" { print $2; exit }' go.mod)"
echo "building kwok $version ($(go version); full log $dir/build.log)"
: >"$dir/build.log"
start=$SECONDS
mkdir -p "$dir/bin"
go_build_logged "$dir/build.log" -ldflags="-s -w" \
  -o "$binary.tmp" sigs.k8s.io/kwok/cmd/kwok
mv "$binary.tmp" "$binary"
echo "built in $((SECONDS - start))s"
done_with built
