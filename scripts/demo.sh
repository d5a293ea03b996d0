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
#   7. each module's first snapshot uploaded (resumable, exactly once) and
#      held row for row by the platform; a file changes, an on-demand scan
#      runs and only the changed row travels (the platform's request log);
#   8. the platform's asset view; the installers it makes for its fleet
#      (vigil-setup, .deb, .rpm carrying its URL, CA, key and IDs); the agent
#      moved behind a proxy (tinyproxy on loopback) with vigil-proxy while it
#      runs;
#   9. a signed order from the platform (a scan), carried out once and
#      acknowledged; a self-upgrade: the platform publishes a signed release
#      0.2.0, targets it, the agent verifies, installs and proves it (its
#      watcher would have rolled back otherwise), assets shows the result;
#  10. vigil-healthcheck's report; self-protection turned on by a signed
#      order: a tampered program file restored and reported to the platform, a
#      killed supervisor replaced, a SIGTERM from the shell ignored;
#      vigil-uninstall refused without an SPFKEY,
#      then done with one, keeping the identity.
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
  CapiIntervalSeconds=5 CpuLimit.Vulnerability=25 >/dev/null && echo "profile: CapiIntervalSeconds=5, CpuLimit.Vulnerability=25"

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
  WebServiceUri="$base/" CaBundle="$data/ca.pem" TrustKey="$data/signing-key.pub"
echo "(exit $?); pinned trust root (the platform's signing-key.pub):"
./build/bin/vigil-reg --root "$agent_root" query "$key\Trust" /v RootKey
stop_agent() {
  "$agent_root/opt/vigil/bin/vigil-uninstall" --root "$agent_root" Uninstall=True >/dev/null 2>&1 || true
  # Self-protection restarts a killed agent: both processes at once.
  pkill -KILL -f "vigil-agent --root $agent_root" 2>/dev/null || true
}
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

step "Deltas (SPEC §9): the agent uploaded each module's first snapshot; the platform holds the same rows"
host=$(./build/bin/vigil-reg --root "$agent_root" query "$key" /v HostID | sed -n 's/.*REG_SZ *//p' | tr -d '\r')
rows_at_platform() { ./build/bin/vigil-platform rows --data-dir "$data" --host "$host" --module "$1" | grep -c '^  "' || true; }
for module in Inventory Vulnerability PolicyCompliance; do
  for _ in $(seq 100); do
    [ "$(rows_at_platform $module)" = "$(./build/bin/vigil-agent --root "$agent_root" snapshot $module 2>/dev/null | wc -l)" ] && break; sleep 0.2
  done
  echo "  $module: agent snapshot $(./build/bin/vigil-agent --root "$agent_root" snapshot $module | wc -l) rows, platform $(rows_at_platform $module) rows"
done
grep -h "pending\|applied" "$agent_root"/var/opt/vigil/Log/{Delta,Upload}.log | sed 's/^/  /'

step "A file changes on the host; an on-demand scan sends only the change"
mkdir -p "$agent_root/etc/ssh"
printf 'PermitRootLogin no\n' >>"$agent_root/etc/ssh/sshd_config"
log_lines=$(wc -l <"$data/requests.log")
./build/bin/vigil-reg --root "$agent_root" add "$key\\ScanOnDemand\\PolicyCompliance" /v ScanOnDemand /t REG_DWORD /d 1 /f
for _ in $(seq 100); do
  tail -n +"$log_lines" "$data/requests.log" | grep -q 'deltas/PolicyCompliance/.*complete.*applied' && break; sleep 0.2
done
echo "the platform's request log since then (PUT in= is the delta's size on the wire):"
tail -n +"$(( log_lines + 1 ))" "$data/requests.log" | grep 'deltas/' | sed 's/^/  /'
./build/bin/vigil-platform rows --data-dir "$data" --host "$host" --module PolicyCompliance | grep sshd_config | cut -c1-160

step "The platform's view: vigil-platform assets"
./build/bin/vigil-platform assets --data-dir "$data"

step "Installers the platform makes for its fleet: vigil-platform package --type setup|deb|rpm"
# Each carries the URL, CA, pinned key and IDs: vigil-setup with no arguments,
# or dpkg -i / rpm -i with no install.conf, enrolls a host here.
for type in setup deb rpm; do
  ./build/bin/vigil-platform package --data-dir "$data" --type "$type" --activation "$activation" \
    --url "$base/" --out "$root/enrolled.$type" | sed 's/^/  /'
done
echo "  the .rpm's enrollment and scriptlets (rpm -qp):"
rpm -qpl "$root/enrolled.rpm" | grep share/vigil-agent | sed 's/^/    /'
rpm -qp --scripts "$root/enrolled.rpm" | grep -E '^[a-z]+ scriptlet' | sed 's/^/    /'

step "Behind a proxy (SPEC §10): a tinyproxy on loopback, set with vigil-proxy while the agent runs"
proxy_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'Port %s\nListen 127.0.0.1\nTimeout 30\nLogLevel Connect\n' "$proxy_port" >"$root/tinyproxy.conf"
/usr/bin/tinyproxy -d -c "$root/tinyproxy.conf" >"$root/tinyproxy.log" 2>&1 &
proxy_pid=$!
trap 'stop_agent; kill $platform_pid $proxy_pid 2>/dev/null || true' EXIT
"$agent_root/opt/vigil/bin/vigil-proxy" --root "$agent_root" /u "http://127.0.0.1:$proxy_port" /t off
"$agent_root/opt/vigil/bin/vigil-proxy" --root "$agent_root" /c
for _ in $(seq 100); do grep -q "CONNECT" "$root/tinyproxy.log" && break; sleep 0.2; done
echo "tinyproxy saw the agent's next check-in:"
grep -m 2 "CONNECT\|Established" "$root/tinyproxy.log" | sed 's/^/  /'
"$agent_root/opt/vigil/bin/vigil-proxy" --root "$agent_root" /d && echo "vigil-proxy /d: back to direct"

step "A signed order from the platform: scan PolicyCompliance now (carried out once, acknowledged)"
order=$(./build/bin/vigil-platform order add --data-dir "$data" --host "$host" --order '{"type":"scan","module":"PolicyCompliance"}' | sed -n 's/^OrderId=//p')
echo "OrderId=$order"
for _ in $(seq 150); do grep -q "order=$order .*done" "$data/orders.log" 2>/dev/null && break; sleep 0.2; done
grep "order=$order" "$data/orders.log" | sed 's/^/  /'

step "Self-upgrade (SPEC §12): the platform publishes a signed release 0.2.0 and targets it"
upgrade_dir="$root/release-0.2.0"
mkdir -p "$upgrade_dir/payload"
tar -xf build/payload.tar.xz -C "$upgrade_dir/payload"
echo 0.2.0 >"$upgrade_dir/payload/VERSION"
tar -C "$upgrade_dir/payload" -cf - . | xz -T2 -c >"$upgrade_dir/payload.tar.xz"
./build/bin/vigil-pack build/vigil-setup-stub.stripped "$upgrade_dir/payload.tar.xz" "$upgrade_dir/vigil-setup"
# The release the host runs is on the platform too, so 0.2.0 comes with a
# binary patch from it: the host downloads only the difference.
./build/bin/vigil-platform release add --data-dir "$data" build/bin/vigil-setup >/dev/null
./build/bin/vigil-platform release add --data-dir "$data" "$upgrade_dir/vigil-setup" --patch-level 9
echo "package $(stat -c %s "$upgrade_dir/vigil-setup") bytes, patch from 0.1.0 $(stat -c %s "$data/releases/0.2.0/patch-from-0.1.0.zst") bytes"
./build/bin/vigil-platform profile set --data-dir "$data" --activation "$activation" TargetVersion=0.2.0 >/dev/null \
  && echo "profile: TargetVersion=0.2.0"
for _ in $(seq 300); do
  grep -q '"state":"succeeded"' "$agent_root/var/opt/vigil/state/upgrade.json" 2>/dev/null \
    && grep -q "upgrade succeeded" "$agent_root/var/opt/vigil/CloudAgentInstaller.log" && break; sleep 0.2
done
echo "installed VERSION: $(cat "$agent_root/opt/vigil/VERSION"); upgrade marker: $(cat "$agent_root/var/opt/vigil/state/upgrade.json")"
grep -h "upgrade\|verified\|handing\|rebuilt" "$agent_root/var/opt/vigil/Log/SelfPatch.log" | sed 's/^/  /'
for _ in $(seq 100); do
  ./build/bin/vigil-platform assets --data-dir "$data" --json | grep -q '"state": *"succeeded"' && break; sleep 0.2
done
./build/bin/vigil-platform assets --data-dir "$data" --json | python3 -c 'import json,sys; [print("  host", h["host_id"], "agent_version", h.get("agent_version"), "upgrade", json.dumps(h.get("upgrade"))) for h in json.load(sys.stdin)]'

step "Health check (SPEC §14): vigil-healthcheck, as SCCM or BigFix would run it"
set +e
"$agent_root/opt/vigil/bin/vigil-healthcheck" --root "$agent_root"
echo "(exit $?: 0 Good, 1 Poor, 2 Bad, 3 Not Installed, 4 Not Provisioned, 5 Tool Error)"
set -e
report=$(ls -t "$agent_root"/opt/vigil/HealthCheck/*.json 2>/dev/null | head -1 || true)
[ -n "$report" ] && python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({k: r[k] for k in ("OverallHealth","AgentID","Provisioned","AgentPerformanceCounters","ProxyDetails") if k in r}, indent=2))' "$report"

step "Self-protection (SPEC §13): turned on by a signed order; a tampered program file is restored; kills and a SIGTERM from a shell do not stop it"
./build/bin/vigil-platform order add --data-dir "$data" --host "$host" --order '{"type":"self_protection","enabled":true}' >/dev/null
for _ in $(seq 150); do "$agent_root/opt/vigil/bin/vigil-spconfig" --root "$agent_root" | grep -q "SelfProtection=on" && break; sleep 0.2; done
"$agent_root/opt/vigil/bin/vigil-spconfig" --root "$agent_root"
sum() { sha256sum "$agent_root/opt/vigil/bin/vigil-reg" | cut -c1-16; }
echo "vigil-reg before: $(sum)"
echo "tampered" >>"$agent_root/opt/vigil/bin/vigil-reg"
echo "vigil-reg after appending to it: $(sum)"
for _ in $(seq 50); do grep -q "bin/vigil-reg" "$agent_root/var/opt/vigil/state/tamper-events.jsonl" 2>/dev/null && break; sleep 0.1; done
echo "vigil-reg a moment later: $(sum)"
grep -h "tamper:" "$agent_root/var/opt/vigil/Log/SelfProtection.log" | tail -1 | sed 's/^/  /'
for _ in $(seq 50); do ./build/bin/vigil-platform assets --data-dir "$data" --json | grep -q '"tamper_events": *\[ *{' && break; sleep 0.2; done
./build/bin/vigil-platform assets --data-dir "$data" --json | python3 -c 'import json,sys; [print("  platform: host", h["host_id"], "tamper_events", json.dumps(h.get("tamper_events"))) for h in json.load(sys.stdin)]'
supervisor=$(cat "$agent_root/var/opt/vigil/state/vigil-agent.pid")
kill -KILL "$supervisor"
for _ in $(seq 50); do
  now=$(cat "$agent_root/var/opt/vigil/state/vigil-agent.pid" 2>/dev/null || true)
  [ -n "$now" ] && [ "$now" != "$supervisor" ] && kill -0 "$now" 2>/dev/null && break; sleep 0.1
done
echo "supervisor $supervisor SIGKILLed; the agent started a new one: pid $(cat "$agent_root/var/opt/vigil/state/vigil-agent.pid")"
# The new supervisor settles in (it detaches once more and rewrites the pidfile).
for _ in $(seq 50); do
  a=$(cat "$agent_root/var/opt/vigil/state/vigil-agent.pid" 2>/dev/null || true); sleep 0.2
  b=$(cat "$agent_root/var/opt/vigil/state/vigil-agent.pid" 2>/dev/null || true)
  [ -n "$a" ] && [ "$a" = "$b" ] && kill -0 "$b" 2>/dev/null && break
done
supervisor=$(cat "$agent_root/var/opt/vigil/state/vigil-agent.pid")
kill -TERM "$supervisor" || true
for _ in $(seq 50); do grep -q "ignored: self-protection is on" "$agent_root/var/opt/vigil/Log/Agent.log" && break; sleep 0.1; done
kill -0 "$supervisor" 2>/dev/null && echo "SIGTERM from this shell to supervisor $supervisor: ignored, still running (stop with vigil-spconfig or the platform)"
grep -h "ignored: self-protection is on" "$agent_root/var/opt/vigil/Log/Agent.log" | tail -1 | sed 's/^/  /'

step "Self-protection on: vigil-uninstall needs an SPFKEY for this host (SPEC §13)"
set +e
"$agent_root/opt/vigil/bin/vigil-uninstall" --root "$agent_root" Uninstall=True
echo "(exit $?: 1603 & 0xff, refused; nothing removed: $(cat "$agent_root/opt/vigil/VERSION"))"
set -e
spfkey=$(./build/bin/vigil-platform spfkey --data-dir "$data" --host "$host" --valid 1h | sed -n 's/^SPFKEY=//p')

step "vigil-uninstall Uninstall=True SPFKEY=...: program files and data go, the identity stays"
"$agent_root/opt/vigil/bin/vigil-uninstall" --root "$agent_root" Uninstall=True "SPFKEY=$spfkey"
ls "$agent_root/opt" 2>/dev/null || echo "$agent_root/opt/vigil: removed"
./build/bin/vigil-reg --root "$agent_root" query "$key" /v HostID

step "Done. Demo root kept at $root"
