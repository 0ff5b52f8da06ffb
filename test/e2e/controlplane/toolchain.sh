# Sourced by build.sh, module.sh and kwok.sh: the Go toolchain and the sources every module shares.

command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "go not found (need Go >= 1.25)" >&2; exit 1; }

# The one approved newer Go: the go command fetches it from the module proxy when a module asks
# for more than the machine's Go (Kubernetes 1.38 wants go 1.27).
NEWER_GO=go1.27.3

# Exports GOTOOLCHAIN=$NEWER_GO when a module's `go` line (argument) is newer than the local Go.
use_toolchain_for() {
  local wanted="$1" local_go
  local_go="$(GOTOOLCHAIN=local go env GOVERSION)"; local_go="${local_go#go}"
  if [[ "$(printf '%s\n%s\n' "$wanted" "$local_go" | sort -V | tail -n 1)" != "$local_go" ]]; then
    export GOTOOLCHAIN="$NEWER_GO"
    echo "  module wants go $wanted, this machine has go $local_go: GOTOOLCHAIN=$GOTOOLCHAIN"
  else
    export GOTOOLCHAIN=local
  fi
}

# tools.go: the commands a Kubernetes module builds, so that `go mod tidy` keeps what they need.
write_tools_go() {
  cat >"$1/tools.go" <<'GO'
//go:build tools

// Package tools names the commands build.sh compiles, so that `go mod tidy` keeps their
// dependencies. go.etcd.io/etcd/server/v3 is etcd's own main package.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
}

# The cache every build writes to, each tool and version in its own directory.
cache_root="${SIDECAR_INJECTOR_CACHE:-${HOME:?HOME is not set}/.cache/sidecar-injector}"

# Takes the build lock of a cache directory (fd 9) so concurrent builds of one version wait for
# each other; then runs the given check again, as the other build may have finished the work.
# Returns 0 when that check now passes.
lock_build_dir() {
  local dir="$1"; shift
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  flock -n 9 && return 1
  echo "another build is writing $dir; waiting for it (lock $dir/.lock)"
  flock 9
  [[ "${FORCE_REBUILD:-}" != 1 ]] && "$@"
}

# go build with a heartbeat every minute and a line every 100 packages, for CI logs without a
# TTY; the full output goes to $1. The other arguments are go build's. Exit status: go build's.
go_build_logged() {
  local log="$1"; shift
  local start=$SECONDS ticker rc
  ( while sleep 60; do echo "  ... still building, $((SECONDS - start))s"; done ) 2>/dev/null &
  ticker=$!
  set +e
  go build -v -p "${BUILD_PARALLELISM:-2}" -trimpath "$@" 2>&1 | tee -a "$log" | {
    local n=0
    while IFS= read -r _; do
      n=$((n + 1))
      (( n % 100 == 0 )) && echo "  compiled $n packages, $((SECONDS - start))s"
    done
    (( n > 0 )) && echo "  $n packages compiled or linked, $((SECONDS - start))s"
  }
  rc=${PIPESTATUS[0]}
  set -e
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if (( rc != 0 )); then
    echo "go build failed (exit $rc) after $((SECONDS - start))s; last lines of $log:" >&2
    tail -n 40 "$log" >&2
  fi
  return "$rc"
}
