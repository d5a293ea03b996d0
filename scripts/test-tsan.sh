#!/usr/bin/env bash
# The actor tests under ThreadSanitizer (issue 15). Usage:
#   bash scripts/test-tsan.sh
# 1. builds CAF's core from Debian's source package of the libcaf-dev installed
#    here, with -fsanitize=thread, once, into
#      ${VIGIL_TSAN_CACHE:-~/.cache/vigil-tsan}/<key>
#    (the key hashes the compiler's version, CAF's source version and `recipe`
#    below; a machine that has the directory skips the step). TSan sees only the
#    code it instrumented: with Debian's libcaf_core.so, the mailboxes' and the
#    scheduler's synchronization would be invisible and every message handed
#    from one thread to another would look like a race;
# 2. configures ./build-tsan (-DVIGIL_SANITIZE_THREAD=ON, that CAF) and builds the
#    programs of the actor, network, host and upload tests (not storage_test:
#    Debian's RocksDB is not instrumented, and its background threads'
#    hand-offs show as races inside it, scripts/tsan.supp);
# 3. runs their cases that need none of Vigil's programs: the actors under
#    CAF's test scheduler, and those on real threads (the uploader beside a
#    timer, the status file's lock held by another process, the supervisor,
#    the transport, the hive writer), the HTTPS client and server with their
#    threads, name lookups left behind at their deadline; the host layer's
#    threads and processes (log flushing, the hive writers, secret_box's first
#    use, child processes and their deadlines), the uploader's unit cases
#    over a real RocksDB. Any report fails the run
#    (halt_on_error).
# Not in .ci/run (it adds a third full build); its result is noted on issue 15.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

bash "$root/scripts/install-deps.sh"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
log_name=test-tsan
source "$root/scripts/debian-source.sh"

recipe=1
caf_version=$(dpkg-query -W -f='${source:Version}' libcaf-dev)
key=$(printf 'recipe %s\ncompiler %s\ncaf %s\n' "$recipe" "$(g++ --version | head -n1)" \
        "$caf_version" | sha256sum | cut -c1-16)
cache_root=${VIGIL_TSAN_CACHE:-$HOME/.cache/vigil-tsan}
prefix=$cache_root/$key

if [ -d "$prefix" ]; then
  echo "test-tsan: CAF with TSan cached in $prefix"
else
  echo "test-tsan: building CAF $caf_version with TSan into $prefix"
  ensure_deb_src
  mkdir -p "$cache_root"
  work=$(mktemp -d "$cache_root/.build-$key.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  manifest=$work/manifest.txt
  start=$SECONDS
  fetch_source actor-framework "$caf_version" "$work/caf"
  # CAF's core only (caf_core_only), shared like Debian's.
  if ! { cmake -S "$work/caf/src" -B "$work/caf/_build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
           "-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer" \
           -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread -DCMAKE_INSTALL_PREFIX="$work/prefix" \
           -DCMAKE_INSTALL_LIBDIR=lib "${caf_core_only[@]}" &&
         ninja -C "$work/caf/_build" -j2 install; } >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    echo "test-tsan: building CAF failed (log above)" >&2
    exit 1
  fi
  echo "test-tsan: CAF built in $((SECONDS - start)) s" | tee -a "$manifest"
  mv "$manifest" "$work/prefix/"
  mv -T "$work/prefix" "$prefix" 2>/dev/null || echo "test-tsan: $prefix appeared meanwhile; kept it"
  rm -rf "$work"
  trap - EXIT
fi

build=$root/build-tsan
start=$SECONDS
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -g1" \
  -DVIGIL_SANITIZE_THREAD=ON -DVIGIL_CAF_PREFIX="$prefix" >/dev/null
programs=(actors_unit_test actors_test blackout_test net_test host_test upload_test)
ninja -C "$build" -j2 "${programs[@]}"
echo "test-tsan: built in $((SECONDS - start)) s"

export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/scripts/tsan.supp"
failed=0
for program in "${programs[@]}"; do
  # The cases that start the real agent are the integration suite's.
  if "$build/tests/$program" --source-file-exclude='*_binary_test.cpp' >"$build/$program.tsan.log" 2>&1; then
    echo "test-tsan: $program: $(grep -E '^\[doctest\] test cases' "$build/$program.tsan.log")"
  else
    failed=1
    tail -n 80 "$build/$program.tsan.log" >&2
    echo "test-tsan: $program failed under TSan (log above, whole in $build/$program.tsan.log)" >&2
  fi
done
exit $failed
