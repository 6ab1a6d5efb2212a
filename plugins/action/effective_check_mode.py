# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""effective_check_mode runs on the controller: it says whether the task runs in check mode, however that
was set (--check, or check_mode on the play, a block, a role or the task). ansible_check_mode follows
--check only, so the roles ask this action before anything they would do differently in check mode.
The documentation is in plugins/modules/effective_check_mode.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        if self._task.args:
            # ActionBase checks _VALID_ARGS only when it is not empty
            raise AnsibleActionFail('effective_check_mode takes no options; got: %s'
                                    % ', '.join(sorted(self._task.args)))
        result = super(ActionModule, self).run(tmp, task_vars)
        # the same setting Ansible gives a module as _ansible_check_mode
        result.update(changed=False, check_mode=bool(self._task.check_mode))
        return result
