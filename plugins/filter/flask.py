# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter of the flask role (its inputs are checked by ``xenguard_input_problems``).

- ``xen_flask_guest_plan``: the FLASK type of each guest configuration and the settings that label it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.xenguard.hardening.plugins.module_utils import flasklabel


def xen_flask_guest_plan(configs, options):
    """The type of each guest configuration (see module_utils/flasklabel.plan_guests)."""
    if not isinstance(configs, dict) or not isinstance(options, dict):
        raise AnsibleFilterError('xen_flask_guest_plan: give the guest configurations xen_facts read '
                                 '(ansible_facts.xen.guest_configs) and a mapping of options')
    return flasklabel.plan_guests(configs, options)


class FilterModule(object):
    def filters(self):
        return {
            'xen_flask_guest_plan': xen_flask_guest_plan,
        }
