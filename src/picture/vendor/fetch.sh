#!/usr/bin/env bash
# Re-vendors the JavaScript libraries the plan page embeds, from the npm
# registry, at the pinned versions below; checks each tarball against the
# registry's integrity hash. Needs npm (only to re-vendor: building and
# running git-split needs no Node.js). Run from anywhere; commit the result.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# name version file-in-package
libs=(
  "d3-hierarchy 3.1.3 dist/d3-hierarchy.min.js"
)
for lib in "${libs[@]}"; do
  read -r name version file <<<"$lib"
  tgz="$(cd "$work" && npm pack --silent "$name@$version")"
  want="$(npm view "$name@$version" dist.integrity)"
  got="sha512-$(openssl dgst -sha512 -binary "$work/$tgz" | base64 -w0)"
  [ "$want" = "$got" ] || { echo "$name@$version: integrity $got, registry says $want" >&2; exit 1; }
  tar -xzf "$work/$tgz" -C "$work"
  cp "$work/package/$file" "$here/$name.min.js"
  cp "$work/package/LICENSE" "$here/$name.LICENSE"
  rm -rf "$work/package"
  echo "$name@$version  $want" 
done > "$here/VERSIONS"
cat "$here/VERSIONS"
