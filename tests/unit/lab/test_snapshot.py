# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Booted-host snapshots (tests/lab/xenlab/snapshot.py): the cache key and which hosts cannot be saved."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.xenguard.hardening.tests.lab.xenlab import snapshot


@pytest.fixture(autouse=True)
def two_vcpus(monkeypatch):
    # the key covers the vCPUs (XENLAB_SMP, read once at import): pinned values below are for 2
    monkeypatch.setattr(snapshot, "SMP", "2")


def test_snapshot_key_follows_its_inputs():
    base = snapshot.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 7.2")
    assert base == snapshot.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 7.2")
    changed = [
        snapshot.snapshot_key("img:2", "vtd-intremap", False, "isolated", "QEMU 7.2"),   # image rebuilt
        snapshot.snapshot_key("img:1", "vtd-nointremap", False, "isolated", "QEMU 7.2"),
        snapshot.snapshot_key("img:1", "vtd-intremap", True, "isolated", "QEMU 7.2"),
        snapshot.snapshot_key("img:1", "vtd-intremap", False, "none", "QEMU 7.2"),
        snapshot.snapshot_key("img:1", "vtd-intremap", False, "netns:a", "QEMU 7.2"),
        snapshot.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 8.2"),
        snapshot.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 7.2", default_loglvl=True),
    ]
    assert base not in changed and len(set(changed)) == len(changed)
    # the namespace's name is not part of the saved state
    assert snapshot.snapshot_key("img:1", "nohvm", False, "netns:a:t1", "Q") == \
        snapshot.snapshot_key("img:1", "nohvm", False, "netns:b", "Q")


def test_snapshot_key_is_the_one_of_the_snapshots_already_cached():
    # Values computed by the lab before it became a package: snapshots saved since must still be found.
    # A change here means every cached snapshot is saved again on its next `up`; change it only on purpose.
    assert snapshot.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 7.2") == "8163ced5719a3ae4"
    assert snapshot.snapshot_key("img:1", "nohvm", False, "none", "QEMU 7.2", True) == "ddca00239506ef31"


def test_snapshot_directory_name(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "cache_dir", lambda: str(tmp_path))
    monkeypatch.setattr(snapshot, "qemu_version", lambda: "QEMU emulator version 7.2.15")
    image = tmp_path / "xenlab-bookworm-7dbdbc44f32d4b25.qcow2"
    (tmp_path / (image.name + ".json")).write_text(json.dumps({"fs_uuid": "u-1"}))
    path = snapshot.snapshot_path("bookworm", str(image), "vtd-intremap", False, "netns:x:t", True)
    key = snapshot.snapshot_key(image.name + ":u-1", "vtd-intremap", False, "netns", "QEMU emulator version 7.2.15",
                                True)
    assert path == str(tmp_path / "snapshots" / ("xenlab-bookworm-vtd-intremap-netns-default-loglvl-" + key))
    # the build (its filesystem UUID) is part of the key: a rebuilt image of the same name gets a new snapshot
    (tmp_path / (image.name + ".json")).write_text(json.dumps({"fs_uuid": "u-2"}))
    assert snapshot.snapshot_path("bookworm", str(image), "vtd-intremap", False, "netns:x:t", True) != path


@pytest.mark.parametrize("variant,tpm,blocked", [
    ("amd-vi", False, "amd-iommu"),
    ("vtd-intremap", True, "TPM"),
    ("vtd-intremap", False, None),
    ("vtd-nointremap", False, None),
    ("noiommu", False, None),
    ("nohvm", False, None),
])
def test_snapshot_blockers(variant, tpm, blocked):
    reason = snapshot.snapshot_blocker(variant, tpm)
    if blocked is None:
        assert reason is None
    else:
        assert blocked in reason


@pytest.mark.parametrize("guest_net,kind", [("isolated", "isolated"), ("none", "none"), ("netns:a:tap", "netns")])
def test_guest_net_kind(guest_net, kind):
    assert snapshot.guest_net_kind(guest_net) == kind


def test_snapshot_key_under_kvm():
    tcg = snapshot.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 7.2")
    # TCG ignores the machine's CPU (it is emulated): the key of the snapshots already cached
    assert snapshot.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 7.2", False, "tcg", "X") == tcg
    epyc = snapshot.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 7.2", False, "kvm", "AMD EPYC")
    xeon = snapshot.snapshot_key("img:1", "vtd-intremap", False, "isolated", "QEMU 7.2", False, "kvm", "Intel Xeon")
    assert len({tcg, epyc, xeon}) == 3


def test_snapshot_directory_name_under_kvm(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "cache_dir", lambda: str(tmp_path))
    monkeypatch.setattr(snapshot, "qemu_version", lambda: "QEMU 7.2")
    path = snapshot.snapshot_path("trixie", str(tmp_path / "img.qcow2"), "nohvm", False, "isolated", accel="kvm")
    assert path.startswith(str(tmp_path / "snapshots" / "xenlab-trixie-nohvm-isolated-kvm-"))


# the first processor of a 2-core CI machine's /proc/cpuinfo, as it is
CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
stepping\t: 1
microcode\t: 0x1000065
cpu MHz\t\t: 2596.096

processor\t: 1
vendor_id\t: AuthenticAMD
cpu MHz\t\t: 2400.000
"""


def test_host_cpu_model(tmp_path):
    (tmp_path / "cpuinfo").write_text(CPUINFO)
    # the first processor only, and nothing that changes while it runs (the clock)
    assert snapshot.host_cpu_model(str(tmp_path / "cpuinfo")) == "AuthenticAMD 26 2 1 AMD EPYC"
    assert snapshot.host_cpu_model(str(tmp_path / "none")) == "unknown"
