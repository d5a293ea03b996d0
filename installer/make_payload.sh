#!/usr/bin/env bash
# Builds the agent payload archive for vigil-setup: stripped copies of the
# programs under bin/ and the VERSION file, as a reproducible tar (sorted
# names, root owner, fixed time), so the same build gives the same bytes.
# The native package goes in at the top level, for `vigil-setup Extract=deb`.
# Usage: make_payload.sh OUT.tar VERSION PACKAGE.deb PROGRAM... (a .json goes in unstripped)
set -euo pipefail
out=$1; version=$2; deb=$3; shift 3
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin"
for program in "$@"; do
  cp "$program" "$stage/bin/"
  case "$program" in
    *.json) ;; # data beside the programs (the health report's schema)
    *) strip --strip-debug "$stage/bin/$(basename "$program")" ;;
  esac
done
printf '%s\n' "$version" >"$stage/VERSION"
cp "$deb" "$stage/"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf "$out" .
