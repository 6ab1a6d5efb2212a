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
}
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

step "where the host stands before hardening (playbooks/audit.yml)"
playbook playbooks/audit.yml

step "hardening: playbooks/site.yml with xenguard_reboot_ok=true (one reboot at the end)"
playbook playbooks/site.yml -e xenguard_reboot_ok=true

step "where the host stands afterwards"
playbook playbooks/audit.yml
