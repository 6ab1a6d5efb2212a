#!/usr/bin/env bash
# Opt-in lab test of the vtpm role with real stub-domain images: boot a Xen host with a TPM 2.0 (swtpm), run
# the vtpm role with the images given, let it start the vTPM manager and a vTPM domain, start a PV guest with
# that vTPM and check that the guest sees /dev/tpm0.
#
#   XENGUARD_VTPM_MANAGER_IMAGE=/path/to/vtpmmgr-stubdom.gz XENGUARD_VTPM_VTPM_IMAGE=/path/to/vtpm-stubdom.gz \
#     tests/lab/vtpm_boot.sh
#
# The images are Mini-OS programs built from the Xen source of the lab host's release (Debian 12: Xen 4.17,
# Debian 13: Xen 4.20; XENLAB_DIST picks it) with `make -C stubdom vtpmmgr-stubdom vtpm-stubdom`; the lab cannot
# build them (their inputs come from the Xen project's servers). Without both variables the test prints
# "skipped: no vTPM images given" and exits 0. XENLAB_UP overrides the command that boots the host (for example
# a wrapper that waits while two lab VMs run already). Note xen-vtpmmgr(7) Appendix B: on a TPM 2.0 host the manager
# does not persist vTPM data across host reboots; this test checks one boot.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${XENGUARD_VTPM_MANAGER_IMAGE:-}" ] || [ -z "${XENGUARD_VTPM_VTPM_IMAGE:-}" ]; then
  echo "skipped: no vTPM images given (set XENGUARD_VTPM_MANAGER_IMAGE and XENGUARD_VTPM_VTPM_IMAGE)"
  exit 0
fi
for image in "$XENGUARD_VTPM_MANAGER_IMAGE" "$XENGUARD_VTPM_VTPM_IMAGE"; do
  [ -f "$image" ] || { echo "no such image: $image"; exit 2; }
done
dist=${XENLAB_DIST:-bookworm}
name=${XENLAB_VTPM_NAME:-vtpmboot-1}
state=${XENLAB_STATE_DIR:-/tmp/lab-vtpmboot}
venv=${VENV:-.venv}
lab=(python3 tests/lab/xenlab.py)
read -r -a up <<< "${XENLAB_UP:-python3 tests/lab/xenlab.py up}"

cleanup() { "${lab[@]}" down --name "$name" --state-dir "$state" >/dev/null 2>&1 || true; }
trap cleanup EXIT

info=$("${up[@]}" --dist "$dist" --variant vtd-intremap --tpm --name "$name" --state-dir "$state" | tail -n 1)
port=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ssh_port"])' "$info")
key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ssh_key"])' "$info")
on_host() { "${lab[@]}" ssh "$name" --state-dir "$state" -- "$@"; }

# the guest: dom0's own kernel and an initramfs whose init loads xen-tpmfront and says whether /dev/tpm0 is there
# built in root's home on the lab host (HOME there, the ramdisk path written into the config)
on_host 'set -e; g=$HOME/vtpmguest; rm -rf $g && mkdir -p $g/root/bin $g/root/proc $g/root/sys $g/root/dev
cd $g/root && cp /bin/busybox bin/ && for a in sh mount insmod sleep ls poweroff echo; do ln -s busybox bin/$a; done
mod=$(find /lib/modules/$(uname -r) -name "xen-tpmfront.ko*" | head -n 1)
case "$mod" in *.xz) xz -dc "$mod" > xen-tpmfront.ko ;; *.zst) zstd -qdc "$mod" > xen-tpmfront.ko ;; *) cp "$mod" xen-tpmfront.ko ;; esac
cat > init <<INIT
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
insmod /xen-tpmfront.ko; sleep 3
if [ -c /dev/tpm0 ]; then echo VTPM-GUEST-SEES-TPM0; else echo VTPM-GUEST-HAS-NO-TPM0; fi
poweroff -f
INIT
chmod 755 init && find . | cpio -o -H newc --quiet | gzip > ../initrd.gz
cat > /etc/xen/vtpmguest.cfg <<CFG
name = "vtpmguest"
type = "pv"
kernel = "/vmlinuz"
ramdisk = "$g/initrd.gz"
memory = 256
extra = "console=hvc0 rdinit=/init"
on_poweroff = "destroy"
CFG'

inventory=$(mktemp --suffix=.ini)
cat > "$inventory" <<INV
[xen_hosts]
$name ansible_host=127.0.0.1 ansible_port=$port ansible_user=root ansible_ssh_private_key_file=$key ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'
INV
vars=$(python3 - "$XENGUARD_VTPM_MANAGER_IMAGE" "$XENGUARD_VTPM_VTPM_IMAGE" <<'PY'
import hashlib, json, os, sys
def image(path):
    with open(path, 'rb') as f:
        return {'path': os.path.abspath(path), 'sha256': hashlib.sha256(f.read()).hexdigest()}
print(json.dumps({'xenguard_vtpm_manage': True, 'xenguard_vtpm_start': True,
                  'xenguard_vtpm_manager_image': image(sys.argv[1]), 'xenguard_vtpm_vtpm_image': image(sys.argv[2]),
                  'xenguard_vtpm_guests': [{'name': 'vtpmguest', 'config': '/etc/xen/vtpmguest.cfg'}]}))
PY
)
play=$(mktemp --suffix=.yml)
cat > "$play" <<'PLAY'
- hosts: xen_hosts
  gather_facts: false
  roles:
    - xenguard.hardening.vtpm
PLAY
make collection VENV="$venv" >/dev/null
ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections" ANSIBLE_HOST_KEY_CHECKING=False \
  "$venv/bin/ansible-playbook" -i "$inventory" -e "$vars" "$play"
on_host 'xl list; for d in vtpmmgr vtpm-vtpmguest; do xl domid $d >/dev/null || { echo "$d does not run"; exit 1; }; done'
out=$(on_host 'timeout 300 xl create -c /etc/xen/vtpmguest.cfg 2>&1' || true)
printf '%s\n' "$out" | tail -n 20
if printf '%s\n' "$out" | grep -q VTPM-GUEST-SEES-TPM0; then
  echo "ok: the guest sees /dev/tpm0 through vtpm-vtpmguest and the manager"
else
  echo "FAILED: the guest does not see /dev/tpm0"; exit 1
fi
