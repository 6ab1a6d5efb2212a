# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the fleet's lab host showed, kept beside the test results: `make molecule-scenario` sets
XG_EVIDENCE_DIR (build/evidence/<scenario>@<dist>/) and prints each file after the scenario, so a CI log
shows the real output (xl create -n, xl list with the stub domain, the PV-GRUB2 boot) and not only "passed"."""

import os

import pytest


@pytest.fixture
def evidence():
    """record(name, text): write text to <XG_EVIDENCE_DIR>/<name>.txt (nothing when the variable is unset)."""
    def record(name, text):
        where = os.environ.get("XG_EVIDENCE_DIR")
        if not where:
            return
        os.makedirs(where, exist_ok=True)
        with open(os.path.join(where, name + ".txt"), "w") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
    return record
