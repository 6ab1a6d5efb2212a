# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seconds per role of each playbook run of a lab scenario, from the xg_bench callback's files.

usage: role_seconds.py DIR   (DIR holds <playbook>-<n>.json, written with XG_BENCH_JSON=DIR/)

Prints one table: a row per role (tasks outside a role: "(play)"), a column per playbook run in the order
they ran (converge-1 is the converge, converge-2 molecule's idempotence run), and the total of each run.
The figures are wall time from a task's start to the next task's start, so a reboot counts in the task
that waits for it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import re
import sys


def load(directory):
    runs = []
    for path in glob.glob(os.path.join(directory, '*.json')):
        match = re.match(r'^(.*)-([0-9]+)\.json$', os.path.basename(path))
        if not match:
            continue
        with open(path) as handle:
            data = json.load(handle)
        runs.append((os.path.getmtime(path), '%s-%s' % match.groups(), data))
    return [run[1:] for run in sorted(runs, key=lambda run: run[0])]


def table(runs):
    roles, sums = [], []
    for _name, data in runs:
        per = {}
        for task in data.get('tasks', []):
            role = task.get('role') or '(play)'
            if role not in roles:
                roles.append(role)
            per[role] = per.get(role, 0.0) + float(task.get('seconds') or 0)
        sums.append(per)
    head = ['role'] + [run[0] for run in runs]
    rows = [[role] + ['%.0f' % per[role] if role in per else '-' for per in sums] for role in roles]
    rows.append(['total'] + ['%.0f' % float(data.get('seconds') or 0) for _name, data in runs])
    widths = [max(len(str(row[i])) for row in [head] + rows) for i in range(len(head))]
    return '\n'.join('  '.join(str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
                               for i, cell in enumerate(row)) for row in [head] + rows)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    runs = load(argv[1])
    if not runs:
        print('role_seconds: no playbook run recorded in %s' % argv[1])
        return 0
    print('seconds per role and playbook run (%s):' % argv[1])
    print(table(runs))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
