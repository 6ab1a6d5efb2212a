# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter of the stubdom role (its inputs are checked by ``xenguard_input_problems``).

- ``xen_stubdom_plan``: what the role does to each HVM guest configuration (stub domain or dm_restrict).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.xenguard.hardening.plugins.module_utils import stubdom


def xen_stubdom_plan(facts, options):
    """What the stubdom role does to each HVM guest (see module_utils/stubdom.plan_guests)."""
    if not isinstance(facts, dict) or not isinstance(options, dict):
        raise AnsibleFilterError('xen_stubdom_plan: give the xen facts and a mapping of options')
    return stubdom.plan_guests(facts, options)


class FilterModule(object):
    def filters(self):
        return {
            'xen_stubdom_plan': xen_stubdom_plan,
        }
