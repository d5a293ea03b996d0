#!/usr/bin/env bash
# Vigil's main job, end to end as far as the code reaches today, on a fresh
# machine, in a throwaway root (nothing outside it is touched):
#   1. install dependencies and build;
#   2. write the agent's hive as silent setup will (CustomerId, ActivationId,
#      WebServiceUri, per-module ScanOnDemand keys) with vigil-reg;
#   3. an administrator's view of it: query /s, export to a .reg file, a refused
#      overwrite without /f, a malformed hive reported with its line number.
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

step "Done. Demo root kept at $root"
