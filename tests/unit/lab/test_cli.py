# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's command line (tests/lab/xenlab/cli.py, run as tests/lab/xenlab.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess
import sys

import pytest

from ansible_collections.xenguard.hardening.tests.lab.xenlab import cli

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab", "xenlab.py")


@pytest.mark.parametrize("rest,state_dir,cmd", [
    (["--", "xl", "info"], None, ["xl", "info"]),
    (["--state-dir", "/s", "--", "xl", "dmesg"], "/s", ["xl", "dmesg"]),
    (["--state-dir=/s", "xl", "info"], "/s", ["xl", "info"]),
    (["--", "ls", "--state-dir", "x"], None, ["ls", "--state-dir", "x"]),
    (["--", "ssh", "-o", "X=1"], None, ["ssh", "-o", "X=1"]),
    ([], None, []),
])
def test_ssh_options_after_the_name(rest, state_dir, cmd):
    assert cli.split_ssh_args(rest) == (state_dir, cmd)


def test_ssh_keeps_options_after_the_name():
    args = cli.build_parser().parse_args(["ssh", "h1", "--state-dir", "/s", "--", "xl", "info", "-n"])
    assert (args.name, cli.split_ssh_args(args.cmd)) == ("h1", ("/s", ["xl", "info", "-n"]))


def test_defaults_come_from_the_settings(monkeypatch):
    for name in ("XENLAB_BOOT_TIMEOUT", "XENLAB_RESET", "XENLAB_NO_SNAPSHOT", "XENLAB_VERIFY_BUILD"):
        monkeypatch.delenv(name, raising=False)
    up = ["up", "--dist", "bookworm", "--variant", "nohvm", "--name", "h1"]
    args = cli.build_parser().parse_args(up)
    assert (args.timeout, args.reset, args.no_snapshot) == (600.0, "power-cycle", False)
    monkeypatch.setenv("XENLAB_BOOT_TIMEOUT", "900")
    monkeypatch.setenv("XENLAB_RESET", "warm")
    monkeypatch.setenv("XENLAB_NO_SNAPSHOT", "1")
    monkeypatch.setenv("XENLAB_VERIFY_BUILD", "1")
    args = cli.build_parser().parse_args(up)
    assert (args.timeout, args.reset, args.no_snapshot) == (900.0, "warm", True)
    assert cli.build_parser().parse_args(["wait-ssh", "h1"]).timeout == 900.0
    assert cli.build_parser().parse_args(["reboot", "h1"]).timeout == 900.0
    assert cli.build_parser().parse_args(["build", "--dist", "trixie"]).verify is True


def test_a_bad_setting_is_an_error_a_person_can_act_on(monkeypatch, capsys):
    monkeypatch.setenv("XENLAB_BOOT_TIMEOUT", "ten minutes")
    assert cli.main(["status"]) == 2
    err = capsys.readouterr().err
    assert "XENLAB_BOOT_TIMEOUT='ten minutes' is not a number" in err and "fix:" in err


def test_the_script_runs_the_package(tmp_path):
    # every caller runs `python3 tests/lab/xenlab.py ...`: the thin script must reach the package's CLI
    env = dict(os.environ, XENLAB_STATE=str(tmp_path))
    res = subprocess.run([sys.executable, SCRIPT, "status", "--json"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, check=False)
    assert (res.returncode, res.stdout.strip()) == (0, "[]"), res.stderr
    res = subprocess.run([sys.executable, SCRIPT, "down", "--name", "nothing-here", "--state-dir", str(tmp_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    assert res.returncode == 0 and "no instance nothing-here (nothing to do)" in res.stdout
