# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The xenguard.hardening lab tool (docs/lab.md): `python3 tests/lab/xenlab.py --help`.

The code is the package tests/lab/xenlab/ next to this file; this script only runs its command line."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from xenlab.cli import main  # noqa: E402  pylint: disable=wrong-import-position

if __name__ == "__main__":
    sys.exit(main())
