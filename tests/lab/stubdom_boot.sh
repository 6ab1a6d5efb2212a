#!/usr/bin/env bash
# Opt-in slow test (not in the fleet scenario): a full HVM guest boot behind a Linux device-model stub domain on a
# lab host that ran the stubdom role (images built). The guest's disk holds only GRUB with an embedded
# configuration that writes a marker to the serial port; the test waits until the marker arrives in dom0 through
# QEMU in the stub domain (guest COM1 -> /dev/hvc3 in the stub domain -> its console in dom0, a file).
#   tests/lab/stubdom_boot.sh NAME [--state-dir DIR] [TIMEOUT_SECONDS]     (default timeout 1800)
# Under software emulation the HVM firmware alone takes minutes; the elapsed time is printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=$1; shift
state=()
if [ "${1:-}" = --state-dir ]; then state=(--state-dir "$2"); shift 2; fi
timeout=${1:-1800}
lab() { python3 tests/lab/xenlab.py ssh "$name" "${state[@]}" -- "$@"; }

lab bash -s <<'SETUP'
set -euo pipefail
dir=/var/lib/xenguard-lab
mkdir -p "$dir" && cd "$dir"
cat > early.cfg <<'CFG'
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
echo XENGUARD-HVM-SERIAL-OK
sleep 3600
CFG
rm -f serial.log
# no partition table and no filesystem: the MBR (GRUB's boot.img) loads core.img from sector 1, and core.img
# runs its embedded configuration
truncate -s 8M disk.img
grub-mkimage -O i386-pc -c early.cfg -p '(hd0)/' -o core.img biosdisk serial terminal echo sleep
dd if=/usr/lib/grub/i386-pc/boot.img of=disk.img bs=512 count=1 conv=notrunc status=none
dd if=core.img of=disk.img bs=512 seek=1 conv=notrunc status=none
cat > /etc/xen/hvm-boot.cfg <<CFG
name = "hvm-boot"
type = "hvm"
memory = 64
vcpus = 1
serial = "file:$dir/serial.log"
vga = "none"
vnc = 0
boot = "c"
disk = [ "format=raw,vdev=hda,access=rw,target=$dir/disk.img" ]
device_model_version = "qemu-xen"
device_model_stubdomain_override = 1
stubdomain_memory = 256
CFG
SETUP

start=$(date +%s)
lab xl create /etc/xen/hvm-boot.cfg
lab xl list
end=$((start + timeout))
while [ "$(date +%s)" -lt "$end" ]; do
  if lab grep -a -q XENGUARD-HVM-SERIAL-OK /var/lib/xenguard-lab/serial.log 2>/dev/null; then
    echo "serial output of the HVM guest arrived through the stub domain after $(( $(date +%s) - start )) s"
    lab xl destroy hvm-boot
    exit 0
  fi
  sleep 10
done
echo "no serial output from the HVM guest within $timeout s" >&2
lab xl list >&2 || true
lab xl destroy hvm-boot || true
exit 1
