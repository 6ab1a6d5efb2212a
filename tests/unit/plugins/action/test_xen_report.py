# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The xen_report action, run by ansible-playbook on the controller: reads the registered audit
results and waivers from hostvars, writes the three files, changes nothing in check mode, writes
nothing when the fleet is as in the last report, and keeps the last report for the difference."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os


from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
from ansible_collections.xenguard.hardening.tests.unit.helpers import run_playbook


PLAYBOOK = '''
- hosts: localhost
  gather_facts: false
  tasks:
    - xenguard.hardening.xen_report:
        hosts: [dom0-a, plain, gone]
        dest: "{{ report_dir }}"
        today: "{{ report_today | default(omit) }}"
      register: result
      ignore_errors: true
    - ansible.builtin.copy:
        content: "{{ result | to_json }}"
        dest: "{{ result_file }}"
        mode: "0644"
      check_mode: false
'''


def dom0(fail=()):
    controls = [{'id': c['id'], 'title': c['title'], 'section': c['section'], 'severity': c['severity'],
                 'role': c['role'], 'reboot': c['reboot'], 'status': 'fail' if c['id'] in fail else 'pass',
                 'detail': 'evidence of ' + c['id']} for c in CONTROLS]
    return {'changed': False, 'ansible_facts': {'xen': {'is_dom0': True, 'version': '4.20.1',
                                                        'cmdline': ['console=com1'], 'controls': controls}}}


def inventory(tmp_path, fail=()):
    hosts = {
        'dom0-a': {'xenguard_audit': dom0(fail),
                   'xenguard_waivers': [{'control': 'XG-XEN-01', 'reason': 'build farm', 'expires': '2027-01-31'},
                                        {'control': 'XG-NOPE-01', 'reason': 'typo', 'expires': '2027-01-31'}]},
        'plain': {'xenguard_audit': {'changed': False, 'ansible_facts': {'xen': {
            'is_dom0': False, 'reason': 'not running on the Xen hypervisor', 'controls': []}}}},
        'gone': {'xenguard_audit': {'unreachable': True, 'msg': 'ssh: connect to host gone port 22: timed out'},
                 'xenguard_waivers': '{{ waivers_nobody_defined }}'},
    }
    path = tmp_path / 'inventory.json'
    path.write_text(json.dumps({'all': {'hosts': hosts}}))
    return str(path)


def play(tmp_path, inv, *extra):
    book = tmp_path / 'report.yml'
    book.write_text(PLAYBOOK)
    result_file = tmp_path / 'result.json'
    if result_file.exists():
        result_file.unlink()
    proc = run_playbook(tmp_path, '-i', inv, str(book), '-e', 'report_dir=%s' % (tmp_path / 'out'),
                        '-e', 'result_file=%s' % result_file, *extra)
    assert proc.returncode == 0 and result_file.exists(), 'ansible-playbook failed: %s' % proc.stdout
    return json.loads(result_file.read_text())


def test_check_mode_then_write_then_idempotent_then_difference(tmp_path):
    out = tmp_path / 'out'
    inv = inventory(tmp_path)
    result = play(tmp_path, inv, '--check', '-e', 'report_today=2026-11-29')
    assert result['changed'] is True and not out.exists()
    assert result['msg'] == 'check mode: the report would be written to %s' % out

    result = play(tmp_path, inv, '-e', 'report_today=2026-11-29')
    assert result['changed'] is True
    assert sorted(os.listdir(str(out))) == ['report.html', 'report.json', 'report.xml']
    assert result['totals']['by_state'] == {'audited': 1, 'not_dom0': 1, 'unreachable': 1, 'failed': 0,
                                            'not_audited': 0}
    assert result['problems'][0].startswith('gone: cannot read the variable xenguard_waivers of this host: ')
    assert 'waivers_nobody_defined' in result['problems'][0]
    assert result['problems'][1:] == ['dom0-a: waiver #2 names the unknown control XG-NOPE-01: no control of the '
                                      'catalogue has this id (see docs/controls.md); the waiver is ignored']
    first = json.loads((out / 'report.json').read_text())
    assert [h['state'] for h in first['hosts']] == ['audited', 'not_dom0', 'unreachable']
    assert first['hosts'][0]['results'][0]['detail'] == 'evidence of XG-IOMMU-01'
    html = (out / 'report.html').read_text()

    # the same fleet again: nothing written, no change
    result = play(tmp_path, inv, '-e', 'report_today=2026-11-29')
    assert result['changed'] is False
    assert (out / 'report.html').read_text() == html and not (out / 'report.previous.json').exists()

    # two controls fail now, one of them waived: the last report becomes report.previous.json
    inv = inventory(tmp_path, fail=('XG-IOMMU-01', 'XG-XEN-01'))
    result = play(tmp_path, inv, '-e', 'report_today=2026-11-29')
    assert result['changed'] is True
    assert json.loads((out / 'report.previous.json').read_text()) == first
    assert result['changes']['worse'] == [{'host': 'dom0-a', 'control': 'XG-IOMMU-01', 'from': 'pass', 'to': 'fail'},
                                          {'host': 'dom0-a', 'control': 'XG-XEN-01', 'from': 'pass', 'to': 'waived'}]
    assert result['changes']['other'] == [] and result['changes']['better'] == []

    # after the waiver expired, the waived control is a failure
    result = play(tmp_path, inv, '-e', 'report_today=2027-02-01')
    assert result['changed'] is True
    assert result['changes']['worse'] == [{'host': 'dom0-a', 'control': 'XG-XEN-01', 'from': 'waived', 'to': 'fail'}]


def test_a_today_that_is_not_a_date_fails_clearly(tmp_path):
    result = play(tmp_path, inventory(tmp_path), '-e', 'report_today=tomorrow')
    assert result['failed'] is True
    assert "today='tomorrow' is not a date: write it as YYYY-MM-DD" in result['msg']
    assert not (tmp_path / 'out').exists()
