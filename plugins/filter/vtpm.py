# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter of the vtpm role (its inputs are checked by ``xenguard_input_problems``).

- ``xenguard_vtpm_guest_plan``: the guest entries of ``xenguard_vtpm_guests`` with every default filled in
  (the vTPM domain's name, configuration and disk paths).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.xenguard.hardening.plugins.module_utils import vtpm


def xenguard_vtpm_guest_plan(guests, state_dir, config_dir):
    """The guest entries with every default filled in (see module_utils/vtpm.guest_plan)."""
    if not isinstance(guests, (list, tuple)):
        raise AnsibleFilterError('xenguard_vtpm_guest_plan: give the list xenguard_vtpm_guests')
    return vtpm.guest_plan(guests, state_dir, config_dir)


class FilterModule(object):
    """xenguard.hardening filters of the vtpm role."""

    def filters(self):
        return {'xenguard_vtpm_guest_plan': xenguard_vtpm_guest_plan}
