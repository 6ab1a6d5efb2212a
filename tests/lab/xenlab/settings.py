# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's settings from the environment: every one is XENLAB_<NAME>, read here and nowhere else."""

import os

from .errors import LabError

PREFIX = "XENLAB_"

# NAME: (default, what it sets). bench.py, demo.sh and the Molecule scenarios read XENLAB_DIST themselves.
SETTINGS = {
    "CACHE": (None, "cache of images, snapshots and the lab ssh key (default ~/.cache/xenguard-lab)"),
    "STATE": (None, "directory of instance states (default lab-state/ in the repository)"),
    "MIRROR": (None, "Debian mirror for debootstrap (default: read from this machine's apt sources)"),
    "BOOT_TIMEOUT": ("600", "seconds `up`, `wait-ssh`, `reboot` and `build` wait for ssh and `xl info`"),
    "SMP": ("2", "vCPUs of a lab host"),
    "MAX_VMS": ("2", "QEMU VMs this machine runs at once; `up` and `build` wait for a free slot"),
    "SLOT_TIMEOUT": ("1800", "seconds to wait for a free VM slot"),
    "VERIFY_BUILD": (None, "1: `build --verify` by default"),
    "RESET": ("power-cycle", "what a reboot of a lab host does: power-cycle or warm (`up --reset`)"),
    "NO_SNAPSHOT": (None, "1: `up --no-snapshot` by default"),
    "ACCEL": ("auto", "auto, kvm or tcg (`up --accel`, `build --accel`)"),
}

# Earlier names of two settings, still read when the XENLAB_ name is not set.
LEGACY_NAMES = {"CACHE": "XENGUARD_LAB_CACHE", "STATE": "XENGUARD_LAB_STATE"}


def env(name, environ=None):
    """The value of setting NAME (XENLAB_NAME, or its earlier name), else its default. Empty means unset."""
    if name not in SETTINGS:
        raise KeyError("unknown lab setting %s%s" % (PREFIX, name))
    environ = os.environ if environ is None else environ
    value = environ.get(PREFIX + name)
    if not value and name in LEGACY_NAMES:
        value = environ.get(LEGACY_NAMES[name])
    return value if value else SETTINGS[name][0]


def flag(name, environ=None):
    """A yes/no setting: set to 1."""
    return env(name, environ) == "1"


def number(name, environ=None, cast=float):
    value = env(name, environ)
    try:
        return cast(value)
    except (TypeError, ValueError):
        raise LabError("%s%s=%r is not a number\n  fix: unset it (default %s) or set a number"
                       % (PREFIX, name, value, SETTINGS[name][0])) from None


def boot_timeout(environ=None):
    """Seconds to wait for a boot (or a restore, or a reboot) to answer over ssh: XENLAB_BOOT_TIMEOUT."""
    return number("BOOT_TIMEOUT", environ)
