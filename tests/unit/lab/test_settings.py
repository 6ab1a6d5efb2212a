# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's settings (tests/lab/xenlab/settings.py): one prefix, earlier names, one boot timeout."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

import pytest

from ansible_collections.xenguard.hardening.tests.lab.xenlab import settings
from ansible_collections.xenguard.hardening.tests.lab.xenlab.errors import LabError

PACKAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab", "xenlab")
DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "docs", "lab.md")


def test_prefix_default_and_empty():
    assert settings.env("BOOT_TIMEOUT", {}) == "600"
    assert settings.env("BOOT_TIMEOUT", {"XENLAB_BOOT_TIMEOUT": "900"}) == "900"
    assert settings.env("BOOT_TIMEOUT", {"XENLAB_BOOT_TIMEOUT": ""}) == "600"
    assert settings.env("MIRROR", {}) is None


def test_earlier_names_still_work_and_the_new_one_wins():
    assert settings.env("CACHE", {"XENGUARD_LAB_CACHE": "/old"}) == "/old"
    assert settings.env("CACHE", {"XENGUARD_LAB_CACHE": "/old", "XENLAB_CACHE": "/new"}) == "/new"
    assert settings.env("STATE", {"XENGUARD_LAB_STATE": "/s"}) == "/s"


def test_unknown_setting_is_a_programming_error():
    with pytest.raises(KeyError):
        settings.env("BOOT_TIMEOUTS", {})


def test_boot_timeout():
    assert settings.boot_timeout({}) == 600.0
    assert settings.boot_timeout({"XENLAB_BOOT_TIMEOUT": "1200"}) == 1200.0
    with pytest.raises(LabError, match="XENLAB_BOOT_TIMEOUT='soon' is not a number"):
        settings.boot_timeout({"XENLAB_BOOT_TIMEOUT": "soon"})


def test_flags():
    assert settings.flag("NO_SNAPSHOT", {"XENLAB_NO_SNAPSHOT": "1"}) is True
    assert settings.flag("NO_SNAPSHOT", {"XENLAB_NO_SNAPSHOT": "yes"}) is False
    assert settings.flag("NO_SNAPSHOT", {}) is False


def package_sources():
    for name in sorted(os.listdir(PACKAGE)):
        if name.endswith(".py"):
            with open(os.path.join(PACKAGE, name)) as f:
                yield name, f.read()


def test_the_environment_is_read_in_settings_only():
    for name, text in package_sources():
        if name == "settings.py":
            continue
        # PATH is the only variable read elsewhere (to find QEMU and the system tools)
        reads = re.findall(r"os\.environ(?:\.get)?\s*[\[(]\s*\"([A-Z_]+)", text)
        assert set(reads) <= {"PATH"}, (name, reads)
        assert "XENGUARD_LAB_" not in text, name


def test_every_setting_is_documented():
    with open(DOCS) as f:
        docs = f.read()
    for name in settings.SETTINGS:
        assert "XENLAB_" + name in docs, name
