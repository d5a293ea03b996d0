# Sourced by scripts/build-windows.sh and scripts/test-tsan.sh: Debian source
# packages of the libraries the Linux build uses, unpacked to be built another
# way (cross-compiled for Windows, instrumented for ThreadSanitizer). Expects
# $SUDO ("" as root, else "sudo"); fetch_source appends to the file $manifest.

# The deb-src twin of the machine's deb822 Debian source list.
ensure_deb_src() {
  local list=/etc/apt/sources.list.d/vigil-deb-src.sources
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src ' /etc/apt/sources.list; then
    local src
    src=$(grep -ls '^Types: *deb$' /etc/apt/sources.list.d/*.sources | head -n1)
    [ -n "$src" ] || { echo "debian-source: no deb822 Debian source list to mirror" >&2; exit 1; }
    echo "debian-source: adding $list (deb-src of $src)"
    sed 's/^Types: *deb$/Types: deb-src/' "$src" | $SUDO tee "$list" >/dev/null
  fi
  $SUDO apt-get update -qq
}

# fetch_source PACKAGE VERSION DIR: unpacks Debian's source package into DIR/src
# and appends to the manifest what it was unpacked from. The version installed
# here comes first; a mirror no longer carries every version, nor every file of
# one, so then comes the newest with the same upstream version, then the newest of
# any; failing all of those whole, the upstream (orig) tarball alone, without
# Debian's patches.
fetch_source() {
  local pkg=$1 want=$2 dir=$3 v all candidates orig
  all=$(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p' | sort -Vr)
  candidates=$( { echo "$want"
                  awk -v up="${want%-*}-" 'index($0, up) == 1' <<<"$all"
                  echo "$all"; } | awk 'NF && !seen[$0]++')
  for v in $candidates; do
    rm -rf "$dir" && mkdir -p "$dir"
    if (cd "$dir" && apt-get source -qq "$pkg=$v" >apt.log 2>&1); then
      mv "$(find "$dir" -mindepth 1 -maxdepth 1 -type d | head -n1)" "$dir/src"
      echo "$pkg: installed $want, built from Debian source $v" >>"$manifest"
      return
    fi
  done
  for v in $candidates; do
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && apt-get source -qq --download-only "$pkg=$v" >apt.log 2>&1) || true
    orig=$(find "$dir" -maxdepth 1 -name "${pkg}_*.orig.tar.*" ! -name '*.asc' | head -n1)
    if [ -n "$orig" ]; then
      mkdir "$dir/src" && tar -xf "$orig" -C "$dir/src" --strip-components=1
      echo "$pkg: installed $want, built from the upstream tarball of Debian source $v" \
           "(its Debian part is not on the mirror: Debian's patches not applied)" >>"$manifest"
      return
    fi
  done
  echo "debian-source: no source of $pkg on the mirror (wanted $want)" >&2
  cat "$dir/apt.log" >&2
  exit 1
}
