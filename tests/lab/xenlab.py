# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The xenguard.hardening lab: a real Xen host (the distribution's own Xen) booted under QEMU.

Boot path: firmware -> GRUB on the disk -> Xen -> dom0, software emulation (TCG), so that what roles
change in /etc/default/grub.d/, /boot and GRUB's environment takes effect on reboot.

Subcommands:
  build    --dist D                      build (or find in the cache) the base image of a distribution
  up       --dist D --variant V --name N boot an instance on a copy-on-write overlay of the base image
  wait-ssh N                             wait until `xl info` answers over ssh
  reboot   N                             reboot through ssh, wait until the new boot answers
  ssh      N [-- cmd ...]                ssh into an instance as root
  down     --name N                      stop an instance (its own processes only) and remove its overlay
  status                                 list instances
  console  N                             print the tail of the serial console (Xen and dom0 messages)

Only the Python standard library is used. Run as root (debootstrap, chroot, namespaces).
"""

import argparse
import ctypes
import fcntl
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid

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

# Lab-only Xen options. `smap=0` is a quirk of software emulation (TCG with -cpu max): without it dom0
# dies at boot. It belongs to the lab image, never to a role default.
XEN_CMDLINE = ("console=com1 com1=115200,8n1 smap=0 dom0_mem=1024M,max:1024M "
               "loglvl=all guest_loglvl=all")
# What --default-loglvl removes: Xen then logs at its own defaults (loglvl=warning, guest_loglvl=none with
# rate limits), as a host with Debian's unchanged xen.cfg does.
LAB_LOGLVL_OPTIONS = ("loglvl=all", "guest_loglvl=all")
DOM0_CMDLINE_XEN = "console=hvc0 earlyprintk=xen net.ifnames=0"
DOM0_CMDLINE_NATIVE = "console=ttyS0,115200 net.ifnames=0"

DISK_SIZE_MIB = 8192          # virtual size; qcow2 stores only what is used (~1.2 GB)
PART_OFFSET = 1048576         # first partition at sector 2048
MEMORY = "3072M"
SMP = os.environ.get("XENLAB_SMP", "2")

VARIANTS = {
    # name: (machine, cpu, extra devices, description)
    "vtd-intremap": ("q35", "max", ["-device", "intel-iommu,intremap=on"],
                     "Intel VT-d with interrupt remapping"),
    "vtd-nointremap": ("q35", "max", ["-device", "intel-iommu,intremap=off"],
                       "Intel VT-d without interrupt remapping"),
    "amd-vi": ("q35", "max", ["-device", "amd-iommu,intremap=on"],
               "AMD-Vi with interrupt remapping"),
    "noiommu": ("pc", "max", [], "no IOMMU"),
    "nohvm": ("pc", "qemu64,-svm", [], "no IOMMU and a CPU without HVM (no SVM/VMX)"),
}

REQUIRED_TOOLS = {
    # binary: Debian package that provides it
    "qemu-system-x86_64": "qemu-system-x86",
    "qemu-img": "qemu-utils",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
}
BUILD_TOOLS = {
    "debootstrap": "debootstrap",
    "mkfs.ext4": "e2fsprogs",
    "sfdisk": "fdisk",
    "chroot": "coreutils",
}
TPM_TOOLS = {"swtpm": "swtpm"}
NETNS_TOOLS = {"ip": "iproute2"}

T0 = time.monotonic()
PROG = "python3 " + os.path.relpath(os.path.abspath(sys.argv[0])) if sys.argv[0].endswith(".py") else "xenlab.py"


class LabError(Exception):
    """An error with a message a person can act on (and usually the command that fixes it)."""


# --------------------------------------------------------------------------------------------- util

def log(msg, start=None):
    elapsed = time.monotonic() - (T0 if start is None else start)
    print("[xenlab %6.1fs] %s" % (elapsed, msg), flush=True)


def run(cmd, check=True, capture=False, env=None, timeout=None, quiet=False):
    if not quiet:
        print("  $ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    res = subprocess.run(cmd, env=env, timeout=timeout, text=True,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.PIPE if capture else None, check=False)
    if check and res.returncode != 0:
        detail = ""
        if capture:
            detail = "\n" + (res.stdout or "")[-2000:] + (res.stderr or "")[-2000:]
        raise LabError("command failed (rc=%d): %s%s" % (res.returncode, " ".join(cmd), detail))
    return res


def need_tools(tools):
    missing = sorted({pkg for binary, pkg in tools.items() if not find_bin(binary)})
    if missing:
        names = [b for b, p in tools.items() if p in missing]
        raise LabError("missing tools: %s\n  fix: apt-get install -y %s"
                       % (", ".join(names), " ".join(missing)))


def find_bin(binary):
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return shutil.which(binary, path=path)


def need_root():
    if os.geteuid() != 0:
        raise LabError("this needs root (debootstrap, chroot, network namespaces)\n"
                       "  fix: sudo python3 %s" % " ".join(shlex.quote(a) for a in sys.argv))


def need_free_disk(path, gib, what):
    os.makedirs(path, exist_ok=True)
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize / 2 ** 30
    if free < gib:
        raise LabError("%s needs %.0f GiB free in %s, only %.1f GiB free\n"
                       "  fix: free space there (e.g. `%s clean`) or point XENGUARD_LAB_CACHE / "
                       "--state-dir elsewhere" % (what, gib, path, free, PROG))


def need_free_memory(mib):
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        avail = int(info["MemAvailable"].split()[0]) // 1024
    except (OSError, KeyError, ValueError):
        return
    if avail < mib:
        raise LabError("a lab VM needs about %d MiB of free memory, %d MiB available\n"
                       "  fix: stop another lab VM (`%s status`, then `%s down --name NAME`)"
                       % (mib, avail, PROG, PROG))


def count_vms():
    """QEMU VMs running on this machine, matched by process name (comm is cut to 15 characters), so that
    shells and wrappers whose command lines merely mention QEMU are not counted."""
    res = subprocess.run(["pgrep", "-c", "-x", "qemu-system-x86"], stdout=subprocess.PIPE, text=True,
                         check=False)
    return int(res.stdout.strip() or "0")


def warn_vm_count():
    count = count_vms()
    if count >= 2:
        log("WARNING: %d QEMU VMs already run on this machine; more than two on 2 cores is slow" % count)


def wait_for_vm_slot():
    """At most XENLAB_MAX_VMS (default 2) QEMU VMs on this machine: wait for a free slot."""
    limit = int(os.environ.get("XENLAB_MAX_VMS", "2"))
    deadline = time.monotonic() + float(os.environ.get("XENLAB_SLOT_TIMEOUT", "1800"))
    last = 0
    begin = time.monotonic()
    while True:
        count = count_vms()
        if count < limit:
            return round(time.monotonic() - begin, 1)
        if time.monotonic() > deadline:
            raise LabError("%d QEMU VMs already run on this machine (XENLAB_MAX_VMS=%d)\n"
                           "  fix: stop one (`%s status`, `%s down --name NAME`) or wait"
                           % (count, limit, PROG, PROG))
        if time.monotonic() - last > 60:
            log("%d QEMU VMs run on this machine (limit %d): waiting for a free slot" % (count, limit))
            last = time.monotonic()
        time.sleep(10)


def cache_dir():
    d = os.environ.get("XENGUARD_LAB_CACHE") or \
        os.path.join(os.path.expanduser("~"), ".cache", "xenguard-lab")
    os.makedirs(d, exist_ok=True)
    return d


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def state_root(args):
    d = getattr(args, "state_dir", None) or os.environ.get("XENGUARD_LAB_STATE") or \
        os.path.join(repo_root(), "lab-state")
    return os.path.abspath(d)


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_port():
    for _attempt in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if 20000 <= port < 65000:
            return port
    return port


def pid_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return None


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def own_pid(pidfile, marker):
    """PID from pidfile if that process is alive and its command line carries marker."""
    pid = read_pid(pidfile)
    if not pid:
        return None
    argv = pid_cmdline(pid)
    if argv is None:
        return None
    if not any(marker in a for a in argv):
        log("PID %d from %s is no longer ours (%s); not touching it"
            % (pid, pidfile, " ".join(argv)[:120]))
        return None
    return pid


def kill_own(pidfile, marker, what, grace=15):
    pid = own_pid(pidfile, marker)
    if not pid:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and pid_cmdline(pid) is not None:
        time.sleep(0.3)
    if pid_cmdline(pid) is not None:
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
    log("stopped %s (PID %d)" % (what, pid))
    return True


# ----------------------------------------------------------------------------------- apt mirror

def apt_mirror():
    """The Debian mirror of this machine, read from its apt sources (never hard-coded)."""
    env = os.environ.get("XENLAB_MIRROR")
    if env:
        return env.rstrip("/")
    entries = []  # (uri, suites)
    files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")) + \
        sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
    for path in files:
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        if path.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields = {}
                key = None
                for line in stanza.splitlines():
                    if line.startswith("#") or not line.strip():
                        continue
                    if line[0] in " \t" and key:
                        fields[key] += " " + line.strip()
                        continue
                    if ":" in line:
                        key, val = line.split(":", 1)
                        key = key.strip().lower()
                        fields[key] = val.strip()
                if "deb" not in fields.get("types", "").split():
                    continue
                if fields.get("enabled", "yes").lower() == "no":
                    continue
                for uri in fields.get("uris", "").split():
                    entries.append((uri, fields.get("suites", "").split()))
        else:
            for line in text.splitlines():
                line = line.split("#", 1)[0].strip()
                m = re.match(r"deb\s+(\[[^\]]*\]\s+)?(\S+)\s+(\S+)", line)
                if m:
                    entries.append((m.group(2), [m.group(3)]))
    for uri, suites in entries:
        base = [s for s in suites if not re.search(r"-(security|updates|backports|proposed-updates)$", s)]
        if not uri.startswith(("http://", "https://", "file:/")) or not base:
            continue
        try:
            with open("/usr/share/debootstrap/scripts/%s" % base[0]):
                pass
        except OSError:
            continue
        if "security" in uri:
            continue
        return uri.rstrip("/")
    raise LabError("no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/\n"
                   "  fix: add a `deb` source for Debian, or set XENLAB_MIRROR=<mirror URL>")


# ---------------------------------------------------------------------------------------- build

def lab_key():
    """The lab ssh key pair, generated once in the cache."""
    key = os.path.join(cache_dir(), "lab_ed25519")
    if not os.path.exists(key):
        need_tools({"ssh-keygen": "openssh-client"})
        tmp = key + ".tmp%d" % os.getpid()
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "xenguard-lab", "-f", tmp])
        os.rename(tmp + ".pub", key + ".pub")
        os.rename(tmp, key)
    return key


def image_key(dist, mirror, pubkey):
    h = hashlib.sha256()
    h.update(json.dumps({"dist": dist, "packages": sorted(PACKAGES), "script": BUILD_SCRIPT_VERSION,
                         "mirror": mirror, "xen": XEN_CMDLINE, "pubkey": pubkey.split()[1],
                         "size": DISK_SIZE_MIB}, sort_keys=True).encode())
    return h.hexdigest()[:16]


def image_path(dist):
    """(path of the base image, key, mirror) for dist."""
    mirror = apt_mirror()
    with open(lab_key() + ".pub") as f:
        pub = f.read()
    key = image_key(dist, mirror, pub)
    return os.path.join(cache_dir(), "xenlab-%s-%s.qcow2" % (dist, key)), key, mirror


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def configure_rootfs(root, dist, mirror, fs_uuid, pubkey):
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
    os.makedirs(root + "/root/.ssh", mode=0o700, exist_ok=True)
    write(root + "/root/.ssh/authorized_keys", pubkey, 0o600)
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
    # lab-only Xen options in Debian's own xen.cfg
    xen_cfg = root + "/etc/default/grub.d/xen.cfg"
    text = open(xen_cfg).read() if os.path.exists(xen_cfg) else ""
    line = ('# xenguard lab only: smap=0 is a quirk of software emulation (TCG), not a hardening setting\n'
            'GRUB_CMDLINE_XEN_DEFAULT="%s"' % XEN_CMDLINE)
    text, n = re.subn(r'(?m)^#?GRUB_CMDLINE_XEN_DEFAULT=.*$', lambda m: line, text, count=1)
    if not n:
        text += "\n" + line + "\n"
    # Debian's default (boot Xen by default), said explicitly: silences a warning of grub-install
    text, n = re.subn(r'(?m)^#?XEN_OVERRIDE_GRUB_DEFAULT=.*$', "XEN_OVERRIDE_GRUB_DEFAULT=1", text, count=1)
    if not n:
        text = "XEN_OVERRIDE_GRUB_DEFAULT=1\n" + text
    write(xen_cfg, text)
    # later grub-pc upgrades inside the lab know where GRUB lives
    subprocess.run(["chroot", root, "debconf-set-selections"], check=True, text=True,
                   input="grub-pc grub-pc/install_devices multiselect /dev/vda\n"
                         "grub-pc grub-pc/install_devices_empty boolean false\n")


def seed_grub(root, fs_uuid):
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
          % (fs_uuid, rel(xen[-1]), XEN_CMDLINE, rel(kernels[-1]), fs_uuid, DOM0_CMDLINE_XEN,
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


def cmd_build(args):
    need_root()
    need_tools(dict(REQUIRED_TOOLS, **BUILD_TOOLS))
    dist = args.dist
    path, key, mirror = image_path(dist)
    if os.path.exists(path) and not args.force:
        log("cache hit: %s (dist %s, mirror %s)" % (path, dist, mirror))
        print(path)
        return 0
    need_free_disk(cache_dir(), 6, "building an image")
    need_free_memory(3500)
    warn_vm_count()
    start = time.monotonic()
    log("building %s image, key %s, mirror %s" % (dist, key, mirror), start)
    work = tempfile.mkdtemp(prefix=".build-%s-" % dist, dir=cache_dir())
    # held while the build runs: `clean` leaves locked build directories alone
    lock = open(os.path.join(work, "lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    inst = None
    try:
        root = os.path.join(work, "rootfs")
        log("step 1/6 debootstrap (minbase + %d packages)" % len(PACKAGES), start)
        cmd = ["debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES), dist, root, mirror]
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        with open(os.path.join(work, "debootstrap.log"), "w") as f:
            f.write(res.stdout)
        if res.returncode != 0:
            raise LabError("debootstrap failed (rc=%d); last lines:\n%s"
                           % (res.returncode, "\n".join(res.stdout.splitlines()[-25:])))
        log("step 2/6 configure the root filesystem", start)
        fs_uuid = str(uuid.uuid4())
        with open(lab_key() + ".pub") as f:
            pubkey = f.read()
        configure_rootfs(root, dist, mirror, fs_uuid, pubkey)
        seed_grub(root, fs_uuid)
        shutil.rmtree(root + "/var/cache/apt/archives", ignore_errors=True)
        os.makedirs(root + "/var/cache/apt/archives/partial", exist_ok=True)
        log("step 3/6 partitioned disk, mkfs.ext4 -d at offset %d, GRUB boot.img/core.img" % PART_OFFSET,
            start)
        raw = os.path.join(work, "disk.img")
        make_disk(root, raw, fs_uuid)
        safe_rmtree(root)
        log("step 4/6 first boot: grub-install /dev/vda && update-grub", start)
        inst = Instance(os.path.join(work, "firstboot"), "build-%s" % dist)
        inst.boot(raw, "raw", dist, "noiommu", port=pick_port(), tpm=False, guest_net="none",
                  build=True)
        inst.wait_ssh(float(os.environ.get("XENLAB_BOOT_TIMEOUT", "600")), start)
        inst.ssh(["set -e; grub-install /dev/vda; update-grub; apt-get clean"], check=True)
        # the generated grub.cfg must boot Xen with the lab's options by default
        cfg = inst.ssh(["cat /boot/grub/grub.cfg"], check=True, capture=True).stdout
        if not re.search(r"multiboot2\s+\S*xen\S*\s+placeholder\s.*smap=0", cfg):
            raise LabError("update-grub wrote no Xen entry with the lab's options:\n%s" % cfg[-3000:])
        if args.verify:
            log("step 5/6 reboot into the final GRUB configuration and check it", start)
            inst.reboot(float(os.environ.get("XENLAB_BOOT_TIMEOUT", "600")), start)
            out = inst.ssh(["xl info | grep -E '^(xen_version|xen_commandline)'; cat /proc/cmdline"],
                           check=True, capture=True).stdout
            print(out, end="")
            if "smap=0" not in out:
                raise LabError("the rebooted image does not run the lab's Xen command line")
        else:
            log("step 5/6 (skipped: --verify reboots once more into the final GRUB configuration)", start)
        inst.ssh(["fstrim -a >/dev/null 2>&1; sync"], check=False)
        inst.ssh(["systemctl poweroff"], check=False, capture=True)
        if not inst.wait_exit(300):
            raise LabError("the image did not power off within 300 s; not caching an unclean image")
        inst.stop()
        slot_wait = inst.state.get("slot_wait_seconds") or 0
        inst = None
        log("step 6/6 convert to qcow2 and publish in the cache", start)
        tmp_q = os.path.join(work, "base.qcow2")
        run(["qemu-img", "convert", "-O", "qcow2", raw, tmp_q])
        os.unlink(raw)
        os.chmod(tmp_q, 0o444)
        with open(path + ".json.tmp", "w") as f:
            json.dump({"dist": dist, "key": key, "mirror": mirror, "packages": PACKAGES,
                       "script_version": BUILD_SCRIPT_VERSION, "xen_cmdline": XEN_CMDLINE,
                       "fs_uuid": fs_uuid, "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "slot_wait_seconds": slot_wait,
                       "build_seconds": round(time.monotonic() - start - slot_wait, 1)}, f, indent=2)
        os.rename(tmp_q, path)
        os.rename(path + ".json.tmp", path + ".json")
        waited = " (+ %.0f s waiting for a VM slot)" % slot_wait if slot_wait else ""
        log("built %s in %.0f s%s" % (path, time.monotonic() - start - slot_wait, waited), start)
        print(path)
        return 0
    except BaseException:
        if inst is not None:
            inst.print_console_tail()
            inst.stop()
        for src in ("debootstrap.log", "firstboot/console.log"):
            if os.path.exists(os.path.join(work, src)):
                dst = os.path.join(cache_dir(), "last-failed-build-%s-%s" % (dist, src.replace("/", "-")))
                shutil.copy(os.path.join(work, src), dst)
                log("kept %s" % dst)
        raise
    finally:
        if os.path.exists(path + ".json.tmp"):
            os.unlink(path + ".json.tmp")
        safe_rmtree(work)
        lock.close()


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
            keep.add(image_path(dist)[0])
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


# ------------------------------------------------------------------------------------- instances

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def open_tap_in_netns(netns, tap):
    """Open tap device `tap` living in network namespace `netns`; returns the fd (QEMU gets it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/%s" % netns, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise LabError("setns into %s failed: %s" % (netns, os.strerror(ctypes.get_errno())))
        try:
            fd = os.open("/dev/net/tun", os.O_RDWR)
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI))
        finally:
            if libc.setns(own, CLONE_NEWNET) != 0:
                raise LabError("setns back failed: %s" % os.strerror(ctypes.get_errno()))
    finally:
        os.close(own)
        os.close(target)
    os.set_inheritable(fd, True)
    return fd


def qemu_argv(qemu, name, variant, disk, fmt, cache, port, guest_net, tap_fd, tpm_sock, console,
              qmp_sock, events_sock, pidfile, reset="power-cycle"):
    """QEMU's command line for a lab host (pure: no files are touched). A restore uses the very same
    device set, so only paths, the ssh port and the tap fd may differ between a saved and a restored host."""
    machine, cpu, devices, _desc = VARIANTS[variant]
    argv = [qemu, "-name", "xenlab-%s" % name,
            "-machine", "%s,accel=tcg" % machine, "-cpu", cpu, "-smp", SMP, "-m", MEMORY]
    argv += devices   # the IOMMU comes before the other PCI devices
    argv += ["-drive", "file=%s,format=%s,if=virtio,cache=%s,discard=unmap" % (disk, fmt, cache),
             "-boot", "c",
             "-netdev", "user,id=ctl,hostfwd=tcp:127.0.0.1:%d-:22" % port,
             # both NICs are e1000: one driver probes them in PCI order, so eth0 is always the
             # control NIC and eth1 the guest NIC (and e1000 can be passed through behind an IOMMU)
             "-device", "e1000,netdev=ctl,mac=52:54:00:12:34:01"]
    if guest_net.startswith("netns:"):
        argv += ["-netdev", "tap,id=guest,fd=%d" % tap_fd]
    elif guest_net == "isolated":
        # eth1 exists but its wire ends in an empty hub: nothing answers
        argv += ["-netdev", "hubport,id=guest,hubid=7"]
    elif guest_net != "none":
        raise LabError("unknown --guest-net %r (use isolated, none or netns:NAME[:TAP])" % guest_net)
    if guest_net != "none":
        argv += ["-device", "e1000,netdev=guest,mac=52:54:00:12:34:02"]
    if tpm_sock:
        argv += ["-chardev", "socket,id=chrtpm,path=" + tpm_sock,
                 "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0"]
    argv += ["-nodefaults", "-display", "none", "-vga", "none",
             # appended: the console of every boot of the host (power cycles restart QEMU) stays in one log
             "-chardev", "file,id=serial0,path=%s,append=on" % console, "-serial", "chardev:serial0",
             "-qmp", "unix:%s,server=on,wait=off" % qmp_sock,
             # the supervisor listens here and learns why QEMU stops (guest reset = power cycle)
             "-chardev", "socket,id=events,path=%s,server=off" % events_sock, "-mon", "chardev=events,mode=control",
             "-pidfile", pidfile]
    if reset == "power-cycle":
        # a reset of the guest (reboot, Xen's reboot after a panic) ends this QEMU: the supervisor starts
        # the same command again, as a server's BMC power-cycles it (a warm reset under emulation makes
        # Xen stall about a minute: "Platform timer appears to have unexpectedly wrapped")
        argv.insert(-2, "-no-reboot")
    elif reset != "warm":
        raise LabError("unknown reset %r (power-cycle or warm)" % reset)
    return argv


class Qmp:
    """A minimal QMP client (the QEMU Machine Protocol: one JSON object per line)."""

    def __init__(self, path=None, sock=None, timeout=30):
        if sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(path)
        self.sock = sock
        self.file = sock.makefile("rw")
        self.events = []
        greeting = self.read()
        if greeting is None or "QMP" not in greeting:
            raise LabError("no QMP greeting from QEMU: %r" % greeting)
        self.execute("qmp_capabilities")

    def read(self):
        line = self.file.readline()
        return json.loads(line) if line else None

    def execute(self, command, **arguments):
        self.file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            msg = self.read()
            if msg is None:
                raise LabError("QEMU closed QMP during %s" % command)
            if "event" in msg:
                self.events.append(msg)
                continue
            if "error" in msg:
                raise LabError("QMP %s: %s" % (command, msg["error"].get("desc")))
            return msg.get("return")

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


def start_swtpm(inst):
    if own_pid(inst.tpm_pidfile, inst.dir):
        return
    tpmdir = os.path.join(inst.dir, "tpm")
    os.makedirs(tpmdir, exist_ok=True)
    if os.path.exists(inst.tpm_sock):
        os.unlink(inst.tpm_sock)
    run(["swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + tpmdir,
         "--ctrl", "type=unixio,path=" + inst.tpm_sock, "--pid", "file=" + inst.tpm_pidfile,
         "--log", "file=%s,level=1" % os.path.join(inst.dir, "swtpm.log"),
         "--flags", "not-need-init", "--daemon"], quiet=True)
    for _attempt in range(50):
        if os.path.exists(inst.tpm_sock):
            break
        time.sleep(0.1)


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
    os.rename(tmp, path)


def cmd_supervise(args):
    """Run an instance's QEMU in the foreground; when the guest resets (a reboot, Xen's reboot after a
    panic) QEMU exits (-no-reboot) and this starts the same command again on the same disk, TPM state and
    NICs: a power cycle, as a server's BMC does it. Any other stop (power off, `down`) ends the supervisor."""
    inst = Instance(args.dir, os.path.basename(args.dir))
    argv = list(inst.state["qemu_argv"])
    incoming = inst.state.get("incoming")
    status = {"status": "starting", "qemu_starts": 0, "power_cycles": 0, "supervisor_pid": os.getpid()}
    qlog_path = os.path.join(inst.dir, "qemu.log")
    current = {}

    def stop_qemu(_signum, _frame):
        # `down` stops the supervisor first: take the QEMU it started along (also one that has not
        # written its PID file yet)
        proc = current.get("proc")
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop_qemu)
    while True:
        if inst.state.get("tpm"):
            start_swtpm(inst)
        if os.path.exists(inst.events_sock):
            os.unlink(inst.events_sock)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(inst.events_sock)
        srv.listen(1)
        srv.settimeout(0.2)
        run_argv = argv + (["-incoming", "exec:cat %s" % shlex.quote(os.path.join(incoming, "vmstate"))]
                           if incoming else [])
        with open(qlog_path, "a") as qlog:
            proc = subprocess.Popen(run_argv, stdin=subprocess.DEVNULL, stdout=qlog, stderr=qlog,
                                    close_fds=False)
        current["proc"] = proc
        status["qemu_starts"] += 1
        conn = None
        while conn is None and proc.poll() is None:
            try:
                conn, _addr = srv.accept()
            except socket.timeout:
                continue
        srv.close()
        reason = None
        if conn is not None:
            conn.settimeout(None)
            try:
                qmp = Qmp(sock=conn)
                status.update({"status": "running", "qemu_pid": proc.pid, "since": time.time()})
                write_json(inst.supervisor_status, status)
                while True:
                    msg = qmp.read()
                    if msg is None:
                        break
                    if msg.get("event") == "SHUTDOWN":
                        reason = msg.get("data", {}).get("reason")
            except (OSError, ValueError, LabError):
                pass
        rc = proc.wait()
        if reason == "guest-reset":
            status["power_cycles"] += 1
            status["status"] = "power cycle"
            status["last_power_cycle"] = time.time()
            write_json(inst.supervisor_status, status)
            print("[supervisor] guest reset: power cycle %d, starting QEMU again" % status["power_cycles"],
                  flush=True)
            incoming = None      # a power cycle boots from the disk
            continue
        status.update({"status": "stopped", "qemu_rc": rc, "reason": reason})
        write_json(inst.supervisor_status, status)
        print("[supervisor] QEMU ended (rc=%s, reason %s)" % (rc, reason), flush=True)
        return rc or 0


class Instance:
    def __init__(self, sdir, name):
        self.dir = os.path.abspath(sdir)
        self.name = name
        self.state_file = os.path.join(self.dir, "state.json")
        self.pidfile = os.path.join(self.dir, "qemu.pid")
        self.tpm_pidfile = os.path.join(self.dir, "swtpm.pid")
        self.tpm_sock = os.path.join(self.dir, "swtpm.sock")
        self.qmp_sock = os.path.join(self.dir, "qmp.sock")          # QMP server: migrate, cont, ...
        self.events_sock = os.path.join(self.dir, "events.sock")    # the supervisor's QMP listener
        self.supervisor_pidfile = os.path.join(self.dir, "supervisor.pid")
        self.supervisor_status = os.path.join(self.dir, "supervisor.json")
        self.console = os.path.join(self.dir, "console.log")
        self.state = {}
        if os.path.exists(self.state_file):
            with open(self.state_file) as f:
                self.state = json.load(f)

    # -- state
    def save(self):
        os.makedirs(self.dir, exist_ok=True)
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f, indent=2, sort_keys=True)
        os.rename(tmp, self.state_file)

    @property
    def qemu_pid(self):
        return own_pid(self.pidfile, self.pidfile)

    @property
    def port(self):
        return self.state["ssh_port"]

    def ssh_argv(self, extra=None):
        # No connection sharing: a master socket under the state directory can exceed the 107 bytes a
        # unix socket path may have (ssh then refuses every connection), and one inherited from the
        # user's ssh config could outlive a reboot of the lab host.
        return ["ssh", "-i", self.state["ssh_key"], "-p", str(self.port), "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
                "-o", "ControlMaster=no", "-o", "ControlPath=none",
                "-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=3"] + (extra or []) + \
            ["root@127.0.0.1"]

    def ssh(self, cmd, check=True, capture=False, timeout=300):
        res = subprocess.run(self.ssh_argv() + ["--"] + cmd, text=True, timeout=timeout,
                             stdout=subprocess.PIPE if capture else None,
                             stderr=subprocess.PIPE if capture else None, check=False)
        if check and res.returncode != 0:
            raise LabError("ssh command failed (rc=%d): %s\n%s" % (res.returncode, " ".join(cmd),
                                                                   (res.stderr or "")[-2000:]))
        return res

    # -- boot
    def boot(self, disk, fmt, dist, variant, port, tpm, guest_net, build=False, incoming=None,
             reset="power-cycle"):
        """Start QEMU under this instance's supervisor (see cmd_supervise). incoming: a saved VM state
        (snapshot directory) to restore instead of booting."""
        os.makedirs(self.dir, exist_ok=True)
        if not port_free(port):
            raise LabError("port 127.0.0.1:%d is in use\n  fix: choose another with --ssh-port, "
                           "or leave it out to get a free one (who holds it: ss -ltnp 'sport = :%d')"
                           % (port, port))
        self.state.update({"name": self.name, "dist": dist, "variant": variant, "ssh_port": port,
                           "ssh_key": lab_key(), "console_log": self.console, "disk": disk,
                           "state_dir": self.dir, "qemu_pidfile": self.pidfile, "tpm": bool(tpm),
                           "guest_net": guest_net, "started": time.time(), "reset": reset})
        pass_fds = []
        tap_fd = None
        if guest_net.startswith("netns:"):
            parts = guest_net.split(":")
            netns = parts[1]
            tap = parts[2] if len(parts) > 2 and parts[2] else ("xl" + self.name)[:15]
            need_tools(NETNS_TOOLS)
            if not os.path.exists("/run/netns/%s" % netns):
                # made here, removed by `down` of this instance; a namespace the test made stays its own
                run(["ip", "netns", "add", netns])
                self.state["created_netns"] = netns
                run(["ip", "-n", netns, "link", "set", "lo", "up"])
            exists = subprocess.run(["ip", "-n", netns, "link", "show", tap],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0
            if not exists:
                run(["ip", "-n", netns, "tuntap", "add", "dev", tap, "mode", "tap"])
                self.state["created_tap"] = [netns, tap]
            run(["ip", "-n", netns, "link", "set", tap, "up"])
            # the supervisor keeps this fd open and hands the same tap to every QEMU it starts
            tap_fd = open_tap_in_netns(netns, tap)
            pass_fds.append(tap_fd)
            self.state["guest_tap"] = [netns, tap]
        if tpm:
            need_tools(TPM_TOOLS)
        argv = qemu_argv(find_bin("qemu-system-x86_64"), self.name, variant, disk, fmt,
                         "writeback" if build else "unsafe", port, guest_net, tap_fd,
                         self.tpm_sock if tpm else None, self.console, self.qmp_sock, self.events_sock,
                         self.pidfile, reset)
        self.state["qemu_argv"] = argv
        self.state["reset"] = reset
        self.state["incoming"] = incoming
        self.save()
        self.state["slot_wait_seconds"] = wait_for_vm_slot()
        self.save()
        for f in (self.supervisor_status, os.path.join(self.dir, "qemu.log")):
            if os.path.exists(f):
                os.unlink(f)
        with open(os.path.join(self.dir, "supervisor.log"), "a") as slog:
            proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "_supervise", self.dir],
                                    stdin=subprocess.DEVNULL, stdout=slog, stderr=slog, pass_fds=pass_fds,
                                    start_new_session=True)
        for fd in pass_fds:
            os.close(fd)
        with open(self.supervisor_pidfile, "w") as f:
            f.write("%d\n" % proc.pid)
        # wait until QEMU runs (its QMP greeting reached the supervisor) or the supervisor gave up
        deadline = time.monotonic() + 120
        while True:
            status = self.supervisor_state()
            if status.get("status") == "running":
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                err = ""
                if os.path.exists(os.path.join(self.dir, "qemu.log")):
                    with open(os.path.join(self.dir, "qemu.log")) as f:
                        err = f.read().strip()
                self.stop()
                if "hostfwd" in err or "host forwarding" in err:
                    raise LabError("QEMU could not forward 127.0.0.1:%d: %s\n  fix: choose another --ssh-port"
                                   % (port, err))
                raise LabError("QEMU did not start (supervisor rc=%s): %s\n  (see %s)"
                               % (proc.poll(), err or status, os.path.join(self.dir, "supervisor.log")))
            time.sleep(0.05)
        self.state["pid"] = read_pid(self.pidfile)
        self.save()
        log("QEMU started: PID %s, %s (%s), ssh 127.0.0.1:%d, console %s%s"
            % (self.state["pid"], variant, VARIANTS[variant][3], port, self.console,
               ", restoring %s" % incoming if incoming else ""))

    def supervisor_state(self):
        try:
            with open(self.supervisor_status) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    @property
    def supervisor_pid(self):
        return own_pid(self.supervisor_pidfile, self.dir)

    @property
    def alive(self):
        """QEMU runs, or its supervisor does (between the two QEMU processes of a power cycle)."""
        return self.qemu_pid or self.supervisor_pid

    def boot_stage(self):
        try:
            with open(self.console, "rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - 65536))
                tail = f.read().decode(errors="replace")
        except OSError:
            return "no console output yet", ""
        if "GNU GRUB" in tail:      # only the current boot counts
            tail = tail[tail.rfind("GNU GRUB"):]
        lines = [ln.strip() for ln in tail.replace("\r", "\n").split("\n") if ln.strip()]
        stage = "firmware"
        for marker, name in (("GRUB", "GRUB"), ("Booting", "GRUB"), ("(XEN)", "Xen"),
                             ("Linux version", "dom0 kernel"), ("[    ", "dom0 kernel"),
                             ("systemd", "dom0 userspace"), ("Welcome to", "dom0 userspace"),
                             ("login:", "login prompt")):
            if marker in tail:
                stage = name
        last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", lines[-1])[:100] if lines else ""
        return stage, last

    def wait_ssh(self, timeout, start=None, reboot=False, old_boot_id=None):
        begin = time.monotonic()
        last_report = begin
        if start is None:
            start = begin
        while True:
            now = time.monotonic()
            if not self.alive:
                self.print_console_tail()
                raise LabError("QEMU of %s is no longer running (see the console above and %s)"
                               % (self.name, os.path.join(self.dir, "qemu.log")))
            res = subprocess.run(self.ssh_argv(["-o", "ConnectTimeout=5"]) +
                                 ["cat /proc/sys/kernel/random/boot_id && xl info"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
            boot_id = res.stdout.split("\n", 1)[0].strip()
            local = local_ssh_error(res.returncode, res.stderr)
            if local:
                raise LabError("%s: ssh itself fails here, waiting will not help: %s" % (self.name, local))
            if res.returncode == 0 and "xen_version" in res.stdout and boot_id != old_boot_id:
                self.state["boot_id"] = boot_id
                secs = round(time.monotonic() - begin, 1)
                self.state["last_boot_to_ssh_seconds"] = secs
                if self.state.get("boots") is not None:
                    self.state["boots"].append(secs)
                self.save()
                if self.state.get("loglvl_pending"):
                    self.state.pop("loglvl_pending")
                    self.to_default_loglvl(timeout)
                if self.state.get("restore_pending"):
                    self.after_restore()
                    self.state.pop("restore_pending")
                    how = " (restored)"
                elif self.state.get("snapshot_save") and not reboot:
                    self.save_snapshot(self.state.pop("snapshot_save"))
                    how = ""
                else:
                    how = " (reboot)" if reboot else ""
                if self.state.get("up_started_monotonic") and not reboot:
                    self.state["up_to_ssh_seconds"] = round(
                        time.monotonic() - self.state.pop("up_started_monotonic"), 1)
                    how += ", %.1f s after `up` began" % self.state["up_to_ssh_seconds"]
                self.save()
                log("%s: ssh and `xl info` answer after %.1f s%s" % (self.name, secs, how), start)
                return secs
            if now - begin > timeout:
                self.print_console_tail()
                raise LabError("%s: no ssh / `xl info` within %.0f s (XENLAB_BOOT_TIMEOUT raises it); "
                               "ssh said: %s" % (self.name, timeout, res.stderr.strip()[-300:]))
            if now - last_report >= 15:
                stage, line = self.boot_stage()
                log("%s: waiting for ssh, %.0f s, stage: %s | %s"
                    % (self.name, now - begin, stage, line), start)
                last_report = now
            time.sleep(0.5 if self.state.get("restore_pending") else 3)

    def to_default_loglvl(self, timeout):
        """Boot Xen with its default log levels: drop the lab's loglvl options from xen.cfg, update-grub,
        reboot (once; a snapshot of the host keeps it that way)."""
        sed = "; ".join("s/ *%s//" % opt for opt in LAB_LOGLVL_OPTIONS)
        self.ssh(["set -e; sed -i -E '/^GRUB_CMDLINE_XEN_DEFAULT=/{%s}' /etc/default/grub.d/xen.cfg; "
                  "update-grub 2>/dev/null" % sed], check=True, capture=True)
        log("%s: Xen's loglvl options removed from xen.cfg; rebooting into Xen's default log levels" % self.name)
        self.reboot(timeout)
        line = self.ssh(["xl info | grep ^xen_commandline"], check=True, capture=True).stdout
        if "loglvl" in line:
            raise LabError("%s: Xen still runs with a loglvl option: %s" % (self.name, line.strip()))
        log("%s: %s" % (self.name, " ".join(line.split())))

    def set_clock(self):
        """Set dom0's wall clock to this machine's (a restored or paused host's clock stood still while it
        was saved). Linux as Xen's dom0 passes a set clock on to Xen's wall clock (what new domains get).
        Random bytes from this machine are mixed into dom0's entropy pool as well: hosts restored from one
        snapshot would otherwise share the state of their random number generator."""
        # the time is sent only once the remote shell runs (after "ready"): ssh's own start-up under
        # emulation takes seconds and must not count
        script = ('echo ready; read t; read r; date -u -s "@$t" >/dev/null && d=$(date -u +%s.%N) && '
                  '{ hwclock --systohc --utc 2>/dev/null; echo "$r" > /dev/urandom; echo "$d"; }')
        proc = subprocess.Popen(self.ssh_argv() + ["--", script], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            ready = proc.stdout.readline()
            sent = time.time()
            if ready.strip() == "ready":
                sent = time.time()
                proc.stdin.write("%.6f\n%s\n" % (sent, os.urandom(256).hex()))
                proc.stdin.flush()
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        if proc.returncode != 0:
            raise LabError("%s: could not set the clock: %s" % (self.name, err[-500:]))
        try:
            # dom0's clock read right after setting it, against the time sent: an upper bound of the skew
            skew = float(out.split()[-1]) - sent
        except (ValueError, IndexError):
            skew = None
        self.state["clock_skew_after_set"] = None if skew is None else round(skew, 3)
        return skew

    def after_restore(self):
        skew = self.set_clock()
        log("%s: restored host: clock set (dom0 %+.2f s from this machine), entropy mixed in"
            % (self.name, skew or 0.0))

    def save_snapshot(self, snap):
        """Save this booted host: QEMU's migration stream to a file, and a copy of the disk overlay taken
        while the VM is stopped (the state refers to exactly that disk), then let the host run on."""
        parent = os.path.dirname(snap)
        os.makedirs(parent, exist_ok=True)
        lock = open(snap + ".lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            log("%s: another lab host is saving %s; not saving this one" % (self.name, snap))
            lock.close()
            return
        begin = time.monotonic()
        tmp = None
        qmp = None
        try:
            if os.path.exists(os.path.join(snap, "meta.json")):
                return
            tmp = tempfile.mkdtemp(prefix=".tmp-", dir=parent)
            qmp = Qmp(self.qmp_sock)
            qmp.execute("migrate", uri="exec:cat > %s" % shlex.quote(os.path.join(tmp, "vmstate")))
            deadline = time.monotonic() + 300
            while True:
                info = qmp.execute("query-migrate")
                if info.get("status") == "completed":
                    break
                if info.get("status") in ("failed", "cancelled") or time.monotonic() > deadline:
                    raise LabError("saving the VM state failed: %s" % info)
                time.sleep(0.2)
            saved = time.monotonic() - begin
            # stopped (post-migrate) and its disk flushed: this copy is the disk the state refers to
            shutil.copyfile(self.state["disk"], os.path.join(tmp, "disk.qcow2"))
            qmp.execute("cont")
            paused = time.monotonic() - begin
            shutil.copyfile(self.console, os.path.join(tmp, "console.log"))
            size = os.path.getsize(os.path.join(tmp, "vmstate"))
            for f in ("vmstate", "disk.qcow2", "console.log"):
                os.chmod(os.path.join(tmp, f), 0o444)
            write_json(os.path.join(tmp, "meta.json"), {
                "dist": self.state["dist"], "variant": self.state["variant"], "tpm": self.state["tpm"],
                "guest_net": guest_net_kind(self.state["guest_net"]),
                "base_image": self.state.get("base_image"), "qemu": qemu_version(),
                "vmstate_bytes": size, "save_seconds": round(saved, 1), "paused_seconds": round(paused, 1),
                "boot_to_ssh_seconds": self.state.get("last_boot_to_ssh_seconds"),
                "saved": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "from_instance": self.name})
            os.rename(tmp, snap)
            tmp = None
            self.set_clock()
            log("%s: saved the booted host as %s (%.0f MB, %.1f s, host paused %.1f s)"
                % (self.name, snap, size / 1e6, saved, paused))
        except (LabError, OSError) as e:
            log("%s: WARNING: not saved as a snapshot (%s); the host runs on" % (self.name, e))
            if qmp is not None:
                try:
                    if qmp.execute("query-status").get("status") != "running":
                        qmp.execute("cont")
                except LabError:
                    pass
        finally:
            if qmp is not None:
                qmp.close()
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
            lock.close()

    def reboot(self, timeout, start=None):
        """Reboot through ssh and wait until the new boot answers; returns seconds to ssh."""
        old = self.state.get("boot_id") or self.ssh(["cat /proc/sys/kernel/random/boot_id"],
                                                    capture=True).stdout.strip()
        begin = time.monotonic()
        self.ssh(["systemctl reboot"], check=False, capture=True, timeout=60)
        self.wait_ssh(timeout, start, reboot=True, old_boot_id=old)
        secs = round(time.monotonic() - begin, 1)
        self.state["last_reboot_to_ssh_seconds"] = secs
        self.save()
        return secs

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                return True
            time.sleep(1)
        return False

    def print_console_tail(self, n=40):
        print("----- last %d lines of the serial console %s -----" % (n, self.console))
        try:
            with open(self.console, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 200000))
                text = f.read().decode(errors="replace").replace("\r", "")
            print("\n".join(text.splitlines()[-n:]))
        except OSError:
            print("(no console log)")
        print("----- end of console -----", flush=True)

    def stop(self):
        # the supervisor first: it would otherwise start QEMU again
        kill_own(self.supervisor_pidfile, self.dir, "supervisor of %s" % self.name, grace=15)
        stopped = kill_own(self.pidfile, self.pidfile, "QEMU of %s" % self.name)
        kill_own(self.tpm_pidfile, self.dir, "swtpm of %s" % self.name, grace=5)
        created = self.state.get("created_tap")
        if created and os.path.exists("/run/netns/%s" % created[0]):
            subprocess.run(["ip", "-n", created[0], "link", "del", created[1]],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        netns = self.state.get("created_netns")
        if netns and os.path.exists("/run/netns/%s" % netns):
            subprocess.run(["ip", "netns", "del", netns],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        return stopped


def instance(args, name=None):
    name = name or args.name
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$", name or ""):
        raise LabError("invalid instance name %r (letters, digits, . _ -)" % name)
    return Instance(os.path.join(state_root(args), name), name)


SNAPSHOT_VERSION = "1"


def qemu_version():
    res = subprocess.run([find_bin("qemu-system-x86_64") or "qemu-system-x86_64", "--version"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False)
    return (res.stdout.splitlines() or ["unknown"])[0].strip()


def guest_net_kind(guest_net):
    """isolated | none | netns: the wire the saved host had (the namespace's name is not part of the state)."""
    return guest_net.split(":", 1)[0]


def snapshot_blocker(variant, tpm):
    """Why a host of this kind is not saved and restored (None: it can be). Checked on QEMU 7.2."""
    if "amd-iommu" in " ".join(VARIANTS[variant][2]):
        return "QEMU cannot save a VM with an AMD IOMMU (\"State blocked by non-migratable device 'amd-iommu'\")"
    if tpm:
        return ("QEMU can save the TPM emulator's state, but every host restored from it would have the same "
                "TPM (its seeds and endorsement key), which no two servers have")
    return None


def snapshot_key(image_id, variant, tpm, guest_net, qemu_ver, default_loglvl=False):
    """Key of a booted-host snapshot: the image (its key and its build), the QEMU device set and QEMU."""
    h = hashlib.sha256()
    h.update(json.dumps({"image": image_id, "variant": variant, "machine": list(VARIANTS[variant][:3]),
                         "tpm": bool(tpm), "guest_net": guest_net_kind(guest_net), "memory": MEMORY,
                         "smp": SMP, "qemu": qemu_ver, "version": SNAPSHOT_VERSION,
                         "default_loglvl": bool(default_loglvl)},
                        sort_keys=True).encode())
    return h.hexdigest()[:16]


def snapshot_path(dist, image, variant, tpm, guest_net, default_loglvl=False):
    """Directory of the snapshot of a booted host: vmstate (QEMU's migration stream), disk.qcow2 (the
    overlay at that moment, backed by the image), console.log, meta.json (written last)."""
    try:
        with open(image + ".json") as f:
            build_id = json.load(f).get("fs_uuid", "")
    except (OSError, ValueError):
        build_id = ""
    key = snapshot_key(os.path.basename(image) + ":" + build_id, variant, tpm, guest_net, qemu_version(),
                       default_loglvl)
    return os.path.join(cache_dir(), "snapshots", "xenlab-%s-%s-%s-%s%s%s"
                        % (dist, variant, guest_net_kind(guest_net), "tpm-" if tpm else "",
                           "default-loglvl-" if default_loglvl else "", key))


def cmd_up(args):
    need_tools(REQUIRED_TOOLS)
    t_up = time.monotonic()
    inst = instance(args)
    if inst.alive:
        raise LabError("instance %s already runs (PID %d)\n  fix: %s down --name %s"
                       % (inst.name, inst.alive, PROG, inst.name))
    path = image_path(args.dist)[0]
    if not os.path.exists(path):
        if args.no_build:
            raise LabError("no %s image in the cache\n  fix: %s build --dist %s"
                           % (args.dist, PROG, args.dist))
        log("no cached %s image yet: building it" % args.dist)
        cmd_build(argparse.Namespace(dist=args.dist, force=False, verify=False))
    need_free_disk(state_root(args), 2, "an instance overlay")
    need_free_memory(3500)
    warn_vm_count()
    if os.path.isdir(inst.dir):
        inst.stop()     # leftovers of an earlier run (e.g. its swtpm)
        shutil.rmtree(inst.dir)
    os.makedirs(inst.dir)
    inst.state = {"boots": []}
    snap = snapshot_path(args.dist, path, args.variant, args.tpm, args.guest_net, args.default_loglvl)
    blocker = "--no-snapshot" if args.no_snapshot else snapshot_blocker(args.variant, args.tpm)
    incoming = None
    backing = path
    if blocker:
        log("%s: cold boot (no snapshot for %s%s: %s)"
            % (inst.name, args.variant, " with TPM" if args.tpm else "", blocker))
    elif os.path.exists(os.path.join(snap, "meta.json")):
        incoming = snap
        backing = os.path.join(snap, "disk.qcow2")
        shutil.copyfile(os.path.join(snap, "console.log"), inst.console)
        inst.state.update({"restored_from": snap, "restore_pending": True})
        log("%s: restoring the booted host saved in %s" % (inst.name, snap))
    else:
        inst.state["snapshot_save"] = snap
        log("%s: cold boot; once it answers it is saved as %s (later `up`s restore it; --no-snapshot boots cold)"
            % (inst.name, snap))
    inst.state["default_loglvl"] = bool(args.default_loglvl)
    if args.default_loglvl and not incoming:
        inst.state["loglvl_pending"] = True     # wait_ssh reboots it into Xen's default log levels
    overlay = os.path.join(inst.dir, "disk.qcow2")
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", backing, overlay], quiet=True)
    port = args.ssh_port or pick_port()
    try:
        inst.boot(overlay, "qcow2", args.dist, args.variant, port, args.tpm, args.guest_net, incoming=incoming,
                  reset=args.reset)
        inst.state["base_image"] = path
        inst.state["up_started_monotonic"] = t_up
        inst.save()
        if not args.no_wait:
            inst.wait_ssh(args.timeout)
    except BaseException:
        inst.stop()
        raise
    keys = ("name", "dist", "variant", "ssh_port", "ssh_key", "console_log", "pid")
    print(json.dumps({k: inst.state[k] for k in keys}))
    return 0


# ssh's own errors on this machine (exit 255 before any connection): a bad option, a control socket path
# longer than a unix socket allows, an unreadable key. Waiting for the host cannot cure them.
LOCAL_SSH_ERRORS = re.compile(
    r"(Bad configuration option|command-line: line \d+|too long for Unix domain socket|"
    r"Identity file \S+ not accessible|Load key .*: (bad permissions|invalid format)|"
    r"UNPROTECTED PRIVATE KEY FILE|Bad port|garbage at end of line|Unsupported option).*")


def local_ssh_error(returncode, stderr):
    """The line of a local ssh error in stderr (None when ssh failed for a reason a wait can cure)."""
    if returncode != 255:
        return None
    m = LOCAL_SSH_ERRORS.search(stderr or "")
    return m.group(0).strip() if m else None


def cmd_wait_ssh(args):
    inst = instance(args)
    if not inst.state:
        raise LabError("no instance %s in %s" % (inst.name, state_root(args)))
    inst.wait_ssh(args.timeout, reboot=args.reboot)
    return 0


def cmd_reboot(args):
    inst = instance(args)
    if not inst.alive:
        raise LabError("instance %s does not run" % inst.name)
    secs = inst.reboot(args.timeout)
    print(json.dumps({"name": inst.name, "reboot_to_ssh_seconds": secs}))
    return 0


def split_ssh_args(rest):
    """`ssh NAME [--state-dir DIR] [--] cmd ...`: xenlab's own options may follow NAME too; the remote
    command starts after `--` or at the first word that is not one of them. Returns (state_dir, cmd)."""
    state_dir = None
    rest = list(rest)
    while rest:
        if rest[0] == "--state-dir" and len(rest) > 1:
            state_dir = rest[1]
            rest = rest[2:]
        elif rest[0].startswith("--state-dir="):
            state_dir = rest[0].split("=", 1)[1]
            rest = rest[1:]
        else:
            break
    if rest and rest[0] == "--":
        rest = rest[1:]
    return state_dir, rest


def cmd_ssh(args):
    state_dir, cmd = split_ssh_args(args.cmd)
    if state_dir:
        args.state_dir = state_dir
    inst = instance(args)
    if not inst.state:
        raise LabError("no instance %s in %s" % (inst.name, state_root(args)))
    argv = inst.ssh_argv(["-t"] if not cmd and sys.stdin.isatty() else [])
    os.execvp("ssh", argv + cmd)


def cmd_down(args):
    if args.all:
        names = sorted(os.path.basename(os.path.dirname(p))
                       for p in glob.glob(os.path.join(state_root(args), "*", "state.json")))
        if not names:
            log("no instances in %s (nothing to do)" % state_root(args))
        for name in names:
            down_one(args, name)
        return 0
    if not args.name:
        raise LabError("down needs --name NAME or --all")
    return down_one(args, args.name)


def down_one(args, name):
    inst = instance(args, name)
    if not os.path.isdir(inst.dir):
        log("no instance %s (nothing to do)" % inst.name)
        return 0
    if inst.alive and args.graceful:
        try:
            inst.ssh(["systemctl poweroff"], check=False, timeout=30)
            inst.wait_exit(60)
        except subprocess.TimeoutExpired:
            pass
    if not inst.stop():
        log("QEMU of %s was not running" % inst.name)
    if args.keep_logs:
        for f in os.listdir(inst.dir):
            if f not in ("console.log", "qemu.log", "state.json", "swtpm.log"):
                p = os.path.join(inst.dir, f)
                shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
    else:
        shutil.rmtree(inst.dir, ignore_errors=True)
    log("instance %s is down" % inst.name)
    return 0


def cmd_status(args):
    root = state_root(args)
    rows = []
    for sdir in sorted(glob.glob(os.path.join(root, "*", "state.json"))):
        inst = Instance(os.path.dirname(sdir), os.path.basename(os.path.dirname(sdir)))
        pid = inst.qemu_pid
        rows.append((inst.name, inst.state.get("dist", "?"), inst.state.get("variant", "?"),
                     str(inst.state.get("ssh_port", "?")), "running (PID %d)" % pid if pid else "stopped",
                     inst.console))
    if args.json:
        print(json.dumps([dict(zip(("name", "dist", "variant", "ssh_port", "status", "console"), r))
                          for r in rows], indent=2))
        return 0
    print("state dir: %s" % root)
    for dist in DISTS:
        try:
            p = image_path(dist)[0]
            print("image %-8s %s %s" % (dist, p, "(cached)" if os.path.exists(p) else "(not built)"))
        except LabError as e:
            print("image %-8s %s" % (dist, e))
    if not rows:
        print("no instances")
    for r in rows:
        print("%-20s %-8s %-15s port %-6s %-22s %s" % r)
    return 0


def cmd_console(args):
    inst = instance(args)
    if args.follow:
        os.execvp("tail", ["tail", "-n", str(args.lines), "-f", inst.console])
    inst.print_console_tail(args.lines)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="xenlab.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = p.add_subparsers(dest="command", required=True)

    def add_state(sp):
        sp.add_argument("--state-dir", help="directory of instance states (default $XENGUARD_LAB_STATE "
                                            "or lab-state/ in the repository)")

    b = sub.add_parser("build", help="build or find the cached base image")
    b.add_argument("--dist", required=True, choices=sorted(DISTS))
    b.add_argument("--force", action="store_true", help="rebuild even when cached")
    b.add_argument("--verify", action="store_true", default=os.environ.get("XENLAB_VERIFY_BUILD") == "1",
                   help="reboot the new image once more before caching it (about 2 minutes; "
                        "XENLAB_VERIFY_BUILD=1)")
    b.set_defaults(func=cmd_build)

    c = sub.add_parser("clean", help="remove stale cached images and leftover build directories")
    c.add_argument("--all", action="store_true", help="remove every cached image")
    c.set_defaults(func=cmd_clean)

    boot_timeout = float(os.environ.get("XENLAB_BOOT_TIMEOUT", "600"))
    u = sub.add_parser("up", help="boot an instance")
    u.add_argument("--dist", required=True, choices=sorted(DISTS))
    u.add_argument("--variant", required=True, choices=sorted(VARIANTS))
    u.add_argument("--name", required=True)
    u.add_argument("--ssh-port", type=int)
    u.add_argument("--tpm", action="store_true", help="a TPM 2.0 (swtpm, tpm-tis)")
    u.add_argument("--guest-net", default="isolated",
                   help="second NIC (eth1): isolated (default, no peer), none, or netns:NS[:TAP] "
                        "(a tap device inside network namespace NS; made, and removed by down, when it does not exist)")
    u.add_argument("--timeout", type=float, default=boot_timeout)
    u.add_argument("--no-wait", action="store_true")
    u.add_argument("--no-build", action="store_true", help="fail instead of building a missing image")
    u.add_argument("--reset", choices=["power-cycle", "warm"],
                   default=os.environ.get("XENLAB_RESET", "power-cycle"),
                   help="what a reboot of the host does: power-cycle (default: QEMU ends and starts again on "
                        "the same disk, TPM state and NICs, as a BMC does) or warm (QEMU resets the machine; "
                        "Xen then stalls about a minute under emulation); XENLAB_RESET")
    u.add_argument("--default-loglvl", action="store_true",
                   help="Xen with its default log levels (the lab's loglvl=all guest_loglvl=all removed): "
                        "the first up reboots once for it, its snapshot keeps it")
    u.add_argument("--no-snapshot", action="store_true",
                   default=os.environ.get("XENLAB_NO_SNAPSHOT") == "1",
                   help="boot cold instead of restoring a saved booted host, and save none (XENLAB_NO_SNAPSHOT=1)")
    add_state(u)
    u.set_defaults(func=cmd_up)

    w = sub.add_parser("wait-ssh", help="wait until `xl info` answers over ssh")
    w.add_argument("name")
    w.add_argument("--timeout", type=float, default=boot_timeout)
    w.add_argument("--reboot", action="store_true", help=argparse.SUPPRESS)
    add_state(w)
    w.set_defaults(func=cmd_wait_ssh)

    r = sub.add_parser("reboot", help="reboot an instance through ssh and wait until it answers again")
    r.add_argument("name")
    r.add_argument("--timeout", type=float, default=boot_timeout)
    add_state(r)
    r.set_defaults(func=cmd_reboot)

    s = sub.add_parser("ssh", help="ssh into an instance: ssh NAME [-- cmd ...]")
    s.add_argument("name")
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    add_state(s)
    s.set_defaults(func=cmd_ssh)

    d = sub.add_parser("down", help="stop an instance and remove its overlay")
    d.add_argument("--name")
    d.add_argument("--all", action="store_true", help="every instance in the state dir")
    d.add_argument("--graceful", action="store_true", help="power off through ssh first")
    d.add_argument("--keep-logs", action="store_true", help="keep console.log and state.json")
    add_state(d)
    d.set_defaults(func=cmd_down)

    sv = sub.add_parser("_supervise", help=argparse.SUPPRESS)
    sv.add_argument("dir")
    sv.set_defaults(func=cmd_supervise)

    st = sub.add_parser("status", help="list images and instances")
    st.add_argument("--json", action="store_true")
    add_state(st)
    st.set_defaults(func=cmd_status)

    co = sub.add_parser("console", help="tail of the serial console")
    co.add_argument("name")
    co.add_argument("-n", "--lines", type=int, default=40)
    co.add_argument("-f", "--follow", action="store_true")
    add_state(co)
    co.set_defaults(func=cmd_console)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except LabError as e:
        print("xenlab: error: %s" % e, file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print("xenlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
