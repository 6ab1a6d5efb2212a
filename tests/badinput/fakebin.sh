#!/bin/sh
# A stand-in for the Xen, GRUB, systemd and apt tools the collection calls, for the bad-input suite.
# Reads print what a recorded Debian 12 / Xen 4.17 dom0 printed (tests/unit/fixtures); any other call is
# a write: it is logged to $BADINPUT_LOG/writes.log (with the case id) and does nothing.
name=$(basename "$0")
fix="$BADINPUT_FIXTURES"
d12="$fix/debian12-xen-4.17"
store="$d12/xenstore-ls-f.dom0-plus-pv-domu.txt"
printf '%s %s %s\n' "${BADINPUT_CASE:--}" "$name" "$*" >> "$BADINPUT_LOG/calls.log"
case "$name $*" in
  "xl info") exec cat "$d12/${BADINPUT_HOST:-xl-info.q35-vtd-intremap.txt}" ;;
  "xl dmesg") exec cat "$d12/$(echo "${BADINPUT_HOST:-xl-info.q35-vtd-intremap.txt}" | sed 's/^xl-info/xl-dmesg/')" ;;
  "xl pci-assignable-list") exit 0 ;;
  "xl getenforce")  # recorded with its exit status on the last line
    sed '$d' "$d12/xl-getenforce.no-xsm.txt"; exit "$(sed -n '$s/^(exit \([0-9]*\))$/\1/p' "$d12/xl-getenforce.no-xsm.txt")" ;;
  "xl list -l") exec cat "$d12/xl-list-l.dom0-plus-pv-domu.json" ;;
  "xl list")
    printf 'Name                                        ID   Mem VCPUs\tState\tTime(s)\n'
    printf 'Domain-0                                     0  1024     2     r-----      10.0\n'
    exit 0 ;;
  "xl create -n "*) exit 0 ;;
  "xenstore-ls -f -p "*)
    awk -v p="$4/" 'index($0, p) == 1 { print $0 "   (n0)" }' "$store"; exit 0 ;;
  "xenstore-ls "*) exec cat "$store" ;;
  "xenstore-exists "*)
    grep -q "^$2 = " "$store" && exit 0; exit 1 ;;
  "xenstore-read "*)
    line=$(grep -m1 "^$2 = " "$store") || { echo "couldn't read path $2" >&2; exit 1; }
    v=${line#* = \"}; printf '%s\n' "${v%\"}"; exit 0 ;;
  "grub-editenv "*" list") echo "next_entry="; exit 0 ;;
  "apt-cache policy"*) printf '%s:\n  Installed: (none)\n  Candidate: (none)\n' "$3"; exit 0 ;;
  "findmnt "*) echo "/dev/vda1 ext4"; exit 0 ;;
esac
printf '%s %s %s\n' "${BADINPUT_CASE:--}" "$name" "$*" >> "$BADINPUT_LOG/writes.log"
exit 0
