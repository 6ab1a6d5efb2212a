# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Smoke test of the lab: the facts of xenguard.hardening.xen_facts agree with the hardware the lab gave
each host (its variant) and with what the host itself says (xl info, xl dmesg, xl getenforce, xl list)."""

import json
import os
import sys
import subprocess

import pytest
import testinfra.utils.ansible_runner

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_shared"))
from labhost import split_xen_cmdline, xl_info as read_xl_info  # noqa: E402  (molecule/_shared: the collection's own parsers)

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]

# What each lab variant gives the host (tests/lab/xenlab.py VARIANTS).
EXPECTED = {
    "vtd-intremap": {"iommu": True, "vendor": "intel", "intremap": True, "hvm": True},
    "vtd-nointremap": {"iommu": True, "vendor": "intel", "intremap": False, "hvm": True},
    "amd-vi": {"iommu": True, "vendor": "amd", "intremap": True, "hvm": True},
    "noiommu": {"iommu": False, "vendor": None, "intremap": False, "hvm": True},
    "nohvm": {"iommu": False, "vendor": None, "intremap": False, "hvm": False},
}


def _state_dir():
    # the lab's XENLAB_STATE (XENGUARD_LAB_STATE is its earlier name)
    root = os.environ.get("XENLAB_STATE") or os.environ.get("XENGUARD_LAB_STATE") or os.path.join(
        os.environ["MOLECULE_PROJECT_DIRECTORY"], "lab-state")
    return os.path.join(root, "molecule-" + os.environ["MOLECULE_SCENARIO_NAME"])


@pytest.fixture
def lab(host):
    """The lab's own record of the host: variant, distribution, ssh port."""
    with open(os.path.join(_state_dir(), host.backend.get_hostname(), "state.json")) as f:
        state = json.load(f)
    state["expected"] = EXPECTED[state["variant"]]
    return state


@pytest.fixture
def facts(host):
    with open(os.path.join(EPHEMERAL, "xen-facts-%s.json" % host.backend.get_hostname())) as f:
        return json.load(f)


@pytest.fixture
def xl_info(host):
    return read_xl_info(host)


@pytest.fixture
def xl_dmesg(host):
    return host.check_output("xl dmesg")


def test_is_dom0_of_the_distribution_xen(host, facts, xl_info, lab):
    assert facts["is_dom0"] is True
    assert facts["reason"] == ""
    version = "%s.%s%s" % (xl_info["xen_major"], xl_info["xen_minor"], xl_info["xen_extra"])
    assert facts["version"] == version
    expected_major_minor = {"bookworm": "4.17", "trixie": "4.20"}[lab["dist"]]
    assert version.startswith(expected_major_minor + ".")
    assert host.system_info.codename == lab["dist"]


def test_iommu_agrees_with_lab_and_host(facts, xl_dmesg, lab):
    expected = lab["expected"]
    iommu = facts["dmesg"]["iommu"]
    assert iommu["enabled"] is expected["iommu"]
    assert ("I/O virtualisation enabled" in xl_dmesg) is expected["iommu"]
    assert ("I/O virtualisation disabled" in xl_dmesg) is (not expected["iommu"])
    assert iommu["interrupt_remapping"] is expected["intremap"]
    assert ("Interrupt remapping enabled" in xl_dmesg) is expected["intremap"]
    if expected["iommu"]:
        assert iommu["vendor"] == expected["vendor"]


def test_virt_caps_agree_with_lab_and_host(facts, xl_info, lab):
    expected = lab["expected"]
    host_caps = xl_info["virt_caps_list"]
    caps = facts["info"]["virt_caps_list"]
    assert sorted(caps) == sorted(host_caps)
    assert ("hvm" in caps) is expected["hvm"]
    # passthrough needs an IOMMU
    assert any(c.endswith("_directio") for c in caps) is expected["iommu"]


def test_flask_disabled(host, facts):
    assert facts["flask"]["mode"] == "disabled"
    # `xl getenforce` exits 255 without FLASK, which an ssh client cannot tell from its own failure
    out = host.check_output("xl getenforce 2>&1; echo rc=$?")
    assert "Flask XSM Disabled" in out
    assert out.splitlines()[-1] != "rc=0"


def test_only_dom0_runs(host, facts):
    assert [d["domid"] for d in facts["domains"]] == [0]
    lines = host.check_output("xl list").splitlines()[1:]
    assert len(lines) == 1 and lines[0].split()[0] == "Domain-0"


def test_cmdline_is_the_booted_one(facts, xl_info):
    booted = split_xen_cmdline(xl_info["xen_commandline"])
    assert facts["cmdline"] == booted
    # lab-only software-emulation quirk, set by the lab image
    assert "smap=0" in booted


def test_reboot_changed_the_xen_cmdline(host, facts, xl_info):
    """side_effect.yml added a token through xen.cfg + update-grub and rebooted smoke-vtd."""
    path = os.path.join(EPHEMERAL, "reboot-%s.json" % host.backend.get_hostname())
    if not os.path.exists(path):
        pytest.skip("no reboot on this host")
    with open(path) as f:
        reboot = json.load(f)
    assert reboot["token"] in split_xen_cmdline(xl_info["xen_commandline"])
    assert reboot["token"] in facts["cmdline"]
    assert reboot["token"] in host.file("/etc/default/grub.d/xen.cfg").content_string
    # the running Xen is the one GRUB booted from the disk: dom0 was started by it
    assert "placeholder" in host.file("/proc/cmdline").content_string


# TEST-NET-1 addresses for the guest-network wire: the namespace's end and dom0's eth1
NETNS_ADDR, DOM0_GUEST_ADDR = "192.0.2.1", "192.0.2.2"


def test_guest_network_wire_reaches_dom0(host, lab):
    """The second NIC is wired to a network namespace on this machine (guest_net netns:NS): a host there
    can open dom0's ssh port over the guest network once dom0 has an address on eth1. The dual-NIC split
    will make exactly this fail on purpose; here it proves the wire the split is tested on."""
    if not lab.get("guest_tap"):
        pytest.skip("this host's guest NIC is not wired to a network namespace")
    netns, tap = lab["guest_tap"]
    # the tap lives only inside the namespace: the machine's own networks are not touched
    assert subprocess.run(["ip", "link", "show", tap], capture_output=True, check=False).returncode != 0
    subprocess.run(["ip", "-n", netns, "addr", "replace", NETNS_ADDR + "/24", "dev", tap], check=True)
    host.check_output("ip addr replace %s/24 dev eth1 && ip link set eth1 up" % DOM0_GUEST_ADDR)
    try:
        probe = subprocess.run(
            ["ip", "netns", "exec", netns, "python3", "-c",
             "import socket, sys; s = socket.create_connection((sys.argv[1], 22), 20); "
             "print(s.recv(64).decode(errors='replace').strip())", DOM0_GUEST_ADDR],
            capture_output=True, text=True, timeout=60, check=False)
        assert probe.returncode == 0, probe.stderr
        assert probe.stdout.startswith("SSH-2.0-"), probe.stdout
    finally:
        host.run("ip addr del %s/24 dev eth1" % DOM0_GUEST_ADDR)
