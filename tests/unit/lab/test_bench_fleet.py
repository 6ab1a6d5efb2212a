# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What `make bench` counts, without a lab host: the callback tests/lab/callback_plugins/xg_bench.py counts a
module call only for a result of a module that ran on the host (not set_fact, debug, fail, a skipped task or
a task delegated elsewhere; each item of a loop), and playbooks/audit.yml makes exactly one module call per
host on 5 local aliases (this machine is no dom0: xen_facts says so, the audit still calls it once per host).
The -vvv counter of tests/lab/bench_fleet.py counts ssh's python starts and nothing else."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib.util
import json
import os
import sys

import pytest

from ansible_collections.xenguard.hardening.tests.unit.helpers import run_playbook

LAB = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'lab')
ROOT = os.path.abspath(os.path.join(LAB, '..', '..'))

PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: a fact (controller)
      ansible.builtin.set_fact:
        x: 1
    - name: a message (controller)
      ansible.builtin.debug:
        msg: hello
    - name: one module
      ansible.builtin.command:
      args:
        argv: ["true"]
      changed_when: false
    - name: a loop of two modules
      ansible.builtin.stat:
        path: "{{ item }}"
      loop: [/, /tmp]
    - name: skipped
      ansible.builtin.command:
        argv: ["true"]
      when: false
    - name: delegated to the other host
      ansible.builtin.command:
        argv: ["true"]
      delegate_to: "{{ 'h2' if inventory_hostname == 'h1' else 'h1' }}"
      changed_when: false
    - name: a failing module, ignored
      ansible.builtin.command:
        argv: ["false"]
      ignore_errors: true
"""


def run_bench_playbook(tmp_path, playbook, hosts, *extra):
    inventory = tmp_path / 'inventory.json'
    inventory.write_text(json.dumps({'all': {'children': {'xen_hosts': {'hosts': dict(
        (h, {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}) for h in hosts)}}}}))
    out = tmp_path / 'bench.json'
    proc = run_playbook(tmp_path, '-i', str(inventory), playbook, *extra, timeout=300,
                        ANSIBLE_CALLBACK_PLUGINS=os.path.join(LAB, 'callback_plugins'), ANSIBLE_CALLBACKS_ENABLED='xg_bench',
                        ANSIBLE_INJECT_INVOCATION='True', XG_BENCH_JSON=str(out))
    assert out.exists(), proc.stdout[-3000:]
    return proc.returncode, json.loads(out.read_text())


def test_callback_counts_modules_that_ran_on_the_host(tmp_path):
    book = tmp_path / 'book.yml'
    book.write_text(PLAYBOOK)
    rc, data = run_bench_playbook(tmp_path, str(book), ['h1', 'h2'])
    assert rc == 0
    # command + two loop items + the failing command; not set_fact, debug, the skipped or the delegated task
    assert data['module_calls'] == {'h1': 4, 'h2': 4}
    names = ['a fact (controller)', 'a message (controller)', 'one module', 'a loop of two modules', 'skipped',
             'delegated to the other host', 'a failing module, ignored']
    assert [t['name'] for t in data['tasks']] == names
    assert data['tasks'][4]['hosts'] == {'h1': 'skipped', 'h2': 'skipped'}
    assert all(t['seconds'] >= 0 for t in data['tasks'])
    # the command module's message: 'non-zero return code' (2.19), 'The command exited with a non-zero return code.'
    assert len(data['failures']['h1']) == 1 and 'non-zero return code' in data['failures']['h1'][0]


def test_audit_makes_one_module_call_per_host(tmp_path):
    hosts = ['fleet%02d' % i for i in range(1, 6)]
    rc, data = run_bench_playbook(tmp_path, os.path.join(ROOT, 'playbooks', 'audit.yml'), hosts,
                                  '-e', 'ansible_become=false', '-e', 'xenguard_report_dir=%s' % (tmp_path / 'report'))
    # no host here is a Xen dom0: the third play fails them all, after the report is written
    assert rc != 0 and (tmp_path / 'report' / 'report.json').exists()
    assert dict((h, data['module_calls'][h]) for h in hosts) == dict((h, 1) for h in hosts)


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location('bench_fleet', os.path.join(LAB, 'bench_fleet.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


EXEC = ("<127.0.0.1> SSH: EXEC ssh -C -o ControlMaster=auto -o ControlPersist=60s -o Port=40185 -o 'User=\"root\"' "
        "-o 'ControlPath=\"/home/ops/.ansible/cp/d2498e20b3\"' 127.0.0.1 '/bin/sh -c '\"'\"'%s && sleep 0'\"'\"''\n")


def test_vvv_counter_counts_python_starts_only(tmp_path, bench):
    log = tmp_path / 'audit-vvv.log'
    log.write_text(EXEC % '/usr/bin/python3' + '<127.0.0.1> ESTABLISH SSH CONNECTION FOR USER: root\n'
                   + EXEC % 'echo ~root' + EXEC % '/usr/bin/python3')
    assert bench.ssh_module_starts(str(log)) == 2


def test_module_calls_histogram_and_failures(bench):
    data = {'module_calls': {'a': 1, 'b': 1, 'c': 2},
            'failures': {'b': ['xl info printed nothing', 'b cannot be audited'], 'c': ['xl info printed nothing']}}
    assert bench.module_calls(data, ['a', 'b', 'c', 'd']) == {0: 1, 1: 2, 2: 1}
    assert bench.fmt_hist({1: 49, 0: 1}) == '1 host with 0, 49 hosts with 1'
    assert bench.failures(data) == {'xl info printed nothing': 2}
