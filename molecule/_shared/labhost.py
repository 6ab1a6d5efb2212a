# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Molecule tests read from a lab host, through the collection's own parsers.

The tests import this file from molecule/_shared; it finds the collection copy the Makefile installs
(ANSIBLE_COLLECTIONS_PATH, else .cache/collections of the project), so a test reads `xl info` and the
booted Xen command line exactly as xen_facts does instead of parsing them a second time.
"""

import json
import os
import sys


def _collection_roots():
    roots = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]
    project = os.environ.get("MOLECULE_PROJECT_DIRECTORY")
    if project:
        roots.append(os.path.join(project, ".cache", "collections"))
    return roots


for _root in _collection_roots():
    if os.path.isdir(os.path.join(_root, "ansible_collections", "xenguard", "hardening")):
        if _root not in sys.path:
            sys.path.insert(0, _root)
        break

from ansible_collections.xenguard.hardening.plugins.module_utils.xl import parse_xl_info  # noqa: E402
from ansible_collections.xenguard.hardening.plugins.module_utils.xencmdline import split as split_xen_cmdline  # noqa: E402
from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import XlConfig  # noqa: E402


def xl_info(host):
    """`xl info` of the host as xen_facts parses it."""
    return parse_xl_info(host.check_output("xl info"))


def booted_cmdline(host):
    """The booted Xen command line as tokens (GRUB's placeholder word dropped)."""
    info = xl_info(host)
    assert "xen_commandline" in info, "xl info has no xen_commandline"
    return split_xen_cmdline(info["xen_commandline"])


def xl_config_keys(text):
    """The settings of an xl configuration file (or xl.conf) as xl reads them."""
    return XlConfig.parse(text).as_dict()


def lab_state(name):
    """The state.json tests/lab/xenlab.py keeps for the scenario's lab host `name` (ports, the guest wire's
    namespace and tap as guest_tap)."""
    root = os.environ.get("XENLAB_STATE") or os.environ.get("XENGUARD_LAB_STATE") or os.path.join(
        os.environ["MOLECULE_PROJECT_DIRECTORY"], "lab-state")
    with open(os.path.join(root, "molecule-" + os.environ["MOLECULE_SCENARIO_NAME"], name, "state.json")) as f:
        return json.load(f)
