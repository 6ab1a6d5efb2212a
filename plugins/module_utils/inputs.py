# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Words and readings every role's input check shares: what a value is, in words for an error message,
and how a boolean or a whole number given as YAML or as a string is read (as Ansible reads them)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# Ansible's boolean words (module_utils.parsing.convert_bool), lower-cased
BOOL_STRINGS = ('yes', 'no', 'true', 'false', 'on', 'off', '1', '0', 'y', 'n', 't', 'f')
TRUE_STRINGS = ('yes', 'true', 'on', '1', 'y', 't')
# Paths that reach a shell script, a sed expression, a GRUB menu or a command line
SAFE_PATH_RE = re.compile(r'^/[A-Za-z0-9_.+@/-]*$')
# a SHA-256 in hex, a Debian package name (Debian policy 5.6.1), a FLASK label user:role:type
SHA256_RE = re.compile(r'^[0-9a-fA-F]{64}$')
PACKAGE_RE = re.compile(r'^[a-z0-9][a-z0-9+.-]+$')
SECLABEL_RE = re.compile(r'^[A-Za-z0-9_]+:[A-Za-z0-9_]+:[A-Za-z0-9_]+$')


def is_safe_path(value):
    """An absolute path of letters, digits and _ . + @ / - only, without a .. component."""
    return isinstance(value, str) and bool(SAFE_PATH_RE.match(value)) and '/../' not in value + '/'


def kind(value):
    """What a value is, for "NAME is <kind>; give ..." messages."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'a boolean (%s)' % value
    if isinstance(value, int):
        return 'the number %d' % value
    if isinstance(value, float):
        return 'the number %r' % value
    if isinstance(value, str):
        return 'the string %r' % value
    if isinstance(value, dict):
        return 'a mapping'
    if isinstance(value, (list, tuple)):
        return 'a list'
    return 'a %s' % type(value).__name__


def is_bool(value):
    return isinstance(value, bool) or (isinstance(value, str) and value.lower() in BOOL_STRINGS)


def truthy(value):
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.lower() in TRUE_STRINGS


def as_int(value):
    """A whole number given as an int or a string of digits; None for anything else (booleans too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r'^[0-9]+$', value.strip()):
        return int(value)
    return None
