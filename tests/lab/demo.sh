#!/usr/bin/env bash
# `make demo`: boot a real Xen host under QEMU, show where it stands, harden it with
# playbooks/site.yml (one reboot), show where it stands afterwards, and stop the host.
# XENLAB_DIST=trixie picks Debian 13 / Xen 4.20 instead of Debian 12 / Xen 4.17.
set -euo pipefail
cd "$(dirname "$0")/../.."
dist=${XENLAB_DIST:-bookworm}
name=${XENLAB_DEMO_NAME:-demo}
venv=${VENV:-.venv}
lab=(python3 tests/lab/xenlab.py)
t0=$(date +%s)
step() { printf '\n=== [%4ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

cleanup() {
  rc=$?
  step "stopping the lab host"
  "${lab[@]}" down --name "$name" >/dev/null 2>&1 || true
  [ "$rc" -eq 0 ] && step "demo finished" || step "demo failed (exit $rc): see the messages above"
  [ -z "$report_paths" ] || printf '%s\n' "$report_paths"  # the reports' paths last, where a reader looks
}
report_paths=
trap cleanup EXIT

step "dom0 image for $dist (built once, then cached)"
"${lab[@]}" build --dist "$dist"

step "booting a Xen host (Intel VT-d + interrupt remapping): firmware -> GRUB -> Xen -> dom0"
info=$("${lab[@]}" up --dist "$dist" --variant vtd-intremap --name "$name" | tail -n 1)
port=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ssh_port"])' "$info")
key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ssh_key"])' "$info")
inventory=$(mktemp --suffix=.ini)
cat > "$inventory" <<INV
[xen_hosts]
$name ansible_host=127.0.0.1 ansible_port=$port ansible_user=root ansible_ssh_private_key_file=$key ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'
INV
export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PIPELINING=True ANSIBLE_STDOUT_CALLBACK=default
playbook() { "$venv/bin/ansible-playbook" -i "$inventory" "$@"; }

# the fleet reports (report.html/.json/.xml) of the two audits, kept after the demo
reports=${XENGUARD_DEMO_REPORTS:-build/demo}
rm -rf "$reports/before" "$reports/after"

step "where the host stands before hardening (playbooks/audit.yml)"
playbook playbooks/audit.yml -e xenguard_report_dir="$PWD/$reports/before"

step "hardening: playbooks/site.yml with xenguard_reboot_ok=true (one reboot at the end)"
playbook playbooks/site.yml -e xenguard_reboot_ok=true

step "where the host stands afterwards"
# the before report as the previous one of the after report: its page shows what got better
mkdir -p "$reports/after" && cp "$reports/before/report.json" "$reports/after/report.json"
playbook playbooks/audit.yml -e xenguard_report_dir="$PWD/$reports/after"

step "the reports"
for when in before after; do
  for f in report.html report.json report.xml; do
    test -s "$reports/$when/$f" || { echo "the $when report lacks $f ($reports/$when)"; exit 1; }
  done
done
report_paths="reports (report.html, report.json, report.xml in each):
  before hardening: $PWD/$reports/before/report.html
  after hardening:  $PWD/$reports/after/report.html (with what changed since the before report)"
if command -v xdg-open >/dev/null 2>&1 && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  report_paths+="
open them in your browser: xdg-open $PWD/$reports/before/report.html; xdg-open $PWD/$reports/after/report.html"
else
  report_paths+="
no browser here: copy $reports/ to a machine with one and open report.html there (a single file, no network needed)"
fi
