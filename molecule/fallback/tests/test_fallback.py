# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""After a one-shot boot of a Xen command line that panics: the host is up on its previous entry and
nothing of the broken change is left on it."""

import json
import os
import sys

import testinfra.utils.ansible_runner

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_shared"))
from labhost import booted_cmdline  # noqa: E402  (molecule/_shared: the collection's own parsers)

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]


def xen_cmdline(host):
    return booted_cmdline(host)


def test_back_on_previous_entry(host):
    tokens = xen_cmdline(host)
    assert "dom0_mem=1M,max:1M" not in tokens
    assert "dom0_mem=1024M,max:1024M" in tokens


def test_rebooted_once_and_fell_back(host):
    assert host.file("/var/lib/xenguard/reboot-count").content_string.strip() == "1"
    log = host.file("/var/lib/xenguard/reboots.log").content_string.strip().splitlines()
    assert len(log) == 1 and " fell-back " in log[0]


def test_nothing_left_behind(host):
    assert not host.file("/etc/grub.d/42_xenguard_trial").exists
    assert "xenguard-trial" not in host.file("/boot/grub/grub.cfg").content_string
    assert "1M,max:1M" not in host.file("/etc/default/grub.d/xen.cfg").content_string
    assert "next_entry=xenguard" not in host.check_output("grub-editenv /boot/grub/grubenv list")


def test_message_and_timing(host):
    with open(os.path.join(EPHEMERAL, "fallback-%s.json" % host.backend.get_hostname())) as f:
        result = json.load(f)
    assert "did not come up" in result["message"]
    assert 0 < result["seconds"] < 1800
