#!/usr/bin/env bash
# Platform check-ins per second: 64 concurrent TLS keep-alive clients (wrk, 2
# threads) on loopback against vigil-platform's POST v1/checkin (authenticated,
# JSON parsed, host record written to RocksDB), beside nginx serving a static
# answer of the same size over TLS with the same certificate, in the same run.
# Budget (DESIGN.md): >= 2,000 check-ins/s and >= 30 % of nginx's rate.
# Usage: bench/platform_checkins.sh [seconds]   (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
bin=${BUILD:-build}/bin
work=$(mktemp -d /tmp/vigil-bench-XXXXXX)
cleanup() { kill "${platform_pid:-}" "${nginx_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

port=$(free_port)
"$bin/vigil-platform" serve --data-dir "$work/data" --listen "127.0.0.1:$port" >"$work/platform.out" 2>&1 &
platform_pid=$!
for _ in $(seq 200); do grep -q listening "$work/platform.out" 2>/dev/null && break; sleep 0.05; done
ids=$("$bin/vigil-platform" customer create --data-dir "$work/data" --modules Vulnerability)
customer=$(sed -n 's/^CustomerId=//p' <<<"$ids")
activation=$(sed -n 's/^ActivationId=//p' <<<"$ids")
base="https://127.0.0.1:$port/CloudAgent"
inventory='{"hostname":"bench","fqdn":"","os_name":"Debian","os_version":"12","kernel":"6.1","arch":"x86_64","ipv4":[],"ipv6":[],"macs":[]}'
# 64 provisioned hosts, one per connection's turn: a fleet, not one host.
hosts=(); tokens=()
for i in $(seq 64); do
  host=$(printf '{B3B3B3B3-0000-4000-8000-%012d}' "$i")
  token=$(curl -s --cacert "$work/data/ca.pem" -H 'Content-Type: application/json' \
    -d "{\"customer_id\":\"$customer\",\"activation_id\":\"$activation\",\"host_id\":\"$host\",\"fingerprint\":\"bench-$i\",\"agent_version\":\"0.1.0\",\"inventory\":$inventory}" \
    "$base/v1/provision" | python3 -c 'import json,sys; print(json.load(sys.stdin)["agent_token"])')
  hosts+=("$host"); tokens+=("$token")
done
body() { echo "{\"host_id\":\"$1\",\"agent_version\":\"0.1.0\",\"profile_etag\":\"\",\"modules\":[]}"; }
answer=$(curl -s --cacert "$work/data/ca.pem" -H "X-Vigil-Host-Id: ${hosts[0]}" -H "Authorization: Bearer ${tokens[0]}" \
  -H 'X-Vigil-Protocol: 1' -d "$(body "${hosts[0]}")" "$base/v1/checkin")
python3 -c 'import json,sys; json.loads(sys.argv[1])["profile_etag"]' "$answer" # a real check-in answer
{
  echo "local hosts = {"; for h in "${hosts[@]}"; do echo "  \"$h\","; done; echo "}"
  echo "local tokens = {"; for t in "${tokens[@]}"; do echo "  \"$t\","; done; echo "}"
  cat <<'LUA'
local requests = {}
-- Built in init(): only then does wrk know the Host header.
function init(args)
for i = 1, #hosts do
  local body = '{"host_id":"' .. hosts[i] .. '","agent_version":"0.1.0","profile_etag":"","modules":[]}'
  requests[i] = wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["X-Vigil-Host-Id"] = hosts[i],
    ["Authorization"] = "Bearer " .. tokens[i],
    ["Host"] = wrk.headers["Host"],
    ["X-Vigil-Protocol"] = "1"}, body)
end
end
local n = 0
request = function()
  n = n + 1
  return requests[(n % #requests) + 1]
end
LUA
} >"$work/checkin.lua"

# nginx: the same certificate, a static answer of the same length.
nport=$(free_port)
mkdir -p "$work/nginx"
static=$(python3 -c 'import sys; print("x" * len(sys.argv[1]))' "$answer")
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  server {
    listen 127.0.0.1:$nport ssl;
    ssl_certificate $work/data/server.pem;
    ssl_certificate_key $work/data/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    keepalive_requests 1000000;
    location / { default_type application/json; return 200 '$static'; }
  }
}
NGINX
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$nport) 2>/dev/null && break; sleep 0.05; done

run_wrk() { wrk -t2 -c64 -d"${seconds}s" --latency -s "$work/checkin.lua" "$1" 2>&1; }
vigil=$(run_wrk "$base/v1/checkin")
baseline=$(run_wrk "https://127.0.0.1:$nport/CloudAgent/v1/checkin")
rate() { awk '/Requests\/sec/ {print $2}' <<<"$1"; }
pct() { awk -v p="$2" '$1 == p"%" {print $2}' <<<"$1"; }
errors() { awk '/Non-2xx/ {print $4}' <<<"$1"; }
v=$(rate "$vigil"); n=$(rate "$baseline")
echo
echo "| server (64 TLS keep-alive clients, ${seconds}s, 2 cores shared with wrk) | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
echo "| vigil-platform POST v1/checkin, 64 hosts (token check, JSON in/out, orders, request log; check-ins stored each second) | $v | $(pct "$vigil" 50) | $(pct "$vigil" 99) | $(errors "$vigil")${NONE:-0} |"
echo "| nginx static answer, same size and certificate | $n | $(pct "$baseline" 50) | $(pct "$baseline" 99) | $(errors "$baseline")${NONE:-0} |"
python3 - "$v" "$n" <<'PY'
import sys
v, n = float(sys.argv[1]), float(sys.argv[2])
ratio = 100 * v / n
ok = v >= 2000 and ratio >= 30
print(f"\nvigil/nginx = {ratio:.0f} %   budget: >= 2000/s and >= 30 %: {'MET' if ok else 'NOT MET'}")
PY
