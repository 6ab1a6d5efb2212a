# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Control statuses and the registry of check functions (filled by checks.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

PASS = 'pass'
FAIL = 'fail'
UNKNOWN = 'unknown'
NA = 'not_applicable'
STATUSES = (PASS, FAIL, UNKNOWN, NA)

# check name (the catalogue's ``check`` field) -> function(facts, params) -> (status, detail)
CHECKS = {}


def check(name):
    """Register the decorated function as the check called ``name``; a name is registered once."""
    def register(func):
        if name in CHECKS:
            raise ValueError('check %r registered twice' % name)
        CHECKS[name] = func
        return func
    return register
