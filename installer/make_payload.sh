#!/usr/bin/env bash
# Builds the agent payload archive for vigil-setup: stripped copies of the
# programs under bin/ and the VERSION file, as a reproducible tar (sorted
# names, root owner, fixed time), so the same build gives the same bytes.
# Usage: make_payload.sh OUT.tar VERSION PROGRAM...
set -euo pipefail
out=$1; version=$2; shift 2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin"
for program in "$@"; do
  cp "$program" "$stage/bin/"
  strip --strip-debug "$stage/bin/$(basename "$program")"
done
printf '%s\n' "$version" >"$stage/VERSION"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf "$out" .
