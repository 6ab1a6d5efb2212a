# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parts of the lab tool tests/lab/xenlab.py: QEMU's command line per variant, the booted-host
snapshot's key and which hosts cannot be saved, the boot stage read from a serial console."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib.util
import os

import pytest

XENLAB_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab", "xenlab.py")


@pytest.fixture(scope="module")
def xenlab():
    spec = importlib.util.spec_from_file_location("xenlab", XENLAB_PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def argv_of(xenlab, variant="vtd-intremap", guest_net="isolated", tap_fd=None, tpm_sock=None, port=2222):
    return xenlab.qemu_argv("qemu", "h1", variant, "/s/disk.qcow2", "qcow2", "unsafe", port, guest_net,
                            tap_fd, tpm_sock, "/s/console.log", "/s/qmp.sock", "/s/events.sock", "/s/qemu.pid")


def option_values(argv, option):
    return [argv[i + 1] for i, a in enumerate(argv) if a == option]


@pytest.mark.parametrize("variant,machine,cpu,iommu", [
    ("vtd-intremap", "q35,accel=tcg", "max", "intel-iommu,intremap=on"),
    ("vtd-nointremap", "q35,accel=tcg", "max", "intel-iommu,intremap=off"),
    ("amd-vi", "q35,accel=tcg", "max", "amd-iommu,intremap=on"),
    ("noiommu", "pc,accel=tcg", "max", None),
    ("nohvm", "pc,accel=tcg", "qemu64,-svm", None),
])
def test_machine_cpu_and_iommu_per_variant(xenlab, variant, machine, cpu, iommu):
    argv = argv_of(xenlab, variant)
    assert option_values(argv, "-machine") == [machine]
    assert option_values(argv, "-cpu") == [cpu]
    devices = option_values(argv, "-device")
    iommus = [d for d in devices if "iommu" in d]
    assert iommus == ([iommu] if iommu else [])
    if iommu:
        # the IOMMU must come before every other PCI device
        assert devices[0] == iommu


def test_power_cycle_and_supervisor_wiring(xenlab):
    argv = argv_of(xenlab)
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
def test_guest_network(xenlab, guest_net, expected_netdev, nics):
    argv = argv_of(xenlab, guest_net=guest_net, tap_fd=7)
    netdevs = option_values(argv, "-netdev")
    assert netdevs[0] == "user,id=ctl,hostfwd=tcp:127.0.0.1:2222-:22"
    assert netdevs[1:] == ([expected_netdev] if expected_netdev else [])
    assert len([d for d in option_values(argv, "-device") if d.startswith("e1000,")]) == nics


def test_unknown_guest_network_is_refused(xenlab):
    with pytest.raises(xenlab.LabError, match="unknown --guest-net"):
        argv_of(xenlab, guest_net="bridge:br0")


def test_tpm_devices(xenlab):
    argv = argv_of(xenlab, tpm_sock="/s/swtpm.sock")
    assert "emulator,id=tpm0,chardev=chrtpm" in option_values(argv, "-tpmdev")
    assert "tpm-tis,tpmdev=tpm0" in option_values(argv, "-device")
    assert "-tpmdev" not in argv_of(xenlab)


def test_saved_and_restored_hosts_differ_only_in_paths_and_port(xenlab):
    # a restore needs exactly the saved device set: only files, the ssh port and the tap fd may differ
    a = xenlab.qemu_argv("qemu", "a", "vtd-intremap", "/a/d.qcow2", "qcow2", "unsafe", 2001, "netns:x", 5,
                         None, "/a/c", "/a/q", "/a/e", "/a/p")
    b = xenlab.qemu_argv("qemu", "b", "vtd-intremap", "/b/d.qcow2", "qcow2", "unsafe", 2002, "netns:y", 9,
                         None, "/b/c", "/b/q", "/b/e", "/b/p")
    assert len(a) == len(b)
    differ = [(x, y) for x, y in zip(a, b) if x != y]
    assert differ and all(x.replace("/a/", "/b/").replace("2001", "2002").replace("fd=5", "fd=9")
                          .replace("xenlab-a", "xenlab-b") == y for x, y in differ)


def test_snapshot_key_follows_its_inputs(xenlab):
    base = xenlab.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 7.2")
    assert base == xenlab.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 7.2")
    changed = [
        xenlab.snapshot_key("img:2", "vtd-intremap", False, "isolated", "QEMU 7.2"),   # image rebuilt
        xenlab.snapshot_key("img:1", "vtd-nointremap", False, "isolated", "QEMU 7.2"),
        xenlab.snapshot_key("img:1", "vtd-intremap", True, "isolated", "QEMU 7.2"),
        xenlab.snapshot_key("img:1", "vtd-intremap", False, "none", "QEMU 7.2"),
        xenlab.snapshot_key("img:1", "vtd-intremap", False, "netns:a", "QEMU 7.2"),
        xenlab.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 8.2"),
    ]
    assert base not in changed and len(set(changed)) == len(changed)
    # the namespace's name is not part of the saved state
    assert xenlab.snapshot_key("img:1", "nohvm", False, "netns:a:t1", "Q") == \
        xenlab.snapshot_key("img:1", "nohvm", False, "netns:b", "Q")


@pytest.mark.parametrize("variant,tpm,blocked", [
    ("amd-vi", False, "amd-iommu"),
    ("vtd-intremap", True, "TPM"),
    ("vtd-intremap", False, None),
    ("vtd-nointremap", False, None),
    ("noiommu", False, None),
    ("nohvm", False, None),
])
def test_snapshot_blockers(xenlab, variant, tpm, blocked):
    reason = xenlab.snapshot_blocker(variant, tpm)
    if blocked is None:
        assert reason is None
    else:
        assert blocked in reason


@pytest.mark.parametrize("console,stage", [
    ("", "no console output yet"),
    ("SeaBIOS (version 1.16)\r\n", "firmware"),
    ("SeaBIOS\r\nGNU GRUB  version 2.06\r\n", "GRUB"),
    ("GNU GRUB\n(XEN) Xen version 4.17.5\n", "Xen"),
    ("GNU GRUB\n(XEN) x\n[    0.000000] Linux version 6.1.0\n", "dom0 kernel"),
    ("GNU GRUB\n(XEN) x\n[    1.0] systemd[1]: started\nxenlab-bookworm login: \n", "login prompt"),
    # only the current boot counts: an earlier boot's login prompt is before the last GRUB
    ("GNU GRUB\nxenlab login: \nreboot: Restarting system\nGNU GRUB  version 2.06\n", "GRUB"),
])
def test_boot_stage(xenlab, tmp_path, console, stage):
    inst = xenlab.Instance(str(tmp_path), "h1")
    if console:
        (tmp_path / "console.log").write_text(console)
    assert inst.boot_stage()[0] == stage


def test_warm_reset_keeps_qemu_running(xenlab):
    warm = xenlab.qemu_argv("qemu", "h1", "nohvm", "/s/d", "qcow2", "unsafe", 2222, "none", None, None,
                            "/s/c", "/s/q", "/s/e", "/s/p", reset="warm")
    assert "-no-reboot" not in warm
    with pytest.raises(xenlab.LabError, match="unknown reset"):
        xenlab.qemu_argv("qemu", "h1", "nohvm", "/s/d", "qcow2", "unsafe", 2222, "none", None, None,
                         "/s/c", "/s/q", "/s/e", "/s/p", reset="cold")


@pytest.mark.parametrize("stderr,local", [
    # real ssh messages (OpenSSH 9.2)
    ("command-line: line 0: Bad configuration option: controlpathx\n", True),
    ('unix_listener: path "/very/long/cp-2222.XXXXXXXXXXXXXXXX" too long for Unix domain socket\n', True),
    ("Warning: Identity file /nonexistent/key not accessible: No such file or directory.\n", True),
    ("ssh: connect to host 127.0.0.1 port 2222: Connection refused\n", False),
    ("kex_exchange_identification: read: Connection reset by peer\n", False),
    ("Connection timed out during banner exchange\n", False),
])
def test_local_ssh_errors_stop_the_wait(xenlab, stderr, local):
    found = xenlab.local_ssh_error(255, stderr)
    assert (found is not None) == local
    # a remote command's own failure is never a local ssh error
    assert xenlab.local_ssh_error(1, stderr) is None


@pytest.mark.parametrize("rest,state_dir,cmd", [
    (["--", "xl", "info"], None, ["xl", "info"]),
    (["--state-dir", "/s", "--", "xl", "dmesg"], "/s", ["xl", "dmesg"]),
    (["--state-dir=/s", "xl", "info"], "/s", ["xl", "info"]),
    (["--", "ls", "--state-dir", "x"], None, ["ls", "--state-dir", "x"]),
    ([], None, []),
])
def test_ssh_options_after_the_name(xenlab, rest, state_dir, cmd):
    assert xenlab.split_ssh_args(rest) == (state_dir, cmd)
