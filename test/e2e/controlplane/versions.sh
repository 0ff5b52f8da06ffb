# Sourced by build.sh: which Kubernetes release a request names.
#
# The supported minors are the directories under versions/ (one Go module each, go.mod and
# go.sum); the newest is the default. A minor (1.35) names the release its module pins; a full
# version (1.35.4 or v1.35.4) names that release, with the committed module when it pins that
# version and a module written by module.sh otherwise.

versions_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/versions"

supported_minors() {
  local d
  for d in "$versions_dir"/*/; do [[ -f "$d/go.mod" ]] && basename "$d"; done | sort -V
}

pinned_version() { awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$versions_dir/$1/go.mod"; }

# Sets kube_version (v1.x.y) and module_dir (the committed module, or empty).
resolve_version() {
  local want="$1" minor
  if [[ -z "$want" ]]; then want="$(supported_minors | tail -n 1)"; fi
  want="${want#v}"
  if [[ "$want" =~ ^1\.[0-9]+$ ]]; then
    if [[ ! -f "$versions_dir/$want/go.mod" ]]; then
      echo "Kubernetes $want has no module under $versions_dir (supported: $(supported_minors | tr '\n' ' ')); give a full version such as $want.0 to build any release" >&2
      exit 2
    fi
    kube_version="$(pinned_version "$want")"
    module_dir="$versions_dir/$want"
    return
  fi
  if [[ ! "$want" =~ ^1\.([0-9]+)\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
    echo "SIDECAR_INJECTOR_K8S_VERSION='$1' is neither a minor (1.37) nor a release (1.37.2, v1.38.0-beta.0)" >&2
    exit 2
  fi
  kube_version="v$want"
  minor="1.${BASH_REMATCH[1]}"
  module_dir=""
  if [[ -f "$versions_dir/$minor/go.mod" && "$(pinned_version "$minor")" == "$kube_version" ]]; then
    module_dir="$versions_dir/$minor"
  fi
}
