# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's one error type."""


class LabError(Exception):
    """An error with a message a person can act on (and usually the command that fixes it)."""
