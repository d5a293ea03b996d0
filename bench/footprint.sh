#!/usr/bin/env bash
# Agent footprint (DESIGN.md budgets: idle RSS <= 20 MB, peak RSS <= 60 MB during
# a full inventory scan, idle CPU <= 0.1 % of a core over 60 s). Installs a root
# as setup leaves it (vigil-reg values, machine-id, CA bundle) against a real
# vigil-platform on 127.0.0.1, with this machine's dpkg status and /etc files,
# runs the real `vigil-agent --root ROOT --foreground` with the platform's
# default profile (check-in every 900 s), and reads /proc:
#   idle RSS   VmRSS once every module's first snapshot is on the platform
#   idle CPU   utime+stime (and schedstat run time) over the idle window
#   wake-ups   context switches of all threads per second of the idle window
#   peak RSS   VmHWM, reset (clear_refs 5) before ScanOnDemand=1 for Inventory
#              and read once that scan's delta is on the platform; the lifetime
#              VmHWM (first scans and full uploads of every module) beside it.
# Beside it in the same run and window: bench_caf_idle, a CAF actor system
# configured as the agent's (2 threads, work sharing) doing nothing — the floor
# of the stack — and vigil-platform, idle but serving this agent.
# Usage: bench/footprint.sh [idle seconds]   (BUILD=dir, default build; after
#        building vigil-agent vigil-platform vigil-reg bench_caf_idle)
set -euo pipefail
cd "$(dirname "$0")/.."
idle=${1:-60}
build=${BUILD:-build}
bin=$build/bin
work=$(mktemp -d /tmp/vigil-bench-footprint-XXXXXX)
cleanup() {
  kill "${agent_pid:-}" "${caf_pid:-}" "${platform_pid:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
reg() { "$bin/vigil-reg" --root "$root" "$@" >/dev/null; }
agent_key='HKLM\SOFTWARE\Vigil\VigilAgent'
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mb() { awk -v kb="$1" 'BEGIN {printf "%.1f", kb / 1024}'; }
# utime+stime in clock ticks (fields 14 and 15, counted after the command name).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# Run time in ns of every thread (schedstat is per thread).
run_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d", s}'; }
rollup_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/smaps_rollup"; }

port=$(free_port)
"$bin/vigil-platform" serve --data-dir "$work/data" --listen "127.0.0.1:$port" >"$work/platform.out" 2>&1 &
platform_pid=$!
for _ in $(seq 200); do grep -q listening "$work/platform.out" 2>/dev/null && break; sleep 0.05; done
ids=$("$bin/vigil-platform" customer create --data-dir "$work/data" --modules Vulnerability,PolicyCompliance)

# The root, as setup leaves it, with this host's packages and /etc.
root=$work/root
reg add "$agent_key" /v CustomerId /t REG_SZ /d "$(sed -n 's/^CustomerId=//p' <<<"$ids")" /f
reg add "$agent_key" /v ActivationId /t REG_SZ /d "$(sed -n 's/^ActivationId=//p' <<<"$ids")" /f
reg add "$agent_key" /v WebServiceUri /t REG_SZ /d "https://127.0.0.1:$port/CloudAgent/" /f
reg add "$agent_key\Trust" /v RootKey /t REG_SZ /d "$(cat "$work/data/signing-key.pub")" /f
mkdir -p "$root/var/lib/dpkg" "$root/var/opt/vigil/state"
cp /var/lib/dpkg/status "$root/var/lib/dpkg/status"
# The files the default manifests read; resolv.conf and environment stay out
# (proxy and WPAD sources: this bench measures the agent, not the network).
(cd / && cp -a --parents etc/*.conf etc/passwd etc/group etc/login.defs etc/crontab \
  etc/os-release etc/ssh etc/pam.d etc/security etc/cron.d etc/cron.daily etc/sudoers etc/sudoers.d \
  "$root/" 2>/dev/null) || true
rm -f "$root/etc/resolv.conf"
python3 -c 'import uuid; print(uuid.uuid4().hex)' >"$root/etc/machine-id"
cp "$work/data/ca.pem" "$root/var/opt/vigil/state/ca-bundle.pem"
packages=$(grep -c '^Package:' "$root/var/lib/dpkg/status")

# With the environment systemd gives the service (vigil-agent.service sets
# none): a shell's SSL_CERT_FILE, proxy variables and locale are not the host's.
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  "$bin/vigil-agent" --root "$root" --foreground >"$work/agent.out" 2>&1 &
agent_pid=$!
"$build/bench/bench_caf_idle" >"$work/caf.out" 2>&1 &
caf_pid=$!

# Every synced module's latest snapshot equals what the platform holds.
in_sync() {
  python3 - "$bin/vigil-platform" "$work/data" "$root" <<'PY'
import json, re, subprocess, sys
platform, data, root = sys.argv[1:]
hive = open(f"{root}/etc/opt/vigil/registry.reg", errors="replace").read()
host = re.search(r'"HostID"="([^"]*)"', hive)
if not host:
    sys.exit(1)
for module in ("Inventory", "Vulnerability", "PolicyCompliance"):
    try:
        mine = {}
        for line in open(f"{root}/var/opt/vigil/state/snapshots/{module}.jsonl"):
            row = json.loads(line)
            mine[row["key"]] = row["value"]
    except OSError:
        sys.exit(1)
    out = subprocess.run([platform, "rows", "--data-dir", data, "--host", host.group(1),
                          "--module", module], capture_output=True, text=True)
    if out.returncode != 0 or not mine or json.loads(out.stdout) != mine:
        sys.exit(1)
PY
}
wait_in_sync() {
  for _ in $(seq "$1"); do in_sync && return 0; sleep 1; done
  echo "agent never in sync with the platform; agent output:" >&2
  tail -20 "$work/agent.out" >&2
  exit 1
}

start=$(date +%s.%N)
wait_in_sync 180
settle=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
sleep 5 # let the last upload's buffers go back to the allocator
inventory_rows=$(wc -l <"$root/var/opt/vigil/state/snapshots/Inventory.jsonl")
lifetime_hwm=$(status_kb "$agent_pid" VmHWM)

# Idle window: the three processes over the same seconds.
hz=$(getconf CLK_TCK)
# Wake-ups: context switches of all the process's threads (each time a thread
# ran after waiting), per second of the window.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches:/ {s += $2} END {print s + 0}'; }
declare -A t0 n0 t1 n1 s0 s1
# Per thread of the agent ("tid name switches"), to say who wakes it.
thread_switches() {
  for t in /proc/"$1"/task/*; do
    echo "${t##*/} $(cat "$t/comm" 2>/dev/null) $(awk '/ctxt_switches:/ {s += $2} END {print s + 0}' "$t/status" 2>/dev/null)"
  done
}
agent_threads0=$(thread_switches "$agent_pid")
for p in "$agent_pid" "$caf_pid" "$platform_pid"; do t0[$p]=$(cpu_ticks "$p"); n0[$p]=$(run_ns "$p"); s0[$p]=$(switches "$p"); done
w0=$(date +%s.%N)
sleep "$idle"
w1=$(date +%s.%N)
for p in "$agent_pid" "$caf_pid" "$platform_pid"; do t1[$p]=$(cpu_ticks "$p"); n1[$p]=$(run_ns "$p"); s1[$p]=$(switches "$p"); done
agent_threads1=$(thread_switches "$agent_pid")
window=$(awk -v a="$w0" -v b="$w1" 'BEGIN {print b - a}')
cpu_pct() { awk -v d="$(( t1[$1] - t0[$1] ))" -v hz="$hz" -v w="$window" 'BEGIN {printf "%.3f", 100 * d / hz / w}'; }
run_pct() { awk -v d="$(( n1[$1] - n0[$1] ))" -v w="$window" 'BEGIN {printf "%.3f", 100 * d / 1e9 / w}'; }
wakeups() { awk -v d="$(( s1[$1] - s0[$1] ))" -v w="$window" 'BEGIN {printf "%.1f", d / w}'; }
declare -A rss anon file pss private threads
for p in "$agent_pid" "$caf_pid" "$platform_pid"; do
  rss[$p]=$(status_kb "$p" VmRSS); anon[$p]=$(status_kb "$p" RssAnon)
  file[$p]=$(status_kb "$p" RssFile); threads[$p]=$(status_kb "$p" Threads)
  pss[$p]=$(rollup_kb "$p" Pss)
  private[$p]=$(( $(rollup_kb "$p" Private_Clean) + $(rollup_kb "$p" Private_Dirty) ))
done

# Where the agent's idle RSS lives: kB per mapped file ([anon] = heap, stacks,
# anonymous maps), resident and of it private, largest first.
smaps_by_file() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / {name = (NF >= 6 ? $6 : "[anon]")}
       $1 == "Rss:" {rss[name] += $2}
       $1 == "Private_Clean:" || $1 == "Private_Dirty:" {priv[name] += $2}
       END {for (n in rss) if (rss[n] >= 256) printf "%d %d %s\n", rss[n], priv[n], n}' \
    "/proc/$1/smaps" | sort -rn
}
idle_maps=$(smaps_by_file "$agent_pid")

# Peak: full inventory scans on demand, each until its delta is on the
# platform, VmHWM reset (clear_refs 5) before each: first with this host's
# dpkg status, then with it repeated 6 times under new names (a large host).
scans_done() { grep -c 'on-demand scan of Inventory done' "$root/var/opt/vigil/Log/Inventory.log" || true; }
scan_peak() {
  local before
  before=$(scans_done)
  echo 5 >"/proc/$agent_pid/clear_refs"
  local start
  start=$(date +%s.%N)
  reg add "$agent_key\\ScanOnDemand\\Inventory" /v ScanOnDemand /t REG_DWORD /d 1 /f
  for _ in $(seq 600); do [ "$(scans_done)" -gt "$before" ] && break; sleep 0.1; done
  [ "$(scans_done)" -gt "$before" ] || { echo "the on-demand Inventory scan never ran" >&2; exit 1; }
  wait_in_sync 120
  scan_rows=$(grep 'on-demand scan of Inventory done' "$root/var/opt/vigil/Log/Inventory.log" | tail -1 | sed 's/.*done: \([0-9]*\) rows.*/\1/')
  scan_wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
  scan_hwm=$(status_kb "$agent_pid" VmHWM)
}
scan_peak
small_rows=$scan_rows small_wall=$scan_wall small_hwm=$scan_hwm
python3 - /var/lib/dpkg/status "$root/var/lib/dpkg/status" <<'PY'
import re, sys
stanzas = [s for s in open(sys.argv[1], errors="replace").read().split("\n\n") if s.strip()]
with open(sys.argv[2], "w") as out:
    for copy in range(6):
        for s in stanzas:
            if copy:
                s = re.sub(r"^Package: (.*)$", lambda m: f"Package: {m.group(1)}-copy{copy}", s, flags=re.M)
            out.write(s.strip("\n") + "\n\n")
PY
large_packages=$(grep -c '^Package:' "$root/var/lib/dpkg/status")
scan_peak
large_rows=$scan_rows large_wall=$scan_wall large_hwm=$scan_hwm
# Idle again after the large host's scan and upload: what a large host keeps.
sleep 10
large_idle=$(status_kb "$agent_pid" VmRSS)
caf_hwm=$(status_kb "$caf_pid" VmHWM)
platform_hwm=$(status_kb "$platform_pid" VmHWM)

echo
echo "host: $packages dpkg packages ($inventory_rows Inventory rows), /etc files of this machine; first scans of Inventory, Vulnerability, PolicyCompliance on the platform after ${settle} s"
echo
echo "| process | idle RSS MB (anon + file) | idle PSS / private MB | peak RSS MB (VmHWM) | idle CPU, % of a core over ${idle} s: utime+stime (schedstat) | idle wake-ups/s | threads |"
echo "|---|---|---|---|---|---|---|"
row() { echo "| $1 | $(mb "${rss[$2]}") ($(mb "${anon[$2]}") + $(mb "${file[$2]}")) | $(mb "${pss[$2]}") / $(mb "${private[$2]}") | $3 | $(cpu_pct "$2") ($(run_pct "$2")) | $(wakeups "$2") | ${threads[$2]} |"; }
row "vigil-agent" "$agent_pid" "$(mb "$small_hwm") on-demand Inventory scan, $small_rows rows (${small_wall} s to the platform); $(mb "$large_hwm") with $large_packages packages, $large_rows rows (${large_wall} s; idle RSS 10 s later $(mb "$large_idle")); $(mb "$lifetime_hwm") from start to idle (first scans + full uploads)"
row "bench_caf_idle (CAF 2 threads, sharing, one actor: the stack's floor)" "$caf_pid" "$(mb "$caf_hwm")"
row "vigil-platform (serving this agent)" "$platform_pid" "$(mb "$platform_hwm")"
python3 - "${rss[$agent_pid]}" "$small_hwm" "$large_hwm" "$lifetime_hwm" "$(cpu_pct "$agent_pid")" "$(run_pct "$agent_pid")" <<'PY'
import sys
rss, small, large, life = (int(x) / 1024 for x in sys.argv[1:5])
peak = max(small, large, life)
cpu = max(float(sys.argv[5]), float(sys.argv[6]))
verdict = lambda ok: "MET" if ok else "NOT MET"
print(f"\nbudgets: idle RSS <= 20 MB: {verdict(rss <= 20)} ({rss:.1f}); "
      f"peak <= 60 MB: {verdict(peak <= 60)} ({peak:.1f}); "
      f"idle CPU <= 0.1 %: {verdict(cpu <= 0.1)} ({cpu:.3f})")
PY
echo
echo "vigil-agent idle wake-ups per second by thread (threads that woke):"
join <(sort <<<"$agent_threads0") <(sort <<<"$agent_threads1") \
  | awk -v w="$window" '$5 > $3 {printf "  %-16s %6.1f\n", $2, ($5 - $3) / w}' | sort -k2 -rn
echo
echo "vigil-agent idle RSS by mapping (MB resident / private, mappings >= 0.25 MB):"
while read -r kb priv name; do
  printf '  %6s / %-6s %s\n' "$(mb "$kb")" "$(mb "$priv")" "${name##*/}"
done <<<"$idle_maps"
