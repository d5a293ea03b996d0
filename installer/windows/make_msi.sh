#!/usr/bin/env bash
# Builds vigil-agent.msi (installer/windows/vigil-agent.wxs) with wixl from
# stripped copies of the programs and VERSION.
# --database-only: the MSI's database without its cabinet (12 KB), which
# vigil-setup.exe carries and completes from its own payload for ExtractMSI=64
# (installer/windows/native_package.cpp): the File table's sizes are those of
# the same stripped programs.
# Usage: make_msi.sh [--database-only] OUT.msi WXS VERSION PROGRAM... (a .json goes in as it is)
set -euo pipefail
embed=yes
if [ "${1:-}" = --database-only ]; then
  embed=no
  shift
fi
out=$1; wxs=$2; version=$3; shift 3
mkdir -p "$(dirname "$out")"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
source "$(dirname "$0")/../stage_programs.sh"
stage_programs "$stage/bin" x86_64-w64-mingw32-strip "$@"
printf '%s\n' "$version" >"$stage/VERSION"
# wixl takes sources relative to the .wxs: it is built from inside the stage.
cp "$wxs" "$stage/vigil-agent.wxs"
(cd "$stage" && wixl -a x64 -D Version="$version" -D Stage=. -D EmbedCab=$embed -o vigil-agent.msi vigil-agent.wxs)
mv "$stage/vigil-agent.msi" "$out.tmp"
mv "$out.tmp" "$out"
