#!/usr/bin/env bash
# The same simulated fleet (vigil-fleet) against the platform's stores, in one
# run on this machine (issue 18's table):
#   1. one instance on its RocksDB (the default);
#   2. one instance on PostgreSQL;
#   3. two instances on one PostgreSQL behind haproxy (TCP mode), the first
#      SIGKILLed halfway through the run and started again 10 s later.
# Runs 1 and 2 also print the CPU seconds the simulator, the platform and
# PostgreSQL used: per operation, they estimate what one core serves.
# Usage: bash bench/fleet_stores.sh [AGENTS=10000] [SECONDS=300] [INTERVAL=60]
# Needs a build (build/bin) and scripts/install-deps.sh's packages; root (the
# PostgreSQL server runs as the `postgres` user). Everything listens on
# 127.0.0.1 or a Unix socket. Prints each run's report, then one line a run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
agents=${1:-10000}
seconds=${2:-300}
interval=${3:-60}
bin=$root/build/bin
pg=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/vigil-fleet-bench-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  # Reaped here, quietly: bash would report each killed job on stderr.
  for p in "${pids[@]}" "${pg_pid:-}"; do
    [ -n "$p" ] && { kill -9 "$p" && wait "$p"; } 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# CPU seconds a process used, with its reaped children (PostgreSQL's ended
# backends count in the postmaster's).
cpu_of() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.1f", ($12 + $13 + $14 + $15) / hz }' \
    "/proc/$1/stat" 2>/dev/null || echo 0
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# PostgreSQL: a cluster of its own, on a Unix socket in $work/pg only.
mkdir "$work/pg" && chown postgres:postgres "$work/pg"
setpriv --reuid=postgres --regid=postgres --init-groups -- "$pg/initdb" -D "$work/pg/data" \
  -U vigil --auth=trust -E UTF8 --locale=C --no-sync >/dev/null
setpriv --reuid=postgres --regid=postgres --init-groups -- "$pg/postgres" -D "$work/pg/data" \
  -k "$work/pg" -c listen_addresses= -c max_connections=200 >"$work/pg/server.log" 2>&1 &
pg_pid=$!
for _ in $(seq 100); do "$pg/pg_isready" -q -h "$work/pg" -U vigil && break; sleep 0.1; done
"$pg/psql" -h "$work/pg" -U vigil -d postgres -qc "CREATE DATABASE fleet1" -c "CREATE DATABASE fleet2"

# start_platform NAME PORT [--store URL]: prints nothing, waits until it listens.
start_platform() {
  local name=$1 port=$2
  shift 2
  "$bin/vigil-platform" serve --data-dir "$work/$name" --listen "127.0.0.1:$port" "$@" \
    >>"$work/$name.out" 2>&1 &
  pids+=($!)
  eval "pid_$name=$!"
  for _ in $(seq 200); do grep -q "listening https://" "$work/$name.out" 2>/dev/null && return; sleep 0.1; done
  echo "fleet_stores: $name did not start" >&2; cat "$work/$name.out" >&2; exit 1
}

# run_fleet LABEL URL DATA-DIR: the fleet's report in $work/LABEL.report.
run_fleet() {
  local label=$1 url=$2 dir=$3
  local ids customer activation
  ids=$("$bin/vigil-platform" customer create --data-dir "$dir" --modules Vulnerability)
  customer=$(sed -n 's/^CustomerId=//p' <<<"$ids")
  activation=$(sed -n 's/^ActivationId=//p' <<<"$ids")
  /usr/bin/time -f "fleet CPU %U user %S system" -a -o "$work/$label.report.cpu" \
    "$bin/vigil-fleet" --url "$url" --ca "$dir/ca.pem" --customer "$customer" \
    --activation "$activation" --agents "$agents" --seconds "$seconds" \
    --interval "$interval" --ramp "$interval" >"$work/$label.report" 2>&1 || true
  cat "$work/$label.report.cpu" >>"$work/$label.report"
  echo "== $label"
  cat "$work/$label.report"
}

# One line a run: provisions/s, check-ins/s and their p99, rows/s, the verdict.
summary() {
  local label=$1 report=$work/$1.report
  awk -v label="$label" '
    $1 == "provision" { prov = $3; prov99 = $5 }
    $1 == "checkin" { ci = $3; ci99 = $5 }
    $1 == "upload" && $2 + 0 == $2 { up99 = $5 }
    /^deltas applied:/ { s = $0; sub(/.*\(/, "", s); sub(/ rows\/s\).*/, "", s); rows = s }
    /^verified:/ { v = $0 }
    /^fleet CPU/ { fleet = $3 + $5 }
    /^platform CPU/ { platform = $3 }
    /^postgres CPU/ { pg = $3 }
    END { printf "%-24s provision %6s/s p99 %7s ms | check-in %6s/s p99 %7s ms | upload p99 %7s ms | %8s rows/s | CPU s: fleet %s platform %s postgres %s | %s\n",
                 label, prov, prov99, ci, ci99, up99, rows, fleet, platform ? platform : "-", pg ? pg : "-", v }' "$report"
}

# 1. RocksDB, one instance.
port=$(free_port)
start_platform rocksdb "$port"
run_fleet rocksdb "https://127.0.0.1:$port/CloudAgent/" "$work/rocksdb"
echo "platform CPU $(cpu_of "$pid_rocksdb") s" | tee -a "$work/rocksdb.report"
kill "$pid_rocksdb"

# 2. PostgreSQL, one instance.
url1="postgresql:///fleet1?host=$work/pg&user=vigil"
port=$(free_port)
pg_before=$(cpu_of "$pg_pid")
start_platform pg1 "$port" --store "$url1"
run_fleet postgres-1 "https://127.0.0.1:$port/CloudAgent/" "$work/pg1"
echo "platform CPU $(cpu_of "$pid_pg1") s" | tee -a "$work/postgres-1.report"
kill "$pid_pg1"
wait "$pid_pg1" 2>/dev/null || true
sleep 1 # the backends end and the postmaster reaps them
echo "postgres CPU $(awk -v a="$(cpu_of "$pg_pid")" -v b="$pg_before" 'BEGIN { printf "%.1f", a - b }') s" |
  tee -a "$work/postgres-1.report"

# 3. PostgreSQL, two instances behind haproxy; the first SIGKILLed halfway.
url2="postgresql:///fleet2?host=$work/pg&user=vigil"
port_a=$(free_port)
port_b=$(free_port)
start_platform a "$port_a" --store "$url2"
mkdir "$work/b"
for f in "$work"/a/*; do
  case $(basename "$f") in admin.sock|*.log) ;; *) [ -f "$f" ] && cp -p "$f" "$work/b/" ;; esac
done
start_platform b "$port_b" --store "$url2"
lb_port=$(free_port)
cat >"$work/haproxy.cfg" <<EOF
global
  maxconn 4096
defaults
  mode tcp
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  retries 3
  option redispatch
frontend platform
  bind 127.0.0.1:$lb_port
  default_backend instances
backend instances
  balance roundrobin
  server a 127.0.0.1:$port_a check inter 300ms fall 2 rise 2
  server b 127.0.0.1:$port_b check inter 300ms fall 2 rise 2
EOF
/usr/sbin/haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)
(
  sleep $((seconds / 2))
  kill -9 "$pid_a"
  echo "fleet_stores: SIGKILLed instance a at $((seconds / 2)) s" >&2
  sleep 10
  "$bin/vigil-platform" serve --data-dir "$work/a" --listen "127.0.0.1:$port_a" \
    >>"$work/a.out" 2>&1 &
  echo $! >"$work/a.restarted"
) &
killer=$!
run_fleet postgres-2-haproxy-kill "https://127.0.0.1:$lb_port/CloudAgent/" "$work/a"
wait "$killer" || true
[ -f "$work/a.restarted" ] && pids+=("$(cat "$work/a.restarted")")

echo
echo "== summary: $agents agents, $seconds s, check-in interval $interval s"
summary rocksdb
summary postgres-1
summary postgres-2-haproxy-kill
