#!/usr/bin/env bash
# Vigil's main job, end to end as far as the code reaches today, on a fresh
# machine, in a throwaway root (nothing outside it is touched):
#   1. install dependencies and build;
#   2. write the agent's hive as silent setup will (CustomerId, ActivationId,
#      WebServiceUri, per-module ScanOnDemand keys) with vigil-reg;
#   3. an administrator's view of it: query /s, export to a .reg file, a refused
#      overwrite without /f, a malformed hive reported with its line number.
#   4. a local vigil-platform (HTTPS with its own CA, RocksDB): a customer and
#      activation key, a profile change;
#   5. silent install with vigil-setup into a second root: the agent starts
#      under its supervisor, creates its HostID and provisions itself;
#   6. the agent checks in, receives its profile and manifests, scans (the
#      first scheduled scan, then an on-demand scan asked for with vigil-reg
#      under a CPU limit) and shows what it collected;
#   7. a resumable, exactly-once delta upload spoken over the real protocol
#      with curl (the agent's delta and upload actors come next), and the
#      platform's asset view; then vigil-uninstall keeping the identity.
# Later issues extend it to install -> provision -> scan -> upload -> health report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
root=$(mktemp -d /tmp/vigil-demo-XXXXXX)
reg() { ./build/bin/vigil-reg --root "$root" "$@"; }
key='HKLM\SOFTWARE\Vigil\VigilAgent'
step() { printf '\n== %s\n' "$*"; }

step "Hive written as silent setup will write it (root: $root)"
reg add "$key" /v CustomerId /d '{6F1A2B3C-4D5E-4F60-8172-93A4B5C6D7E8}' /f
reg add "$key" /v ActivationId /d '{0A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9}' /f
reg add "$key" /v WebServiceUri /d 'https://127.0.0.1:8443/CloudAgent/' /f
for module in Inventory Vulnerability PolicyCompliance; do
  reg add "$key\\ScanOnDemand\\$module" /v ScanOnDemand /t REG_DWORD /d 0 /f >/dev/null
  reg add "$key\\ScanOnDemand\\$module" /v CpuLimit /t REG_DWORD /d 0x32 /f >/dev/null
done
reg add "$key\\Logs" /v TraceLevel /t REG_DWORD /d 6 /f

step "vigil-reg query /s"
reg query "$key" /s

step "An administrator asks for an on-demand scan (reg.exe syntax)"
reg add "$key\\ScanOnDemand\\Vulnerability" /v ScanOnDemand /t REG_DWORD /d 1 /f
reg query "$key\\ScanOnDemand\\Vulnerability" /v ScanOnDemand

step "Without /f and without a terminal an existing value is not overwritten"
reg add "$key" /v CustomerId /d '{00000000-0000-0000-0000-000000000000}' </dev/null || echo "(exit $?)"

step "Export, and the hive file itself ($root/etc/opt/vigil/registry.reg)"
reg export "$key" "$root/export.reg" /y
cat "$root/etc/opt/vigil/registry.reg"

step "A malformed hive is reported with its line and left untouched"
cp "$root/etc/opt/vigil/registry.reg" "$root/good.reg"
printf '"Broken"=dword:xyz\n' >> "$root/etc/opt/vigil/registry.reg"
reg query "$key" || echo "(exit $?)"
cp "$root/good.reg" "$root/etc/opt/vigil/registry.reg"

step "A local platform (vigil-platform serve, loopback only)"
data="$root/platform"
./build/bin/vigil-platform serve --data-dir "$data" --listen 127.0.0.1:0 >"$root/platform.out" 2>&1 &
platform_pid=$!
trap 'kill $platform_pid 2>/dev/null || true' EXIT
for _ in $(seq 200); do grep -q listening "$root/platform.out" 2>/dev/null && break; sleep 0.05; done
cat "$root/platform.out"
base="$(sed -n 's/^listening //p' "$root/platform.out")/CloudAgent"
ids=$(./build/bin/vigil-platform customer create --data-dir "$data" --modules Vulnerability,PolicyCompliance)
echo "$ids"
customer=$(sed -n 's/^CustomerId=//p' <<<"$ids")
activation=$(sed -n 's/^ActivationId=//p' <<<"$ids")
./build/bin/vigil-platform profile set --data-dir "$data" --activation "$activation" \
  CapiIntervalSeconds=300 CpuLimit.Vulnerability=25 >/dev/null && echo "profile: CapiIntervalSeconds=300, CpuLimit.Vulnerability=25"

step "Silent install: vigil-setup into $root/host (as SCCM/Ansible would run it)"
agent_root="$root/host"
mkdir -p "$agent_root/etc" "$agent_root/var/lib/dpkg"
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$agent_root/etc/machine-id"
# The demo host's data: copies of this machine's OS files (the agent reads only
# under its root; /proc is not there, so those collectors report an error row).
for f in etc/os-release etc/hostname etc/passwd etc/group var/lib/dpkg/status; do
  [ -e "/$f" ] && cp -L "/$f" "$agent_root/$f"
done
./build/bin/vigil-setup --root "$agent_root" CustomerId="$customer" ActivationId="$activation" \
  WebServiceUri="$base/" CaBundle="$data/ca.pem"
echo "(exit $?)"
stop_agent() { "$agent_root/opt/vigil/bin/vigil-uninstall" --root "$agent_root" Uninstall=True >/dev/null 2>&1 || true; }
trap 'stop_agent; kill $platform_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "provisioned HostID" "$agent_root/var/opt/vigil/Log/Provision.log" 2>/dev/null && break; sleep 0.1
done
./build/bin/vigil-reg --root "$agent_root" query "$key" /v HostID
echo "agent supervisor pid $(cat "$agent_root/var/opt/vigil/state/vigil-agent.pid"); Provision.log:"
sed 's/^/  /' "$agent_root/var/opt/vigil/Log/Provision.log"

step "The agent checks in, gets its profile and manifests, and scans"
for _ in $(seq 150); do
  [ -f "$agent_root/var/opt/vigil/state/snapshots/Vulnerability.jsonl" ] && break; sleep 0.2
done
sed 's/^/  /' "$agent_root/var/opt/vigil/Log/Config.log"
grep -h "scan of" "$agent_root"/var/opt/vigil/Log/{Inventory,Vulnerability}.log | sed 's/^/  /'

step "On-demand scan (SPEC §8): ScanOnDemand 1 -> 2 -> 0, CpuLimit 25"
sod="$key\\ScanOnDemand\\Vulnerability"
./build/bin/vigil-reg --root "$agent_root" add "$sod" /v CpuLimit /t REG_DWORD /d 25 /f >/dev/null
./build/bin/vigil-reg --root "$agent_root" add "$sod" /v ScanOnDemand /t REG_DWORD /d 1 /f
for _ in $(seq 100); do
  grep -q "on-demand scan of Vulnerability done" "$agent_root/var/opt/vigil/Log/Vulnerability.log" && break; sleep 0.1
done
grep -h "on-demand" "$agent_root/var/opt/vigil/Log/Vulnerability.log" | sed 's/^/  /'
./build/bin/vigil-reg --root "$agent_root" query "$sod" /v ScanOnDemand
echo "vigil-agent snapshot Vulnerability: $(./build/bin/vigil-agent --root "$agent_root" snapshot Vulnerability | wc -l) rows, e.g.:"
./build/bin/vigil-agent --root "$agent_root" snapshot Vulnerability | grep -E '^(os/|packages/openssl|error/)' | cut -c1-150 | sed 's/^/  /'

step "Upload a delta over HTTPS the way the agent will (TLS verified against the platform's CA)"
api() { curl -sS --cacert "$data/ca.pem" -H 'X-Vigil-Protocol: 1' "$@"; }
host='{5A5A5A5A-0000-4000-8000-00000000D3E0}'
provision=$(api -d "{\"customer_id\":\"$customer\",\"activation_id\":\"$activation\",\"host_id\":\"$host\",\"fingerprint\":\"demo\",\"agent_version\":\"0.1.0\",\"inventory\":{\"hostname\":\"$(hostname)\",\"fqdn\":\"\",\"os_name\":\"Debian\",\"os_version\":\"12\",\"kernel\":\"$(uname -r)\",\"arch\":\"$(uname -m)\",\"ipv4\":[],\"ipv6\":[],\"macs\":[]}}" "$base/v1/provision")
token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["agent_token"])' "$provision")
echo "provisioned $host (agent token received, $(( ${#token} / 2 )) bytes)"
auth=(-H "X-Vigil-Host-Id: $host" -H "Authorization: Bearer $token")
echo "check-in: $(api "${auth[@]}" -d "{\"host_id\":\"$host\",\"agent_version\":\"0.1.0\",\"profile_etag\":\"\",\"modules\":[]}" "$base/v1/checkin")"
echo "profile:  $(api "${auth[@]}" "$base/v1/profile" | cut -c1-160)..."
# A delta (zstd-compressed JSON, as the agent will send it), in two chunks.
python3 - "$root/delta.json" <<'PY'
import json, sys
rows = [{"key": f"packages/{p}", "value": v} for p, v in [("openssl", "3.0.19"), ("bash", "5.2.15"), ("zlib", "1.2.13")]]
json.dump({"module": "Vulnerability", "seq": 1, "full": True, "upserts": rows, "removals": []}, open(sys.argv[1], "w"))
PY
zstd -q -f "$root/delta.json" -o "$root/delta.zst"
size=$(stat -c %s "$root/delta.zst"); half=$(( size / 2 ))
head -c "$half" "$root/delta.zst" >"$root/part1"; tail -c +"$(( half + 1 ))" "$root/delta.zst" >"$root/part2"
api "${auth[@]}" -X PUT -H "X-Vigil-Offset: 0" -H "X-Vigil-Total-Size: $size" --data-binary @"$root/part1" "$base/v1/deltas/Vulnerability/1" >/dev/null
echo "after chunk 1 the platform holds: $(api "${auth[@]}" "$base/v1/deltas/Vulnerability/1")"
api "${auth[@]}" -X PUT -H "X-Vigil-Offset: $half" -H "X-Vigil-Total-Size: $size" --data-binary @"$root/part2" "$base/v1/deltas/Vulnerability/1" >/dev/null
complete="{\"size\":$size,\"sha256\":\"$(sha256sum "$root/delta.zst" | cut -d' ' -f1)\"}"
echo "complete:       $(api "${auth[@]}" -d "$complete" "$base/v1/deltas/Vulnerability/1/complete")"
echo "complete again: $(api "${auth[@]}" -d "$complete" "$base/v1/deltas/Vulnerability/1/complete")   (exactly once)"

step "The platform's view: vigil-platform assets, and the rows it holds"
./build/bin/vigil-platform assets --data-dir "$data"
./build/bin/vigil-platform rows --data-dir "$data" --host "$host" --module Vulnerability

step "vigil-uninstall Uninstall=True: program files and data go, the identity stays"
"$agent_root/opt/vigil/bin/vigil-uninstall" --root "$agent_root" Uninstall=True
ls "$agent_root/opt" 2>/dev/null || echo "$agent_root/opt/vigil: removed"
./build/bin/vigil-reg --root "$agent_root" query "$key" /v HostID

step "Done. Demo root kept at $root"
