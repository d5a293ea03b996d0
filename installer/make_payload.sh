#!/usr/bin/env bash
# Builds the agent payload archive for vigil-setup: stripped copies of the
# programs under bin/ (no symbol tables: they are never loaded, so the agent's
# memory does not change, but they made the package 39 MB) and the VERSION
# file, as a reproducible tar (sorted names, root owner, fixed time) compressed
# with xz, so the same build gives the same bytes and an upgrade downloads as
# few as it can (SPEC §12; the platform serves it to every host).
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
    *) strip --strip-unneeded "$stage/bin/$(basename "$program")" ;;
  esac
done
printf '%s\n' "$version" >"$stage/VERSION"
cp "$deb" "$stage/"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - . \
  | xz -9 -T2 -c >"$out.tmp"
mv "$out.tmp" "$out"
