# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KVM or software emulation (TCG) for the lab's QEMU.

KVM is used where it can run Xen with HVM guests: /dev/kvm opens read-write, answers KVM_GET_API_VERSION
with 12 (the only stable KVM API), and the loaded kvm_intel or kvm_amd module has nested virtualisation on
(Xen inside needs VMX or SVM of its own). Anything else is emulated (TCG). XENLAB_ACCEL or --accel says
auto (the default: detect), kvm (fail when KVM is not usable) or tcg (emulate even where KVM works)."""

import fcntl
import os

from .errors import LabError

CHOICES = ("auto", "kvm", "tcg")
KVM_GET_API_VERSION = 0xAE00    # _IO(KVMIO = 0xAE, 0x00), linux/kvm.h
KVM_API_VERSION = 12
KVM_MODULES = ("kvm_intel", "kvm_amd")


def kvm_api_version(fd):
    """KVM_GET_API_VERSION on an open /dev/kvm."""
    return fcntl.ioctl(fd, KVM_GET_API_VERSION)


def nested_state(sys_module="/sys/module"):
    """(module, value of its `nested` parameter) of the loaded KVM vendor module, or (None, None)."""
    for module in KVM_MODULES:
        path = os.path.join(sys_module, module, "parameters", "nested")
        try:
            with open(path) as f:
                return module, f.read().strip()
        except OSError:
            continue
    return None, None


def kvm_problem(kvm_dev="/dev/kvm", sys_module="/sys/module", api_version=kvm_api_version):
    """Why KVM cannot run the lab here (None: it can). Parameters: the device and /sys/module to read, and
    the ioctl (the unit tests give a file and a function of their own)."""
    try:
        fd = os.open(kvm_dev, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return "no %s" % kvm_dev
    except OSError as e:
        return "%s cannot be opened read-write: %s" % (kvm_dev, e.strerror)
    try:
        version = api_version(fd)
    except OSError as e:
        return "%s does not answer KVM_GET_API_VERSION: %s" % (kvm_dev, e.strerror)
    finally:
        os.close(fd)
    if version != KVM_API_VERSION:
        return "%s has KVM API version %s, not %d" % (kvm_dev, version, KVM_API_VERSION)
    module, nested = nested_state(sys_module)
    if module is None:
        others = sorted(m for m in os.listdir(sys_module) if m.startswith("kvm_")) if os.path.isdir(sys_module) else []
        return "neither kvm_intel nor kvm_amd is loaded%s: no VMX/SVM for Xen" % (
            " (KVM here is %s)" % ", ".join(others) if others else "")
    if nested not in ("Y", "y", "1"):
        return ("%s has no nested virtualisation (%s/%s/parameters/nested is %s); Xen needs VMX/SVM inside"
                % (module, sys_module, module, nested or "empty"))
    return None


def choose(want, kvm_dev="/dev/kvm", sys_module="/sys/module", api_version=kvm_api_version):
    """(accel, reason): accel is "kvm" or "tcg", reason the words `up` prints after it."""
    if want not in CHOICES:
        raise LabError("unknown accelerator %r (XENLAB_ACCEL or --accel: %s)" % (want, ", ".join(CHOICES)))
    if want == "tcg":
        return "tcg", "asked for (XENLAB_ACCEL or --accel)"
    problem = kvm_problem(kvm_dev, sys_module, api_version)
    if problem is None:
        module = nested_state(sys_module)[0]
        return "kvm", "%s usable, %s with nested virtualisation%s" % (
            kvm_dev, module, "" if want == "auto" else "; asked for")
    if want == "kvm":
        raise LabError("KVM was asked for (XENLAB_ACCEL=kvm or --accel kvm) but cannot be used: %s\n"
                       "  fix: load the module with nested virtualisation (e.g. `modprobe -r kvm_intel && "
                       "modprobe kvm_intel nested=1`, as root, with no VM running), give this user read-write "
                       "access to %s, or use --accel tcg" % (problem, kvm_dev))
    return "tcg", problem
