#!/usr/bin/env bash
# Runs one Windows program under 64-bit Wine: the CMAKE_CROSSCOMPILING_EMULATOR of
# cmake/mingw-w64-x86_64.cmake (ctest, doctest's test listing) and the runner of
# scripts/build-windows.sh. The Wine prefix is private to Vigil (next to the
# dependency cache unless WINEPREFIX is set) and is created on first use.
set -euo pipefail
wine=$(command -v wine64 || true)
# Debian's wine64 package keeps its loader out of PATH (the `wine` wrapper
# package would pull in the 32-bit one as well).
[ -n "$wine" ] || wine=/usr/lib/wine/wine64
export WINEPREFIX=${WINEPREFIX:-${VIGIL_WINDOWS_CACHE:-$HOME/.cache/vigil-windows}/wineprefix}
export WINEDEBUG=${WINEDEBUG:--all}
# No Mono or Gecko: nothing here is .NET or HTML, and their install dialogs
# would wait for a display.
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
mkdir -p "$WINEPREFIX"
# The C runtime writes text-mode "\r\n" line ends; the scripts and ctest read "\n".
"$wine" "$@" | tr -d '\r'
exit "${PIPESTATUS[0]}"
