#!/usr/bin/env bash
# Builds the agent payload archive for vigil-setup: stripped copies of the
# programs under bin/ (no symbol tables: they are never loaded, so the agent's
# memory does not change, but they made the package 39 MB) and the VERSION
# file, as a reproducible tar (sorted names, root owner, fixed time) compressed
# with xz, so the same build gives the same bytes and an upgrade downloads as
# few as it can (SPEC §12; the platform serves it to every host).
# The programs are in it once: `vigil-setup Extract=deb` builds the native
# package from them (installer/native_package.cpp) with the control file
# CPack wrote for this build (its Depends from dpkg-shlibdeps) and its
# copyright, changelog.gz and lintian overrides, under package/. Carrying CPack's .deb as well made the package 14.2 MB, not 8.9. The x86 branch filter before LZMA2 takes another
# 0.3 MB off the programs (every host downloads the package at each upgrade).
# Usage: make_payload.sh OUT.tar VERSION PACKAGE.deb PROGRAM... (a .json goes in unstripped)
set -euo pipefail
out=$1; version=$2; deb=$3; shift 3
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
source "$(dirname "$0")/stage_programs.sh"
mkdir -p "$stage/package"
stage_programs "$stage/bin" strip "$@"
printf '%s\n' "$version" >"$stage/VERSION"
dpkg-deb --info "$deb" control >"$stage/package/control"
# Debian's policy files and lintian's overrides for Extract=deb's .deb
# (installer/native_package.hpp: native_package_files).
dpkg-deb --fsys-tarfile "$deb" >"$stage/deb-files.tar"
for pair in copyright:usr/share/doc/vigil-agent/copyright \
            changelog.gz:usr/share/doc/vigil-agent/changelog.gz \
            lintian-overrides:usr/share/lintian/overrides/vigil-agent; do
  tar -xOf "$stage/deb-files.tar" "./${pair#*:}" >"$stage/package/${pair%%:*}"
done
rm "$stage/deb-files.tar"
chmod 0644 "$stage/VERSION" "$stage/package/"*
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - . \
  | xz --x86 --lzma2=preset=9e -T2 -c >"$out.tmp"
mv "$out.tmp" "$out"
