# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only module of the bad-input suite: sets ansible_facts.xen from a JSON file (facts that
xenguard.hardening.xen_facts gathered from recorded output), so that the roles run on a machine
that is not a Xen dom0."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: xen_facts_fixture
short_description: Set ansible_facts.xen from a JSON file (tests only)
description: Reads the file and returns its content as C(ansible_facts.xen).
options:
  path:
    description: The JSON file.
    type: path
    required: true
author: xenguard maintainers (@xenguard)
'''

import json

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(path=dict(type='path', required=True)), supports_check_mode=True)
    with open(module.params['path']) as handle:
        facts = json.load(handle)
    module.exit_json(changed=False, ansible_facts={'xen': facts})


if __name__ == '__main__':
    main()
