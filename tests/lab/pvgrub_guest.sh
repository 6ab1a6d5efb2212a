#!/bin/sh
# Make a PV guest for the pvgrub role's lab test, on a Xen dom0, in seconds and without downloading anything:
# an ext4 disk image made from dom0's own kernel and busybox, with a GRUB menu on it, and a guest
# configuration that boots it through pygrub - the state the pvgrub role converts from.
#
#   pvgrub_guest.sh NAME DIR [grub|nogrub|asis]
#
# NAME      the guest's name; its configuration is /etc/xen/NAME.cfg, its disk DIR/NAME.img
# nogrub    leave the menu out: a guest the role must report and leave alone
# asis      a menu, and dom0's kernel file as it is even when PV-GRUB2 cannot load it (see below)
#
# The guest's kernel is dom0's (/boot/vmlinuz-$(uname -r), Xen PV capable); its initrd is busybox-static with
# an init that prints "XENGUARD-GUEST-UP <NAME>" on the console and powers the guest off, so a boot
# is over in seconds. Needs e2fsprogs (mkfs.ext4 -d: no loop device, no mount) and busybox-static.
# Debian 13's kernels are zstd-compressed bzImages, which PV-GRUB2 cannot load ("error: not xen image": GRUB's
# Xen loader decompresses gzip, xz and lzop only): unless asis, such a kernel goes onto the disk as the ELF
# inside it, gzip'd (needs zstd), which PV-GRUB2 loads - what a guest running its own kernel would do.
# An existing configuration or disk is left as it is (run the role on it again), unless FORCE=1.
set -eu
name=$1
dir=$2
mode=${3:-grub}
case "$name" in *[!A-Za-z0-9_.-]*|'') echo "pvgrub_guest.sh: bad guest name '$name'" >&2; exit 2 ;; esac
cfg=/etc/xen/$name.cfg
img=$dir/$name.img
if [ "${FORCE:-0}" != 1 ] && [ -e "$cfg" ] && [ -e "$img" ]; then
  echo "pvgrub_guest.sh: $name exists ($cfg, $img): nothing done"
  exit 0
fi
kver=$(uname -r)
busybox=$(command -v busybox)
[ -r "/boot/vmlinuz-$kver" ] || { echo "pvgrub_guest.sh: no /boot/vmlinuz-$kver" >&2; exit 1; }
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the initrd: busybox and an init that says it is up and powers off
mkdir -p "$work/initrd/bin" "$work/initrd/proc" "$work/initrd/dev"
cp "$busybox" "$work/initrd/bin/busybox"
ln -s busybox "$work/initrd/bin/sh"
cat > "$work/initrd/init" <<INIT
#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "XENGUARD-GUEST-UP $name kernel \$(/bin/busybox uname -r) cmdline \$(/bin/busybox cat /proc/cmdline)"
/bin/busybox poweroff -f
INIT
chmod 755 "$work/initrd/init"
# the disk: the kernel, the initrd and (unless nogrub) the menu PV-GRUB2 reads
mkdir -p "$work/fs/boot/grub" "$work/fs/etc"
echo "$name" > "$work/fs/etc/hostname"
kernel=/boot/vmlinuz-$kver
cp "$kernel" "$work/fs/boot/vmlinuz"
# the bzImage header (Linux boot protocol): setup_sects at 0x1f1, payload_offset and payload_length at 0x248
setup=$(od -An -tu1 -j 497 -N1 "$kernel" | tr -d ' ')
[ "$setup" = 0 ] && setup=4
poff=$(od -An -tu4 -j 584 -N4 "$kernel" | tr -d ' ')
plen=$(od -An -tu4 -j 588 -N4 "$kernel" | tr -d ' ')
start=$(( (setup + 1) * 512 + poff ))
magic=$(od -An -tx1 -j "$start" -N4 "$kernel" | tr -d ' ')
if [ "$magic" = 28b52ffd ] && [ "$mode" != asis ]; then
  command -v zstd >/dev/null || { echo "pvgrub_guest.sh: dom0's kernel is zstd-compressed; install zstd" >&2; exit 1; }
  # the payload ends with its 4-byte uncompressed size
  tail -c +$((start + 1)) "$kernel" | head -c $((plen - 4)) | zstd -dcq | gzip -1 > "$work/fs/boot/vmlinuz"
fi
(cd "$work/initrd" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -1) > "$work/fs/boot/initrd.img"
if [ "$mode" != nogrub ]; then  # grub or asis
  cat > "$work/fs/boot/grub/grub.cfg" <<MENU
set timeout=0
menuentry 'xenguard lab guest $name' {
	linux /boot/vmlinuz console=hvc0 xenguard=pvgrub
	initrd /boot/initrd.img
}
MENU
fi
rm -f "$img"
mkfs.ext4 -q -F -L "$name" -d "$work/fs" "$img" 64M
cat > "$cfg" <<CFG
# xenguard lab guest (tests/lab/pvgrub_guest.sh): boots through pygrub until the pvgrub role converts it
name = "$name"
type = "pv"
memory = 256
vcpus = 1
bootloader = "pygrub"
disk = [ 'format=raw, vdev=xvda, access=rw, target=$img' ]
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
CFG
echo "pvgrub_guest.sh: made $name ($cfg, $img, $mode)"
