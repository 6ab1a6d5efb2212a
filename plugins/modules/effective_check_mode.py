#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: effective_check_mode
short_description: Whether the task runs in check mode, however check mode was set
version_added: 0.1.0
description:
  - Runs on the Ansible controller (an action plugin) and asks nothing of the host. Returns
    RV(check_mode), true when the task runs in check mode - set with C(--check) or with C(check_mode)
    on the play, a block, a role or the task.
  - The variable C(ansible_check_mode) follows C(--check) only, so a play whose C(check_mode) is true
    would see it false. The collection's roles register this module before a step that differs in
    check mode (a unit file not written yet, a package not installed yet, a network change with its
    rollback armed, a reboot).
  - Takes no options.
author: xenguard maintainers (@xenguard)
options: {}
attributes:
  check_mode:
    support: full
    description: Says whether it runs in check mode; changes nothing in either mode.
  diff_mode:
    support: none
    description: Nothing to show.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
notes:
  - Only as an action on the controller; the module itself does nothing on a host.
'''

EXAMPLES = r'''
- name: Is this check mode (also when set by the play)?
  xenguard.hardening.effective_check_mode:
  register: probe

- name: Write the unit only for real
  ansible.builtin.debug:
    msg: the unit would be written
  when: probe.check_mode
'''

RETURN = r'''
check_mode:
  description: True when the task runs in check mode.
  returned: always
  type: bool
  sample: true
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.fail_json(msg='effective_check_mode runs as an action on the controller; it cannot run as a module on a host')


if __name__ == '__main__':
    main()
