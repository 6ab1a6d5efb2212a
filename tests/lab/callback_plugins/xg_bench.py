# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback of `make bench` (tests/lab/bench_fleet.py): for every task, its wall time (from its start to
the start of the next task, as a profile does) and what each host did in it; for every host, how many
task results came from a module that ran on that host. Written as JSON to $XG_BENCH_JSON at the end of
the playbook; prints nothing. When $XG_BENCH_JSON ends with "/", it is a directory and every playbook run
writes a file of its own there, <playbook>-<n>.json (the lab scenarios' per-role seconds,
tests/lab/role_seconds.py).

A result counts as a module call on the host when the task was not delegated to another host and the
result (or, for a loop, each item's result) carries the module's `invocation` (every module built on
AnsibleModule returns it, from ansible-core 2.21 only with ANSIBLE_INJECT_INVOCATION=True, which
bench_fleet.py sets; controller-side actions such as set_fact, debug or fail never do)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = '''
    name: xg_bench
    type: aggregate
    short_description: task wall times and module calls per host, as JSON (make bench)
    description:
      - Writes the file named by the environment variable XG_BENCH_JSON when the playbook ends.
    requirements:
      - enabled in ANSIBLE_CALLBACKS_ENABLED, found through ANSIBLE_CALLBACK_PLUGINS
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'xg_bench'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._start = time.monotonic()
        self._tasks = []
        self._current = None
        self._module_calls = {}
        self._results = {}
        self._failures = {}
        self._playbook = 'playbook'

    def v2_playbook_on_start(self, playbook):
        self._playbook = os.path.splitext(os.path.basename(getattr(playbook, '_file_name', '') or 'playbook'))[0]

    def _close_current(self):
        if self._current is not None:
            self._current['seconds'] = round(time.monotonic() - self._current.pop('_t0'), 3)
            self._current = None

    def _task_start(self, task):
        self._close_current()
        role = task._role.get_name() if task._role else ''
        self._current = {'name': task.get_name(), 'role': role, 'action': task.action, 'hosts': {}, '_t0': time.monotonic()}
        self._tasks.append(self._current)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_start(task)

    def _record(self, result, outcome):
        host = result._host.get_name()
        self._results.setdefault(host, {}).setdefault(outcome, 0)
        self._results[host][outcome] += 1
        if self._current is not None:
            self._current['hosts'][host] = outcome
        delegated = result._task.delegate_to
        on_host = not delegated or delegated == host
        calls = 0
        if outcome != 'skipped' and on_host and isinstance(result._result, dict):
            # a loop's result holds one result per item
            items = result._result.get('results') if isinstance(result._result.get('results'), list) else [result._result]
            calls = sum(1 for item in items if isinstance(item, dict) and 'invocation' in item)
        self._module_calls[host] = self._module_calls.get(host, 0) + calls

    def v2_runner_on_ok(self, result):
        self._record(result, 'changed' if result._result.get('changed') else 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')
        msg = str(result._result.get('msg', '')).strip().splitlines() if isinstance(result._result, dict) else []
        self._failures.setdefault(result._host.get_name(), []).append(msg[0] if msg else '(no message)')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        self._close_current()
        path = os.environ.get('XG_BENCH_JSON')
        if not path:
            return
        data = {'seconds': round(time.monotonic() - self._start, 3), 'tasks': self._tasks,
                'module_calls': self._module_calls, 'results': self._results, 'failures': self._failures}
        if path.endswith('/'):
            os.makedirs(path, exist_ok=True)
            n = 1
            while os.path.exists(os.path.join(path, '%s-%d.json' % (self._playbook, n))):
                n += 1
            path = os.path.join(path, '%s-%d.json' % (self._playbook, n))
            data['playbook'] = self._playbook
        with open(path, 'w') as handle:
            json.dump(data, handle, indent=1)
