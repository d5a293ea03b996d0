# Sourced by scripts/build-windows.sh, build-linux-deps.sh and test-tsan.sh: Debian source
# packages of the libraries the Linux build uses, unpacked to be built another
# way (cross-compiled for Windows, static for the portable Linux programs,
# instrumented for ThreadSanitizer). Expects $SUDO ("" as root, else "sudo"),
# $log_name (the caller's name, for messages) and, for build_prefix,
# $cache_root; fetch_source appends to the file $manifest.

# CAF's core only: Vigil uses no caf_io nor caf_openssl, and none of CAF's
# examples, tools, tests or bindings. For CAF's CMake, by every script that
# builds it.
caf_core_only=(-DCAF_NO_IO=ON -DCAF_NO_OPENSSL=ON -DCAF_NO_EXAMPLES=ON -DCAF_NO_TOOLS=ON
  -DCAF_NO_UNIT_TESTS=ON -DCAF_NO_OPENCL=ON -DCAF_NO_PYTHON=ON -DCAF_NO_SUMMARY=ON)

# deps_key_input RECIPE COMPILER DEP... (source:dev-package): what a prefix
# of the DEPs is keyed by: the caller's recipe count, its compiler's versions
# and the source version of each dependency installed here, one per line.
deps_key_input() {
  local input="recipe $1
compiler $2" dep
  shift 2
  for dep in "$@"; do
    input+="
${dep%%:*} $(dpkg-query -W -f='${source:Version}' "${dep#*:}")"
  done
  printf '%s' "$input"
}

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

# build_prefix PREFIX KEY-INPUT BASE DEP...: builds each DEP (source:dev-package)
# with the caller's function build_<source> SOURCE-DIR (which installs into
# $stage) into PREFIX, starting from a copy of the prefix BASE ("" for none), unless
# PREFIX exists. The work happens in a temporary directory renamed into place
# at the end: an interrupted build leaves no half prefix.
build_prefix() {
  local out=$1 input=$2 base=$3 dep pkg start fetched total_start
  shift 3
  if [ -d "$out" ]; then
    echo "$log_name: dependencies cached in $out"
    return
  fi
  echo "$log_name: building $* into $out"
  ensure_deb_src
  mkdir -p "$cache_root"
  work=$(mktemp -d "$cache_root/.build-$(basename "$out").XXXXXX")
  trap 'rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM
  stage=$work/prefix
  if [ -n "$base" ]; then
    cp -a "$base" "$stage"
  else
    mkdir -p "$stage/logs"
  fi
  manifest=$work/manifest.txt
  { [ -z "$base" ] || cat "$base/manifest.txt"; printf '%s\n' "$input"; } >"$manifest"
  total_start=$SECONDS
  for dep in "$@"; do
    pkg=${dep%%:*}
    start=$SECONDS
    fetch_source "$pkg" "$(dpkg-query -W -f='${source:Version}' "${dep#*:}")" "$work/$pkg"
    fetched=$SECONDS
    if ! "build_$pkg" "$work/$pkg/src" >"$stage/logs/$pkg.log" 2>&1; then
      tail -n 40 "$stage/logs/$pkg.log" >&2
      echo "$log_name: building $pkg failed (log above)" >&2
      exit 1
    fi
    echo "$log_name: $pkg fetched in $((fetched - start)) s, built in $((SECONDS - fetched)) s" |
      tee -a "$manifest"
  done
  echo "$log_name: $* built in $((SECONDS - total_start)) s" | tee -a "$manifest"
  mv "$manifest" "$stage/"
  # Another build may have finished first: its result is as good as this one.
  mv -T "$stage" "$out" 2>/dev/null || echo "$log_name: $out appeared meanwhile; kept it"
  rm -rf "$work"
  trap - EXIT INT TERM
}
