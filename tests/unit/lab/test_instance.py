# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An instance (tests/lab/xenlab/instance.py): the boot stage read from its serial console, which ssh
failures stop wait-ssh at once, instance names."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.xenguard.hardening.tests.lab.xenlab import instance
from ansible_collections.xenguard.hardening.tests.lab.xenlab.errors import LabError

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab", "xenlab.py")


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


def fake_ssh(bin_dir, stderr, rc=255):
    """An `ssh` on PATH that records its arguments and fails the way ssh does."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "ssh"
    script.write_text('#!/bin/sh\nprintf "%%s\\n" "$@" >> "%s/argv"\nprintf "%%s" "%s" >&2\nexit %d\n'
                      % (bin_dir, stderr.replace('"', '\\"'), rc))
    script.chmod(0o755)
    return bin_dir / "argv"


@pytest.fixture
def running_instance(tmp_path):
    """An instance whose "QEMU" is a sleeping process that carries the PID file path in its command line."""
    inst = instance.Instance(str(tmp_path / "h1"), "h1")
    inst.state = {"ssh_key": str(tmp_path / "key"), "ssh_port": 2222}
    inst.save()
    proc = subprocess.Popen(["sh", "-c", "sleep 60", inst.pidfile])
    with open(inst.pidfile, "w") as f:
        f.write("%d\n" % proc.pid)
    # until the child has exec'd, its command line is still this test's (a loaded machine shows it)
    deadline = time.monotonic() + 10
    while not inst.qemu_pid and time.monotonic() < deadline:
        time.sleep(0.02)
    assert inst.qemu_pid == proc.pid
    yield inst
    proc.kill()
    proc.wait()


def test_wait_ssh_stops_at_a_local_ssh_error(tmp_path, monkeypatch, running_instance):
    argv_log = fake_ssh(tmp_path / "bin", "command-line: line 0: Bad configuration option: controlpathx\n")
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path / "bin", os.environ["PATH"]))
    begin = time.monotonic()
    with pytest.raises(LabError, match="ssh itself fails here, waiting will not help: command-line: line 0: "
                                       "Bad configuration option: controlpathx"):
        running_instance.wait_ssh(20)
    # at the first attempt: waiting out the timeout would end in "no ssh / `xl info` within 20 s" instead
    assert time.monotonic() - begin < 15
    assert argv_log.read_text().count("root@127.0.0.1") == 1


def test_wait_ssh_waits_through_a_refused_connection(tmp_path, monkeypatch, running_instance):
    argv_log = fake_ssh(tmp_path / "bin", "ssh: connect to host 127.0.0.1 port 2222: Connection refused\n")
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path / "bin", os.environ["PATH"]))
    with pytest.raises(LabError, match="no ssh / `xl info` within 0 s .*Connection refused"):
        running_instance.wait_ssh(0.1)
    assert argv_log.read_text().count("root@127.0.0.1") >= 1


def test_ssh_passes_options_after_the_name_to_the_remote_command(tmp_path, running_instance):
    argv_log = fake_ssh(tmp_path / "bin", "", rc=0)
    env = dict(os.environ, PATH="%s:%s" % (tmp_path / "bin", os.environ["PATH"]))
    res = subprocess.run([sys.executable, SCRIPT, "ssh", "h1", "--state-dir", str(tmp_path), "--", "xl", "info",
                          "-n"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, check=False)
    assert res.returncode == 0, res.stderr
    argv = argv_log.read_text().splitlines()
    # xenlab's own option is taken, the remote command's -n stays the remote command's
    assert argv[argv.index("root@127.0.0.1") + 1:] == ["xl", "info", "-n"]
    assert "--state-dir" not in argv
