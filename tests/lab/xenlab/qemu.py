# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""QEMU for a lab host: the variants (machine, CPU, IOMMU), the command line per variant and accelerator
(pure), a minimal QMP client and QEMU's version."""

import json
import socket
import subprocess

from . import settings
from .errors import LabError
from .util import find_bin

MEMORY = "3072M"
SMP = settings.env("SMP")

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


# Under KVM the CPU is this machine's own, with its VMX or SVM (nested virtualisation: accel.py checks it
# is on); the variant without HVM takes both away. Under TCG the variant's emulated CPU.
KVM_CPU = {"max": "host", "qemu64,-svm": "host,-vmx,-svm"}


def cpu_model(variant, accel="tcg"):
    """QEMU's -cpu for a variant under an accelerator (tcg or kvm)."""
    cpu = VARIANTS[variant][1]
    if accel == "tcg":
        return cpu
    if accel == "kvm":
        return KVM_CPU[cpu]
    raise LabError("unknown accelerator %r (tcg or kvm)" % accel)


def machine_option(variant, accel="tcg"):
    """QEMU's -machine for a variant under an accelerator. Under KVM with an emulated IOMMU the interrupt
    controller is split (the IOAPIC in QEMU): QEMU refuses interrupt remapping with the in-kernel one."""
    machine, _cpu, devices, _desc = VARIANTS[variant]
    option = "%s,accel=%s" % (machine, accel)
    if accel == "kvm" and any("iommu" in d for d in devices):
        option += ",kernel-irqchip=split"
    return option


def qemu_argv(qemu, name, variant, disk, fmt, cache, port, guest_net, tap_fd, tpm_sock, console,
              qmp_sock, events_sock, pidfile, reset="power-cycle", accel="tcg", smp=None):
    """QEMU's command line for a lab host (pure: no files are touched). A restore uses the very same
    device set, so only paths, the ssh port and the tap fd may differ between a saved and a restored host."""
    devices = VARIANTS[variant][2]
    argv = [qemu, "-name", "xenlab-%s" % name,
            "-machine", machine_option(variant, accel), "-cpu", cpu_model(variant, accel),
            "-smp", str(smp or SMP), "-m", MEMORY]
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


def qemu_version():
    res = subprocess.run([find_bin("qemu-system-x86_64") or "qemu-system-x86_64", "--version"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False)
    return (res.stdout.splitlines() or ["unknown"])[0].strip()
