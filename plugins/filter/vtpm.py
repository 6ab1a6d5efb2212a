# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the vtpm role.

- ``xenguard_vtpm_problems``: what is wrong with the vtpm role's variables, each problem saying what is wrong
  and what to do (checked before anything is read or changed).
- ``xenguard_vtpm_guest_plan``: the guest entries of ``xenguard_vtpm_guests`` with every default filled in
  (the vTPM domain's name, configuration and disk paths).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.xenguard.hardening.plugins.module_utils import vtpm


def xenguard_vtpm_problems(values):
    """The problems of the vtpm role's variables ``values`` (name -> value), one sentence each."""
    if not isinstance(values, dict):
        raise AnsibleFilterError('xenguard_vtpm_problems: give a mapping of variable name to value')
    return vtpm.problems(values)


def xenguard_vtpm_guest_plan(guests, state_dir, config_dir):
    """The guest entries with every default filled in (see module_utils/vtpm.guest_plan)."""
    if not isinstance(guests, (list, tuple)):
        raise AnsibleFilterError('xenguard_vtpm_guest_plan: give the list xenguard_vtpm_guests')
    return vtpm.guest_plan(guests, state_dir, config_dir)


class FilterModule(object):
    """xenguard.hardening filters of the vtpm role."""

    def filters(self):
        return {'xenguard_vtpm_problems': xenguard_vtpm_problems,
                'xenguard_vtpm_guest_plan': xenguard_vtpm_guest_plan}
