#!/usr/bin/env bash
# Builds vigil-setup.exe (SPEC §3, §18): the setup program followed by the
# agent payload and the trailer, in the layout installer/payload.hpp gives
# (the Linux vigil-setup's). The payload is a reproducible tar (sorted names,
# root owner, fixed time) of bin/ (the programs without their symbol tables,
# the health report's schema) and VERSION, compressed with zstd: the Windows
# build's libarchive reads zstd, not xz (scripts/build-windows.sh builds it
# without liblzma; the programs' own zstd is already linked).
# With --msi-database FILE (make_msi.sh --database-only), the payload carries
# the MSI's database as package/vigil-agent.msi, for ExtractMSI=64.
# Usage: make_setup.sh [--msi-database FILE] OUT.exe STUB.exe VERSION PROGRAM...
# (a .json goes in as it is); VIGIL_ZSTD_LEVEL (default 19) for builds made
# only for tests.
set -euo pipefail
msi_database=
if [ "${1:-}" = --msi-database ]; then
  msi_database=$2
  shift 2
fi
out=$1; stub=$2; version=$3; shift 3
mkdir -p "$(dirname "$out")"
strip=x86_64-w64-mingw32-strip
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
source "$(dirname "$0")/../stage_programs.sh"
stage_programs "$stage/payload/bin" $strip "$@"
printf '%s\n' "$version" >"$stage/payload/VERSION"
chmod 0644 "$stage/payload/VERSION"
if [ -n "$msi_database" ]; then
  install -D -m 0644 "$msi_database" "$stage/payload/package/vigil-agent.msi"
fi
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage/payload" -cf - . \
  | zstd "-${VIGIL_ZSTD_LEVEL:-19}" -T2 -q -c >"$stage/payload.tar.zst"

# An 8-byte little-endian number.
le64() {
  local value=$1 i
  for i in 0 1 2 3 4 5 6 7; do
    # shellcheck disable=SC2059
    printf "\\x$(printf %02x $(((value >> (8 * i)) & 255)))"
  done
}
$strip --strip-unneeded -o "$stage/setup.exe" "$stub"
offset=$(stat -c %s "$stage/setup.exe")
size=$(stat -c %s "$stage/payload.tar.zst")
{
  cat "$stage/setup.exe" "$stage/payload.tar.zst"
  printf 'VIGIL-PAYLOAD-1'
  le64 "$offset"
  le64 "$size"
} >"$out.tmp"
chmod 0755 "$out.tmp"
mv "$out.tmp" "$out"
