# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hosts really lack what the role said, and the role changed nothing on them."""

import os

import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")


def test_host_lacks_iommu_or_interrupt_remapping(host):
    dmesg = host.check_output("xl dmesg")
    if host.backend.get_hostname() == "iommu-noiommu":
        assert "I/O virtualisation disabled" in dmesg
    else:
        assert "I/O virtualisation enabled" in dmesg
        assert "Interrupt remapping disabled" in dmesg


def test_nothing_pinned_or_changed(host):
    assert "iommu=required" not in host.file("/etc/default/grub.d/xen.cfg").content_string
    assert "iommu=required" not in host.check_output("xl info")
    assert not host.file("/var/lib/xenguard").exists
    assert not host.file("/etc/grub.d/42_xenguard_trial").exists
