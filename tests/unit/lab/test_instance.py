# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An instance (tests/lab/xenlab/instance.py): the boot stage read from its serial console, which ssh
failures stop wait-ssh at once, instance names."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse

import pytest

from ansible_collections.xenguard.hardening.tests.lab.xenlab import instance
from ansible_collections.xenguard.hardening.tests.lab.xenlab.errors import LabError


@pytest.mark.parametrize("console,stage", [
    ("", "firmware"),
    ("SeaBIOS (version 1.16)\r\n", "firmware"),
    ("SeaBIOS\r\nGNU GRUB  version 2.06\r\n", "GRUB"),
    ("GNU GRUB\n  Booting `Debian GNU/Linux, with Xen hypervisor'\n", "GRUB"),
    ("GNU GRUB\n(XEN) Xen version 4.17.5\n", "Xen"),
    ("GNU GRUB\n(XEN) x\n[    0.000000] Linux version 6.1.0\n", "dom0 kernel"),
    ("GNU GRUB\n(XEN) x\n[    1.0] systemd[1]: started\n", "dom0 userspace"),
    ("GNU GRUB\n(XEN) x\n[    1.0] systemd[1]: started\nxenlab-bookworm login: \n", "login prompt"),
    # only the current boot counts: an earlier boot's login prompt is before the last GRUB
    ("GNU GRUB\nxenlab login: \nreboot: Restarting system\nGNU GRUB  version 2.06\n", "GRUB"),
])
def test_boot_stage_of_console_text(console, stage):
    assert instance.boot_stage(console)[0] == stage


def test_boot_stage_last_line_without_terminal_escapes():
    # as systemd colours its status lines on a serial console
    console = ("GNU GRUB\r\n(XEN) Xen version 4.20.1\r\nWelcome to Debian GNU/Linux 13 (trixie)!\r\n"
               "[\x1b[0;32m  OK  \x1b[0m] Started \x1b[0;1;39mssh.service\x1b[0m - OpenBSD Secure Shell server.\r\n")
    assert instance.boot_stage(console) == ("dom0 userspace",
                                            "[  OK  ] Started ssh.service - OpenBSD Secure Shell server.")


@pytest.mark.parametrize("console,stage", [
    (None, "no console output yet"),
    ("SeaBIOS (version 1.16)\r\n", "firmware"),
    ("GNU GRUB\n(XEN) x\n[    1.0] systemd[1]: started\nxenlab-bookworm login: \n", "login prompt"),
])
def test_boot_stage_of_an_instance(tmp_path, console, stage):
    inst = instance.Instance(str(tmp_path), "h1")
    if console is not None:
        (tmp_path / "console.log").write_text(console)
    assert inst.boot_stage()[0] == stage


def test_boot_stage_reads_only_the_tail(tmp_path):
    # a long console: the stage comes from its last 64 KiB, where the current boot is
    (tmp_path / "console.log").write_text("GNU GRUB\nxenlab login: \n" + "(XEN) x\n" * 20000)
    assert instance.Instance(str(tmp_path), "h1").boot_stage() == ("Xen", "(XEN) x")


@pytest.mark.parametrize("stderr,local", [
    # real ssh messages (OpenSSH 9.2)
    ("command-line: line 0: Bad configuration option: controlpathx\n", True),
    ('unix_listener: path "/very/long/cp-2222.XXXXXXXXXXXXXXXX" too long for Unix domain socket\n', True),
    ("Warning: Identity file /nonexistent/key not accessible: No such file or directory.\n", True),
    ("ssh: connect to host 127.0.0.1 port 2222: Connection refused\n", False),
    ("kex_exchange_identification: read: Connection reset by peer\n", False),
    ("Connection timed out during banner exchange\n", False),
])
def test_local_ssh_errors_stop_the_wait(stderr, local):
    found = instance.local_ssh_error(255, stderr)
    assert (found is not None) == local
    # a remote command's own failure is never a local ssh error
    assert instance.local_ssh_error(1, stderr) is None


@pytest.mark.parametrize("name", ["", "-x", "a/b", "../up", "x" * 42])
def test_invalid_instance_names(tmp_path, name):
    with pytest.raises(LabError, match="invalid instance name"):
        instance.instance(argparse.Namespace(state_dir=str(tmp_path), name=name))


def test_instance_lives_in_the_state_dir(tmp_path):
    inst = instance.instance(argparse.Namespace(state_dir=str(tmp_path), name="lab-1"))
    assert (inst.dir, inst.name, inst.state) == (str(tmp_path / "lab-1"), "lab-1", {})
