# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KVM or TCG (tests/lab/xenlab/accel.py): detection of a usable /dev/kvm with nested virtualisation, on a
device path and a /sys/module tree of the test's own. The machines this project's CI runs on have no
usable KVM, so this and the KVM command line in test_qemu.py are all that covers the KVM path here."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.tests.lab.xenlab import accel
from ansible_collections.xenguard.hardening.tests.lab.xenlab.errors import LabError


def api(version):
    def answer(fd):
        assert isinstance(fd, int) and fd >= 0
        return version
    return answer


@pytest.fixture
def kvm_dev(tmp_path):
    dev = tmp_path / "kvm"
    dev.write_text("")
    return str(dev)


def sys_module(tmp_path, module="kvm_intel", nested="Y"):
    root = tmp_path / "sys-module"
    if module:
        params = root / module / "parameters"
        params.mkdir(parents=True)
        (params / "nested").write_text(nested + "\n")
    else:
        root.mkdir()
    return str(root)


@pytest.mark.parametrize("module,nested", [("kvm_intel", "Y"), ("kvm_amd", "1")])
def test_usable_kvm_with_nested_virtualisation(tmp_path, kvm_dev, module, nested):
    mods = sys_module(tmp_path, module, nested)
    assert accel.kvm_problem(kvm_dev, mods, api(12)) is None
    chosen, reason = accel.choose("auto", kvm_dev, mods, api(12))
    assert chosen == "kvm" and module in reason
    assert accel.choose("kvm", kvm_dev, mods, api(12))[0] == "kvm"


def test_no_device(tmp_path):
    mods = sys_module(tmp_path)
    missing = str(tmp_path / "no-kvm")
    assert accel.choose("auto", missing, mods, api(12)) == ("tcg", "no %s" % missing)


def test_device_that_does_not_open_read_write(tmp_path):
    # a directory cannot be opened read-write: the same path an unwritable /dev/kvm takes
    assert "cannot be opened read-write" in accel.kvm_problem(str(tmp_path), sys_module(tmp_path), api(12))


def test_device_that_is_no_kvm_device(tmp_path, kvm_dev):
    # the real ioctl on a plain file: it is not a KVM device
    problem = accel.kvm_problem(kvm_dev, sys_module(tmp_path))
    assert problem.startswith("%s does not answer KVM_GET_API_VERSION" % kvm_dev)


def test_other_api_version(tmp_path, kvm_dev):
    assert "KVM API version 11, not 12" in accel.kvm_problem(kvm_dev, sys_module(tmp_path), api(11))


@pytest.mark.parametrize("module,nested,words", [
    ("kvm_intel", "N", "kvm_intel has no nested virtualisation"),
    ("kvm_amd", "0", "kvm_amd has no nested virtualisation"),
    (None, None, "neither kvm_intel nor kvm_amd is loaded"),
])
def test_no_nested_virtualisation(tmp_path, kvm_dev, module, nested, words):
    mods = sys_module(tmp_path, module, nested)
    chosen, reason = accel.choose("auto", kvm_dev, mods, api(12))
    assert chosen == "tcg" and words in reason
    with pytest.raises(LabError, match="KVM was asked for .*" + words + "(.|\n)*fix:"):
        accel.choose("kvm", kvm_dev, mods, api(12))


def test_kvm_of_another_kind(tmp_path, kvm_dev):
    # as on this project's CI machines: /dev/kvm answers API 12, but KVM is kvm_pvm (no VMX/SVM to pass on)
    mods = tmp_path / "sys-module"
    (mods / "kvm" / "parameters").mkdir(parents=True)
    (mods / "kvm_pvm").mkdir()
    assert accel.choose("auto", kvm_dev, str(mods), api(12)) == (
        "tcg", "neither kvm_intel nor kvm_amd is loaded (KVM here is kvm_pvm): no VMX/SVM for Xen")


def test_tcg_when_asked_even_with_kvm(tmp_path, kvm_dev):
    assert accel.choose("tcg", kvm_dev, sys_module(tmp_path), api(12))[0] == "tcg"


def test_unknown_choice():
    with pytest.raises(LabError, match="unknown accelerator 'hvf'"):
        accel.choose("hvf")
