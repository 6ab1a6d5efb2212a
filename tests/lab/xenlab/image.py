# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base image of a distribution: the Debian mirror from this machine's apt sources, the image's cache
key, debootstrap and the root filesystem's configuration, the partitioned disk with GRUB, the first boot
that installs GRUB for real, and `clean`."""

import fcntl
import glob
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess

from . import settings
from .errors import LabError
from .util import cache_dir, lab_key, log, run

BUILD_SCRIPT_VERSION = "7"

DISTS = {
    # dist: (Xen version it ships, for information only)
    "bookworm": "4.17",
    "trixie": "4.20",
}

# The package list from the lab findings, plus what GRUB-on-disk boots and Ansible need.
PACKAGES = [
    "xen-system-amd64", "linux-image-amd64", "qemu-system-xen", "grub-xen-host", "grub-pc",
    "openssh-server", "python3", "python3-apt", "sudo",
    # a system bus and logind as on any server: `shutdown` (Ansible's reboot module), hostnamectl
    "dbus", "libpam-systemd",
    "iproute2", "bridge-utils", "nftables", "iputils-ping", "netcat-openbsd",
    "systemd-sysv", "udev", "kmod", "ifupdown", "isc-dhcp-client", "netbase", "procps",
    "busybox-static", "e2fsprogs", "initramfs-tools", "less",
]

# Lab-only Xen options, never role defaults. `smap=0` and `xsave=0` are quirks of software emulation (TCG
# with -cpu max): without smap=0 dom0 dies at boot; without xsave=0 Xen's XSAVE switching of vector
# registers corrupts dom0's processes once guests run (docs/lab.md "Lab-only settings"). `conring_size=512k`
# keeps the boot log in `xl dmesg` under loglvl=all: Xen's default ring on a one-vCPU host is 16 KiB, half
# of it used by the boot, and a fleet host's IOMMU lines were gone before prepare read them (CI, Debian 13).
# It stays below the 1 MiB XG-XEN-06 asks for, so the hypervisor role still has that change to make.
XEN_CMDLINE = ("console=com1 com1=115200,8n1 smap=0 xsave=0 dom0_mem=1024M,max:1024M conring_size=512k "
               "loglvl=all guest_loglvl=all")
# Xen options only emulation needs: an image for KVM is built without them (see xen_cmdline).
TCG_ONLY_XEN_OPTIONS = ("smap=0", "xsave=0")
# What --default-loglvl removes: Xen then logs at its own defaults (loglvl=warning, guest_loglvl=none with
# rate limits), as a host with Debian's unchanged xen.cfg does.
LAB_LOGLVL_OPTIONS = ("loglvl=all", "guest_loglvl=all")
DOM0_CMDLINE_XEN = "console=hvc0 earlyprintk=xen net.ifnames=0"
DOM0_CMDLINE_NATIVE = "console=ttyS0,115200 net.ifnames=0"

DISK_SIZE_MIB = 8192          # virtual size; qcow2 stores only what is used (~1.2 GB)
PART_OFFSET = 1048576         # first partition at sector 2048


def _aptsources():
    """The collection's reader of apt sources (plugins/module_utils/aptsources.py, plain Python): one parser
    of sources.list(5) for the lab and the FLASK build."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "plugins", "module_utils",
                        "aptsources.py")
    spec = importlib.util.spec_from_file_location("xenguard_lab_aptsources", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def apt_entries(root="/"):
    """(uri, suites) of every enabled `deb` entry of the apt sources under root, in apt's order."""
    return [(uri, entry["suites"]) for entry in _aptsources().read_entries(root) if "deb" in entry["types"]
            for uri in entry["uris"]]


def pick_mirror(entries, debootstrap_knows):
    """The first entry usable as debootstrap's mirror: http(s) or file, a base suite (not -security,
    -updates, -backports, -proposed-updates) debootstrap has a script for, not a security archive.
    Returns the URI without a trailing slash, or None."""
    for uri, suites in entries:
        base = [s for s in suites if not re.search(r"-(security|updates|backports|proposed-updates)$", s)]
        if not uri.startswith(("http://", "https://", "file:/")) or not base:
            continue
        if not debootstrap_knows(base[0]):
            continue
        if "security" in uri:
            continue
        return uri.rstrip("/")
    return None


def debootstrap_script_exists(suite):
    try:
        with open("/usr/share/debootstrap/scripts/%s" % suite):
            pass
    except OSError:
        return False
    return True


def apt_mirror():
    """The Debian mirror of this machine, read from its apt sources (never hard-coded)."""
    env = settings.env("MIRROR")
    if env:
        return env.rstrip("/")
    entries = apt_entries()
    mirror = pick_mirror(entries, debootstrap_script_exists)
    if mirror:
        return mirror
    raise LabError("no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/\n"
                   "  fix: add a `deb` source for Debian, or set XENLAB_MIRROR=<mirror URL>")


def xen_cmdline(accel="tcg"):
    """The lab's Xen command line for images booted under accel: under KVM without the emulation quirks."""
    if accel == "tcg":
        return XEN_CMDLINE
    return " ".join(opt for opt in XEN_CMDLINE.split() if opt not in TCG_ONLY_XEN_OPTIONS)


def image_key(dist, mirror, pubkey, accel="tcg"):
    """The image's cache key. The image for TCG keeps the key it had before KVM support (no "accel" field),
    so images already cached are found; an image for KVM has a Xen command line of its own and its own key."""
    fields = {"dist": dist, "packages": sorted(PACKAGES), "script": BUILD_SCRIPT_VERSION,
              "mirror": mirror, "xen": xen_cmdline(accel), "pubkey": pubkey.split()[1],
              "size": DISK_SIZE_MIB}
    if accel != "tcg":
        fields["accel"] = accel
    h = hashlib.sha256()
    h.update(json.dumps(fields, sort_keys=True).encode())
    return h.hexdigest()[:16]


def image_name(dist, key, accel="tcg"):
    return "xenlab-%s-%s%s.qcow2" % (dist, "" if accel == "tcg" else accel + "-", key)


def image_path(dist, accel="tcg"):
    """(path of the base image, key, mirror) for dist, booted under accel."""
    mirror = apt_mirror()
    with open(lab_key() + ".pub") as f:
        pub = f.read()
    key = image_key(dist, mirror, pub, accel)
    return os.path.join(cache_dir(), image_name(dist, key, accel)), key, mirror


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def configure_rootfs(root, dist, mirror, fs_uuid, pubkey, accel="tcg"):
    write(root + "/etc/hostname", "xenlab-%s\n" % dist)
    write(root + "/etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\txenlab-%s\n"
          "::1\tlocalhost ip6-localhost ip6-loopback\n" % dist)
    write(root + "/etc/fstab", "UUID=%s\t/\text4\terrors=remount-ro\t0\t1\n" % fs_uuid)
    write(root + "/etc/network/interfaces",
          "# xenguard lab: eth0 = control network (QEMU user networking, ssh forwarded by the host)\n"
          "# eth1 = guest network, deliberately left unconfigured (roles and tests configure it)\n"
          "source /etc/network/interfaces.d/*\n\n"
          "auto lo\niface lo inet loopback\n\n"
          "allow-hotplug eth0\niface eth0 inet dhcp\n")
    write(root + "/etc/apt/sources.list", "deb %s %s main\n" % (mirror, dist))
    os.makedirs(os.path.join(root, "root", ".ssh"), mode=0o700, exist_ok=True)
    write(os.path.join(root, "root", ".ssh", "authorized_keys"), pubkey, 0o600)
    # each instance gets its own machine-id on first boot
    write(root + "/etc/machine-id", "")
    # a getty on the Xen console (dom0 console=hvc0)
    wants = root + "/etc/systemd/system/getty.target.wants"
    os.makedirs(wants, exist_ok=True)
    link = wants + "/serial-getty@hvc0.service"
    if not os.path.lexists(link):
        os.symlink("/lib/systemd/system/serial-getty@.service", link)
    # GRUB on the serial console, short timeout, dom0 console on hvc0 under Xen
    grub_default = root + "/etc/default/grub"
    text = ""
    for candidate in (grub_default, root + "/usr/share/grub/default/grub"):
        if os.path.exists(candidate):
            with open(candidate) as f:
                text = f.read()
            break
    settings = {
        "GRUB_TIMEOUT": "1",
        "GRUB_CMDLINE_LINUX_DEFAULT": '""',
        "GRUB_CMDLINE_LINUX": '"%s"' % DOM0_CMDLINE_NATIVE,
        "GRUB_TERMINAL": '"console serial"',
        "GRUB_SERIAL_COMMAND": '"serial --unit=0 --speed=115200"',
        "GRUB_CMDLINE_LINUX_XEN_REPLACE": '"%s"' % DOM0_CMDLINE_XEN,
    }
    for k, v in settings.items():
        text, n = re.subn(r"(?m)^#?\s*%s=.*$" % k, "%s=%s" % (k, v), text)
        if not n:
            text += "%s=%s\n" % (k, v)
    write(grub_default, text)
    configure_xen_cfg(root, accel)
    # later grub-pc upgrades inside the lab know where GRUB lives
    subprocess.run(["chroot", root, "debconf-set-selections"], check=True, text=True,
                   input="grub-pc grub-pc/install_devices multiselect /dev/vda\n"
                         "grub-pc grub-pc/install_devices_empty boolean false\n")


def configure_xen_cfg(root, accel="tcg"):
    """The lab's Xen options in Debian's own /etc/default/grub.d/xen.cfg (with smap=0 only for TCG), and
    XEN_OVERRIDE_GRUB_DEFAULT=1 said explicitly."""
    xen_cfg = root + "/etc/default/grub.d/xen.cfg"
    text = open(xen_cfg).read() if os.path.exists(xen_cfg) else ""
    if accel == "tcg":
        line = ('# xenguard lab only: %s are quirks of software emulation (TCG), not hardening settings\n'
                'GRUB_CMDLINE_XEN_DEFAULT="%s"' % (" and ".join(TCG_ONLY_XEN_OPTIONS), XEN_CMDLINE))
    else:
        line = ('# xenguard lab only: serial console, dom0 memory, console ring and log levels of the lab, not hardening settings\n'
                'GRUB_CMDLINE_XEN_DEFAULT="%s"' % xen_cmdline(accel))
    text, n = re.subn(r'(?m)^#?GRUB_CMDLINE_XEN_DEFAULT=.*$', lambda m: line, text, count=1)
    if not n:
        text += "\n" + line + "\n"
    # Debian's default (boot Xen by default), said explicitly: silences a warning of grub-install
    text, n = re.subn(r'(?m)^#?XEN_OVERRIDE_GRUB_DEFAULT=.*$', "XEN_OVERRIDE_GRUB_DEFAULT=1", text, count=1)
    if not n:
        text = "XEN_OVERRIDE_GRUB_DEFAULT=1\n" + text
    write(xen_cfg, text)


def seed_grub(root, fs_uuid, accel="tcg"):
    """GRUB's modules, environment block and a first grub.cfg that boots Xen (update-grub replaces it)."""
    grubdir = root + "/boot/grub"
    os.makedirs(grubdir + "/i386-pc", exist_ok=True)
    for f in glob.glob(root + "/usr/lib/grub/i386-pc/*"):
        if os.path.isfile(f):
            shutil.copy2(f, grubdir + "/i386-pc/")
    run(["chroot", root, "grub-editenv", "/boot/grub/grubenv", "create"])
    run(["chroot", root, "grub-mkimage", "-O", "i386-pc", "-p", "(hd0,msdos1)/boot/grub",
         "-o", "/boot/grub/i386-pc/core.img", "biosdisk", "part_msdos", "ext2"])
    xen = sorted(p for p in glob.glob(root + "/boot/xen-*.gz"))
    kernels = sorted(glob.glob(root + "/boot/vmlinuz-*"))
    initrds = sorted(glob.glob(root + "/boot/initrd.img-*"))
    if not (xen and kernels and initrds):
        raise LabError("the rootfs lacks Xen, a kernel or an initrd in /boot: %s"
                       % os.listdir(root + "/boot"))

    def rel(path):
        return path[len(root):]
    write(grubdir + "/grub.cfg",
          "# first boot of the xenguard lab image; update-grub replaces this file\n"
          "serial --unit=0 --speed=115200\nterminal_input console serial\nterminal_output console serial\n"
          "set timeout=1\nset default=0\ninsmod part_msdos\ninsmod ext2\n"
          "search --no-floppy --fs-uuid --set=root %s\n"
          "menuentry 'Xen (lab first boot)' {\n"
          "  insmod multiboot2\n  insmod gzio\n"
          "  multiboot2 %s placeholder %s\n"
          "  module2 %s placeholder root=UUID=%s ro %s\n"
          "  module2 --nounzip %s\n}\n"
          % (fs_uuid, rel(xen[-1]), xen_cmdline(accel), rel(kernels[-1]), fs_uuid, DOM0_CMDLINE_XEN,
             rel(initrds[-1])))


def make_disk(root, raw, fs_uuid):
    if mounts_under(root):
        raise LabError("the rootfs still has mounts: %s" % " ".join(mounts_under(root)))
    with open(raw, "wb") as f:
        f.truncate(DISK_SIZE_MIB * 2 ** 20)
    subprocess.run(["sfdisk", "-q", raw], check=True, text=True,
                   input="label: dos\nstart=%d, type=83, bootable\n" % (PART_OFFSET // 512))
    fs_size_mib = DISK_SIZE_MIB - PART_OFFSET // 2 ** 20
    run(["mkfs.ext4", "-q", "-F", "-L", "xenlab-root", "-U", fs_uuid, "-E", "offset=%d" % PART_OFFSET,
         "-d", root, raw, "%dM" % fs_size_mib])
    # GRUB's boot sector (first 440 bytes: the partition table stays) and core image after the MBR
    with open(root + "/usr/lib/grub/i386-pc/boot.img", "rb") as f:
        boot = f.read()
    with open(root + "/boot/grub/i386-pc/core.img", "rb") as f:
        core = f.read()
    if len(core) > PART_OFFSET - 512:
        raise LabError("GRUB core image too large (%d bytes)" % len(core))
    # boot.img expects the core image at sector 1: that is the default of its kernel-sector field
    with open(raw, "r+b") as f:
        f.write(boot[:440])
        f.seek(512)
        f.write(core)


def mounts_under(path):
    path = os.path.realpath(path)
    found = []
    with open("/proc/self/mounts") as f:
        for line in f:
            mnt = line.split()[1].replace("\\040", " ")
            if mnt == path or mnt.startswith(path + "/"):
                found.append(mnt)
    return sorted(found, key=len, reverse=True)


def safe_rmtree(path):
    """rmtree that never descends into a mount (debootstrap mounts /proc and /sys in the rootfs)."""
    if not os.path.exists(path):
        return
    for mnt in mounts_under(path):
        subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL, check=False)
    left = mounts_under(path)
    if left:
        raise LabError("not removing %s: still mounted: %s\n  fix: umount -l %s"
                       % (path, " ".join(left), " ".join(left)))
    shutil.rmtree(path, ignore_errors=True)


def cmd_clean(args):
    """Remove cached images that no longer match the current key (and with --all, every image)."""
    keep = set()
    if not args.all:
        for dist in DISTS:
            for accel in ("tcg", "kvm"):
                keep.add(image_path(dist, accel)[0])
    in_use = set()
    for fd in glob.glob("/proc/[0-9]*/fd/*"):
        try:
            in_use.add(os.readlink(fd))
        except OSError:
            pass
    for p in glob.glob(os.path.join(cache_dir(), "xenlab-*.qcow2")):
        if p in in_use:
            log("keeping %s: a running VM uses it" % p)
            continue
        if p not in keep:
            log("removing %s" % p)
            os.unlink(p)
            if os.path.exists(p + ".json"):
                os.unlink(p + ".json")
    for p in glob.glob(os.path.join(cache_dir(), ".build-*")):
        try:
            with open(os.path.join(p, "lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            log("skipping %s: a build is running there" % p)
            continue
        log("removing leftover %s" % p)
        safe_rmtree(p)
    return 0
