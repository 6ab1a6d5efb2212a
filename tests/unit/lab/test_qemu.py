# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's QEMU command line per variant (tests/lab/xenlab/qemu.py): machine, CPU, IOMMU, NICs, TPM,
the supervisor's wiring, and what may differ between a saved and a restored host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.tests.lab.xenlab import qemu
from ansible_collections.xenguard.hardening.tests.lab.xenlab.errors import LabError


def argv_of(variant="vtd-intremap", guest_net="isolated", tap_fd=None, tpm_sock=None, port=2222, **kw):
    return qemu.qemu_argv("qemu", "h1", variant, "/s/disk.qcow2", "qcow2", "unsafe", port, guest_net,
                          tap_fd, tpm_sock, "/s/console.log", "/s/qmp.sock", "/s/events.sock", "/s/qemu.pid", **kw)


def option_values(argv, option):
    return [argv[i + 1] for i, a in enumerate(argv) if a == option]


@pytest.mark.parametrize("variant,machine,cpu,iommu", [
    ("vtd-intremap", "q35,accel=tcg", "max", "intel-iommu,intremap=on"),
    ("vtd-nointremap", "q35,accel=tcg", "max", "intel-iommu,intremap=off"),
    ("amd-vi", "q35,accel=tcg", "max", "amd-iommu,intremap=on"),
    ("noiommu", "pc,accel=tcg", "max", None),
    ("nohvm", "pc,accel=tcg", "qemu64,-svm", None),
])
def test_machine_cpu_and_iommu_per_variant(variant, machine, cpu, iommu):
    argv = argv_of(variant)
    assert option_values(argv, "-machine") == [machine]
    assert option_values(argv, "-cpu") == [cpu]
    devices = option_values(argv, "-device")
    iommus = [d for d in devices if "iommu" in d]
    assert iommus == ([iommu] if iommu else [])
    if iommu:
        # the IOMMU must come before every other PCI device
        assert devices[0] == iommu


def test_whole_command_line_of_the_default_variant():
    # the full list, so that any change of it is seen here (a restore needs the saved host's device set)
    assert argv_of() == [
        "qemu", "-name", "xenlab-h1", "-machine", "q35,accel=tcg", "-cpu", "max", "-smp", qemu.SMP,
        "-m", "3072M", "-device", "intel-iommu,intremap=on",
        "-drive", "file=/s/disk.qcow2,format=qcow2,if=virtio,cache=unsafe,discard=unmap", "-boot", "c",
        "-netdev", "user,id=ctl,hostfwd=tcp:127.0.0.1:2222-:22", "-device", "e1000,netdev=ctl,mac=52:54:00:12:34:01",
        "-netdev", "hubport,id=guest,hubid=7", "-device", "e1000,netdev=guest,mac=52:54:00:12:34:02",
        "-nodefaults", "-display", "none", "-vga", "none",
        "-chardev", "file,id=serial0,path=/s/console.log,append=on", "-serial", "chardev:serial0",
        "-qmp", "unix:/s/qmp.sock,server=on,wait=off",
        "-chardev", "socket,id=events,path=/s/events.sock,server=off", "-mon", "chardev=events,mode=control",
        "-no-reboot", "-pidfile", "/s/qemu.pid"]


def test_power_cycle_and_supervisor_wiring():
    argv = argv_of()
    # a guest reset ends QEMU (the supervisor power-cycles it); QEMU stays in the foreground
    assert "-no-reboot" in argv
    assert "-daemonize" not in argv
    assert "chardev=events,mode=control" in option_values(argv, "-mon")
    assert "socket,id=events,path=/s/events.sock,server=off" in option_values(argv, "-chardev")
    # the console of every boot stays in one file: appended, never truncated by a restart
    assert "file,id=serial0,path=/s/console.log,append=on" in option_values(argv, "-chardev")
    assert option_values(argv, "-pidfile") == ["/s/qemu.pid"]


@pytest.mark.parametrize("guest_net,expected_netdev,nics", [
    ("isolated", "hubport,id=guest,hubid=7", 2),
    ("none", None, 1),
    ("netns:xg:tap1", "tap,id=guest,fd=7", 2),
])
def test_guest_network(guest_net, expected_netdev, nics):
    argv = argv_of(guest_net=guest_net, tap_fd=7)
    netdevs = option_values(argv, "-netdev")
    assert netdevs[0] == "user,id=ctl,hostfwd=tcp:127.0.0.1:2222-:22"
    assert netdevs[1:] == ([expected_netdev] if expected_netdev else [])
    assert len([d for d in option_values(argv, "-device") if d.startswith("e1000,")]) == nics


def test_unknown_guest_network_is_refused():
    with pytest.raises(LabError, match="unknown --guest-net"):
        argv_of(guest_net="bridge:br0")


def test_tpm_devices():
    argv = argv_of(tpm_sock="/s/swtpm.sock")
    assert "emulator,id=tpm0,chardev=chrtpm" in option_values(argv, "-tpmdev")
    assert "tpm-tis,tpmdev=tpm0" in option_values(argv, "-device")
    assert "-tpmdev" not in argv_of()


def test_saved_and_restored_hosts_differ_only_in_paths_and_port():
    # a restore needs exactly the saved device set: only files, the ssh port and the tap fd may differ
    a = qemu.qemu_argv("qemu", "a", "vtd-intremap", "/a/d.qcow2", "qcow2", "unsafe", 2001, "netns:x", 5,
                       None, "/a/c", "/a/q", "/a/e", "/a/p")
    b = qemu.qemu_argv("qemu", "b", "vtd-intremap", "/b/d.qcow2", "qcow2", "unsafe", 2002, "netns:y", 9,
                       None, "/b/c", "/b/q", "/b/e", "/b/p")
    assert len(a) == len(b)
    differ = [(x, y) for x, y in zip(a, b) if x != y]
    assert differ and all(x.replace("/a/", "/b/").replace("2001", "2002").replace("fd=5", "fd=9")
                          .replace("xenlab-a", "xenlab-b") == y for x, y in differ)


def test_warm_reset_keeps_qemu_running():
    warm = argv_of("nohvm", "none", reset="warm")
    assert "-no-reboot" not in warm
    with pytest.raises(LabError, match="unknown reset"):
        argv_of("nohvm", "none", reset="cold")


# KVM: the command line only (no KVM on the machines this project's CI runs on; docs/lab.md says so)
@pytest.mark.parametrize("variant,machine,cpu", [
    # QEMU's IOMMUs under KVM: the IOAPIC in QEMU (it refuses interrupt remapping with KVM's own)
    ("vtd-intremap", "q35,accel=kvm,kernel-irqchip=split", "host"),
    ("vtd-nointremap", "q35,accel=kvm,kernel-irqchip=split", "host"),
    ("amd-vi", "q35,accel=kvm,kernel-irqchip=split", "host"),
    ("noiommu", "pc,accel=kvm", "host"),
    # no HVM for Xen: the machine's own VMX and SVM taken away
    ("nohvm", "pc,accel=kvm", "host,-vmx,-svm"),
])
def test_kvm_machine_and_cpu_per_variant(variant, machine, cpu):
    kvm = argv_of(variant, accel="kvm")
    assert option_values(kvm, "-machine") == [machine]
    assert option_values(kvm, "-cpu") == [cpu]
    assert qemu.cpu_model(variant, "kvm") == cpu
    # everything else is the TCG command line: devices, NICs, console, supervisor wiring
    tcg = argv_of(variant)
    differ = [(a, b) for a, b in zip(tcg, kvm) if a != b]
    assert len(tcg) == len(kvm) and [b for _a, b in differ] == [machine, cpu]


def test_default_accelerator_is_tcg():
    assert argv_of() == argv_of(accel="tcg")


def test_unknown_accelerator():
    with pytest.raises(LabError, match="unknown accelerator"):
        argv_of(accel="hvf")


def test_vcpus_per_host():
    assert option_values(argv_of(), "-smp") == [qemu.SMP]
    assert option_values(argv_of(smp=1), "-smp") == ["1"]


def test_a_host_with_other_vcpus_has_its_own_snapshot():
    from ansible_collections.xenguard.hardening.tests.lab.xenlab import snapshot
    key = ("xenlab-bookworm.qcow2:uuid", "vtd-intremap", False, "isolated", "QEMU 7.2.0")
    assert snapshot.snapshot_key(*key) == snapshot.snapshot_key(*key, smp=int(qemu.SMP))
    assert snapshot.snapshot_key(*key) != snapshot.snapshot_key(*key, smp=1)
