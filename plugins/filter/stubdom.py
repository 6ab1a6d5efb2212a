# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the stubdom role.

- ``xen_stubdom_input_problems``: what is wrong with the role's variables, each problem saying what to do.
- ``xen_stubdom_plan``: what the role does to each HVM guest configuration (stub domain or dm_restrict).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.xenguard.hardening.plugins.module_utils import stubdom
from ansible_collections.xenguard.hardening.plugins.module_utils.inputs import (
    BOOL_STRINGS, as_int as _int, kind as _kind)

SAFE_PATH_RE = re.compile(r'^/[A-Za-z0-9_.+@/-]*$')
SHA256_RE = re.compile(r'^[0-9a-fA-F]{64}$')
PACKAGE_RE = re.compile(r'^[a-z0-9][a-z0-9+.-]+$')
LABEL_RE = re.compile(r'^[A-Za-z0-9_]+:[A-Za-z0-9_]+:[A-Za-z0-9_]+$')


def xen_stubdom_input_problems(values):
    """The problems of the stubdom role's variables (name -> value), as sentences; empty when usable."""
    if not isinstance(values, dict):
        raise AnsibleFilterError('xen_stubdom_input_problems: give a mapping of variable name to value')
    problems = []

    def bad(name, text):
        problems.append('%s: %s.' % (name, text))

    def choice(name, choices):
        if name in values and values[name] not in choices:
            bad(name, 'is %s; use one of %s' % (_kind(values[name]), ', '.join(choices)))

    choice('xenguard_stubdom_mode', ('auto', 'stubdomain', 'restrict'))
    choice('xenguard_stubdom_images', ('build', 'supplied', 'none'))
    choice('xenguard_stubdom_dm_user_mode', ('per_guest', 'range'))
    for name in ('xenguard_stubdom_kernel', 'xenguard_stubdom_rootfs', 'xenguard_stubdom_firmware_dir'):
        value = values.get(name, '')
        if value in ('', None):
            continue
        if not isinstance(value, str) or not SAFE_PATH_RE.match(value) or '/../' in value + '/':
            bad(name, 'is %s; give an absolute path of letters, digits and _ . + @ / - only' % _kind(value))
    if values.get('xenguard_stubdom_images') == 'supplied' and values.get('xenguard_stubdom_mode') != 'restrict':
        for name in ('xenguard_stubdom_kernel', 'xenguard_stubdom_rootfs'):
            if not values.get(name):
                bad(name, 'is empty, but xenguard_stubdom_images=supplied needs the image (and its SHA-256 in '
                          '%s_sha256); or set xenguard_stubdom_images=build to build it here' % name)
            sha = values.get(name + '_sha256')
            if not isinstance(sha, str) or not SHA256_RE.match(sha):
                bad(name + '_sha256', 'is %s, not a SHA-256 (64 hex digits); give the output of sha256sum for %s'
                    % (_kind(sha), name))
    packages = values.get('xenguard_stubdom_build_packages', [])
    names_ok = isinstance(packages, (list, tuple)) and all(isinstance(p, str) and PACKAGE_RE.match(p) for p in packages)
    if not names_ok:
        bad('xenguard_stubdom_build_packages', 'is %s; give a list of Debian package names' % _kind(packages))
    busybox = values.get('xenguard_stubdom_busybox_package', 'busybox-static')
    if not isinstance(busybox, str) or not PACKAGE_RE.match(busybox):
        bad('xenguard_stubdom_busybox_package', 'is %s; give a Debian package name, for example busybox-static'
            % _kind(busybox))
    memory = _int(values.get('xenguard_stubdom_memory', 128))
    if memory is None or not 64 <= memory <= 4096:
        bad('xenguard_stubdom_memory', 'is %s; give the stub domain memory in MiB, from 64 to 4096 (libxl\'s '
                                       'default is 128)' % _kind(values.get('xenguard_stubdom_memory')))
    base = _int(values.get('xenguard_stubdom_dm_user_range_base', 131072))
    if base is None or base < 1000 or base + 32752 > 2 ** 31:
        bad('xenguard_stubdom_dm_user_range_base', 'is %s; give the first UID of a free range of 32752 UIDs, for '
            'example 131072 (qemu-deprivilege.pandoc)' % _kind(values.get('xenguard_stubdom_dm_user_range_base')))
    label = values.get('xenguard_stubdom_seclabel', '')
    if label not in ('', None) and (not isinstance(label, str) or not LABEL_RE.match(label)):
        bad('xenguard_stubdom_seclabel', 'is %s; give a FLASK label user:role:type, for example '
                                         'system_u:system_r:dm_dom_t' % _kind(label))
    for name in ('xenguard_stubdom_guests', 'xenguard_stubdom_exclude'):
        value = values.get(name, [])
        if not isinstance(value, (list, tuple)) or not all(isinstance(g, str) and g for g in value):
            bad(name, 'is %s; give a list of guest names or configuration paths' % _kind(value))
    backup = values.get('xenguard_stubdom_backup', True)
    if not (isinstance(backup, bool) or (isinstance(backup, str) and backup.lower() in BOOL_STRINGS)):
        bad('xenguard_stubdom_backup', 'is %s, not a boolean; use true or false' % _kind(backup))
    return problems


def xen_stubdom_plan(facts, options):
    """What the stubdom role does to each HVM guest (see module_utils/stubdom.plan_guests)."""
    if not isinstance(facts, dict) or not isinstance(options, dict):
        raise AnsibleFilterError('xen_stubdom_plan: give the xen facts and a mapping of options')
    return stubdom.plan_guests(facts, options)


class FilterModule(object):
    def filters(self):
        return {
            'xen_stubdom_input_problems': xen_stubdom_input_problems,
            'xen_stubdom_plan': xen_stubdom_plan,
        }
