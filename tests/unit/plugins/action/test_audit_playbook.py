# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/audit.yml on hosts that cannot be audited: this machine (not a Xen dom0) and a host
nothing listens for. The report is written for both, says why each was not audited, and only then
do both hosts fail; in check mode nothing is written."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import sys

from ansible_collections.xenguard.hardening.tests.unit.helpers import run_playbook

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def audit(tmp_path, *extra):
    inventory = tmp_path / 'inventory.json'
    inventory.write_text(json.dumps({'all': {'children': {'xen_hosts': {'hosts': {
        'this-machine': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                         'xenguard_waivers': [{'control': 'XG-XEN-01', 'reason': 'r', 'expires': 'someday'}]},
        'nobody-home': {'ansible_host': '127.0.0.1', 'ansible_port': 1, 'ansible_user': 'root',
                        'ansible_ssh_common_args': '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null',
                        'ansible_ssh_timeout': 5},
    }}}}}))
    proc = run_playbook(tmp_path, '-i', str(inventory), os.path.join(ROOT, 'playbooks', 'audit.yml'),
                        '-e', 'ansible_become=false', '-e', 'xenguard_report_dir=%s' % (tmp_path / 'report'),
                        *extra, timeout=180)
    return proc.returncode, proc.stdout


def test_hosts_that_cannot_be_audited_are_in_the_report_and_then_fail(tmp_path):
    rc, out = audit(tmp_path, '--check')
    assert rc == 2, out
    assert not (tmp_path / 'report').exists()
    assert 'check mode: the report would be written to %s' % (tmp_path / 'report') in out

    rc, out = audit(tmp_path)
    assert rc == 2, out  # the two hosts failed ...
    assert 'this-machine cannot be audited: not a Xen dom0: ' in out
    assert 'nobody-home cannot be audited: unreachable: ' in out
    report = json.loads((tmp_path / 'report' / 'report.json').read_text())  # ... after the report was written
    hosts = dict((h['name'], h) for h in report['hosts'])
    assert sorted(hosts) == ['nobody-home', 'this-machine']
    assert hosts['this-machine']['state'] == 'not_dom0'
    assert hosts['this-machine']['message'].startswith('not a Xen dom0: ')
    assert hosts['nobody-home']['state'] == 'unreachable'
    assert [p['message'] for p in report['problems']] == [
        "waiver #1 for XG-XEN-01: expires 'someday' is not a date; write it as YYYY-MM-DD (e.g. 2027-01-31); "
        "the waiver is ignored",
        'no Xen dom0 among the 2 host(s): none could be audited']
    assert sorted(os.listdir(str(tmp_path / 'report'))) == ['report.html', 'report.json', 'report.xml']
