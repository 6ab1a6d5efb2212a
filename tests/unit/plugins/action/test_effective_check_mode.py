# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The effective_check_mode action, run by ansible-playbook: check mode however it was set (--check, the play,
a block, the task, a role), where ansible_check_mode follows --check only; and a task that turns check mode off
under --check."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import sys

from ansible_collections.xenguard.hardening.tests.unit.helpers import run_playbook

PLAYBOOK = '''
- hosts: localhost
  gather_facts: false
{play}  tasks:
    - name: plain
      xenguard.hardening.effective_check_mode:
      register: plain
    - name: in a block with check mode on
      check_mode: true
      block:
        - xenguard.hardening.effective_check_mode:
          register: block_on
    - name: task with check mode off
      xenguard.hardening.effective_check_mode:
      check_mode: false
      register: task_off
    - name: the results
      ansible.builtin.copy:
        content: "{{{{ {{'plain': plain, 'block_on': block_on, 'task_off': task_off, 'ansible_check_mode': ansible_check_mode}} | to_json }}}}"
        dest: "{{{{ result_file }}}}"
        mode: "0644"
      check_mode: false
'''


def run(tmp_path, play, *args):
    book = tmp_path / 'book.yml'
    book.write_text(PLAYBOOK.format(play='' if play is None else '  check_mode: %s\n' % play))
    result = tmp_path / 'result.json'
    proc = run_playbook(tmp_path, '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=' + sys.executable,
                        '-e', 'result_file=' + str(result), str(book), *args)
    assert proc.returncode == 0, proc.stdout
    return json.loads(result.read_text())


def modes(found):
    return dict((name, found[name]['check_mode']) for name in ('plain', 'block_on', 'task_off'))


def test_no_check_mode_anywhere_but_the_block(tmp_path):
    found = run(tmp_path, 'false')
    assert modes(found) == {'plain': False, 'block_on': True, 'task_off': False}
    assert found['ansible_check_mode'] is False
    assert [found[name]['changed'] for name in ('plain', 'block_on', 'task_off')] == [False, False, False]


def test_check_mode_set_by_the_play_which_ansible_check_mode_does_not_see(tmp_path):
    found = run(tmp_path, 'true')
    assert modes(found) == {'plain': True, 'block_on': True, 'task_off': False}
    assert found['ansible_check_mode'] is False


def test_check_mode_from_the_command_line(tmp_path):
    found = run(tmp_path, None, '--check')
    assert modes(found) == {'plain': True, 'block_on': True, 'task_off': False}
    assert found['ansible_check_mode'] is True


def test_options_are_refused(tmp_path):
    book = tmp_path / 'bad.yml'
    book.write_text('- hosts: localhost\n  gather_facts: false\n  tasks:\n'
                    '    - xenguard.hardening.effective_check_mode:\n        check: true\n')
    proc = run_playbook(tmp_path, '-i', 'localhost,', '-c', 'local', str(book))
    assert proc.returncode == 2
    assert 'effective_check_mode takes no options; got: check' in proc.stdout
