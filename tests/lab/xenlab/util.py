# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every part of the lab uses: logging, commands, tools and root, free disk and memory, the VM slot
limit, the cache and state directories, ports, and processes known by PID file."""

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

from . import settings
from .errors import LabError

# the script every caller runs (tests/lab/xenlab.py); the supervisor of an instance is started through it
ENTRY_SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "xenlab.py")

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
                       "  fix: free space there (e.g. `%s clean`) or point XENLAB_CACHE / "
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
    limit = settings.number("MAX_VMS", cast=int)
    deadline = time.monotonic() + settings.number("SLOT_TIMEOUT")
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
    d = settings.env("CACHE") or \
        os.path.join(os.path.expanduser("~"), ".cache", "xenguard-lab")
    os.makedirs(d, exist_ok=True)
    return d


def repo_root():
    """The repository: tests/lab/xenlab/ is three levels below it."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def state_root(args):
    d = getattr(args, "state_dir", None) or settings.env("STATE") or \
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


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
    os.rename(tmp, path)


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
