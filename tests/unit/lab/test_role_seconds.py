# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.xenguard.hardening.tests.lab import role_seconds


def _run(directory, name, tasks, seconds, mtime):
    path = os.path.join(str(directory), name)
    with open(path, 'w') as handle:
        json.dump({'seconds': seconds, 'tasks': tasks}, handle)
    os.utime(path, (mtime, mtime))


def test_roles_by_run_in_the_order_they_ran(tmp_path, capsys):
    # written out of name order: converge-2 (the idempotence run) after converge-1, prepare first
    _run(tmp_path, 'converge-2.json', [{'role': 'iommu', 'seconds': 3.2}, {'role': 'reboot', 'seconds': 1.0}], 5.0, 300)
    _run(tmp_path, 'prepare-1.json', [{'role': '', 'seconds': 40.4}], 41.0, 100)
    _run(tmp_path, 'converge-1.json', [{'role': 'iommu', 'seconds': 10.6}, {'role': 'iommu', 'seconds': 2.0},
                                       {'role': 'reboot', 'seconds': 60.0}], 73.9, 200)
    (tmp_path / 'notes.txt').write_text('not a run')
    assert role_seconds.main(['role_seconds.py', str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ['role', 'prepare-1', 'converge-1', 'converge-2']
    assert lines[2].split() == ['(play)', '40', '-', '-']
    assert lines[3].split() == ['iommu', '-', '13', '3']
    assert lines[4].split() == ['reboot', '-', '60', '1']
    assert lines[5].split() == ['total', '41', '74', '5']


def test_nothing_recorded_is_said(tmp_path, capsys):
    assert role_seconds.main(['role_seconds.py', str(tmp_path)]) == 0
    assert 'no playbook run recorded' in capsys.readouterr().out
    assert role_seconds.main(['role_seconds.py']) == 2
