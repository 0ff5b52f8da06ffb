#!/usr/bin/env bash
# Builds the Go test client (main.go) into the shared test-tool cache, keyed by the hash of its
# sources, so that worktrees and concurrent test runs share one binary:
#
#   ${SIDECAR_INJECTOR_CACHE:-$HOME/.cache/sidecar-injector}/goclient-<hash>/goclient
#
# Prints the binary's path as its last line. Uses only Go's standard library (no downloads).
set -euo pipefail
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
hash="$(cat "$here/go.mod" "$here/main.go" | sha256sum | cut -c1-16)"
cache_root="${SIDECAR_INJECTOR_CACHE:-${HOME:?HOME is not set}/.cache/sidecar-injector}"
dir="$cache_root/goclient-$hash"
bin="$dir/goclient"
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [[ ! -x "$bin" ]]; then
  command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
  ( cd "$here" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$bin.tmp" . )
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
