# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Agreement: what a role decides and what the audit reports are the same verdict.

The audit's status is controls.evaluate() over the facts (what xen_facts returns and audit.yml shows).
The role's decision is rendered from the role's own files (tasks and vars, with Ansible's templar), over
the same facts, so a role that re-derives a verdict of its own shows up here as a disagreement.

Fact sets: every recorded `xl dmesg` of a lab host, with `xl info` of a host with and one without direct I/O
(and one with nothing but the command line), under several booted command lines, assembled as xen_facts
assembles them (facts.assemble); and a few thousand generated ones (random IOMMU log findings, virt_caps and
iommu= options).
"""

from __future__ import absolute_import, division, print_function

import copy
import glob
import os
import random
import re

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.xenguard.hardening.plugins.module_utils.controls import evaluate
from ansible_collections.xenguard.hardening.plugins.module_utils.facts import assemble
from ansible_collections.xenguard.hardening.tests.unit.helpers import FIXTURES

ROLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'roles')
GENERATED = 2000


def _load(*parts):
    with open(os.path.join(ROLES, *parts)) as handle:
        return yaml.safe_load(handle)


def _trusted(value):
    """Role data as Ansible loads it: every string of the role's own files is a trusted template."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    if isinstance(value, dict):
        return dict((k, _trusted(v)) for k, v in value.items())
    return value


# ------------------------------------------------------------------ the fact sets

CMDLINES = [
    [],
    ['iommu=1,verbose'],
    ['iommu=required'],
    ['iommu=0'],
    ['no-iommu'],
    ['iommu=no-intremap'],
    ['iommu=off', 'iommu=force'],
    ['console=com1', 'iommu=verbose', 'iommu=on'],
]


def _xl_info(path, cmdline):
    """The text of a recorded `xl info` (None: one with nothing but the command line), booted with cmdline."""
    line = 'xen_commandline        : %s' % ' '.join(cmdline)
    if path is None:
        return line + '\n'
    with open(path) as handle:
        text = handle.read()
    assert re.search(r'(?m)^xen_commandline\s*:', text), path
    return re.sub(r'(?m)^xen_commandline\s*:.*$', lambda m: line, text)


def recorded_fact_sets():
    """The facts xen_facts assembles (facts.assemble) from every recorded log, under each xl info and command line."""
    dmesgs = sorted(glob.glob(os.path.join(FIXTURES, '*', 'xl-dmesg*.txt')))
    # a host with direct I/O, one without (no IOMMU), one whose xl info has no virt_caps
    infos = [os.path.join(FIXTURES, 'debian12-xen-4.17', 'xl-info.q35-vtd-intremap.txt'),
             os.path.join(FIXTURES, 'debian12-xen-4.17', 'xl-info.pc-noiommu.txt'), None]
    assert len(dmesgs) >= 10, 'the recorded lab output is missing'
    for dmesg_path in dmesgs:
        with open(dmesg_path) as handle:
            dmesg = handle.read()
        for info_path in infos:
            for cmdline in CMDLINES:
                facts, warnings = assemble({'xl_info': _xl_info(info_path, cmdline), 'dmesg': dmesg}, ('dmesg',))
                assert facts['cmdline'] == cmdline and not facts['errors'] and not warnings, dmesg_path
                yield '%s+%s+%s' % (os.path.basename(dmesg_path), os.path.basename(info_path or 'no-info'),
                                    ' '.join(cmdline)), facts


def generated_fact_sets(count, seed=1729):
    rng = random.Random(seed)
    lines = ['I/O virtualisation enabled', 'I/O virtualisation disabled', 'Interrupt remapping enabled',
             'Interrupt remapping disabled', 'Intel VT-d Queued Invalidation enabled.',
             'Queued Invalidation not enabled.', 'AMD-Vi: IOMMU 0 Enabled.']
    for n in range(count):
        iommu = {
            'vendor': rng.choice(['intel', 'amd', 'none', None]),
            'enabled': rng.choice([True, False, None]),
            'interrupt_remapping': rng.choice([True, False, None]),
            'interrupt_remapping_insecure': rng.choice([None, None, 'Using global interrupt remap table']),
            'queued_invalidation': rng.choice([True, False, None]),
            'disabled_reason': rng.choice([None, None, 'AMD-Vi: Error initialization']),
            'lines': rng.sample(lines, rng.randint(0, 3)),
        }
        caps = rng.choice([None, [], ['hvm'], ['hvm', 'hvm_directio'], ['pv', 'pv_directio']])
        info = {} if caps is None else {'virt_caps': ' '.join(caps), 'virt_caps_list': caps}
        facts = {'is_dom0': True, 'info': info, 'cmdline': rng.choice(CMDLINES),
                 'dmesg': rng.choice([None, {'iommu': iommu}]) if n % 10 == 0 else {'iommu': iommu},
                 'cpu': {'vendor': rng.choice(['intel', 'amd', 'hygon', None])}}
        yield 'generated-%d' % n, facts


# ------------------------------------------------------------------ the iommu role

class IommuRole(object):
    """The iommu role's decision (tasks/evaluate.yml's xenguard_iommu_result), rendered from its own files."""

    def __init__(self):
        self.role_vars = _trusted(_load('iommu', 'vars', 'main.yml'))
        tasks = _load('iommu', 'tasks', 'evaluate.yml')
        self.controls_task = [t for t in tasks if 'xenguard_iommu_result' not in str(t.get('ansible.builtin.set_fact'))
                              and 'ansible.builtin.set_fact' in t][0]
        self.result_task = [t for t in tasks if 'xenguard_iommu_result' in (t.get('ansible.builtin.set_fact') or {})][0]
        self.defaults = _load('iommu', 'defaults', 'main.yml')

    def decide(self, facts):
        variables = dict(self.defaults)
        variables.update(self.role_vars)
        variables['ansible_facts'] = {'xen': facts}
        templar = Templar(loader=DataLoader(), variables=variables)
        for name, expr in self.controls_task['ansible.builtin.set_fact'].items():
            variables[name] = templar.template(_trusted(expr))
        variables.update(_trusted(self.result_task.get('vars') or {}))
        templar = Templar(loader=DataLoader(), variables=variables)
        return templar.template(_trusted(self.result_task['ansible.builtin.set_fact']['xenguard_iommu_result']))


ORDER = ['XG-IOMMU-01', 'XG-IOMMU-03', 'XG-IOMMU-02']


def audit_verdict(results):
    """What the audit's results say the iommu role must do: (status, control id, problem)."""
    by_id = dict((r['id'], r) for r in results)
    for status in ('fail', 'unknown'):
        for cid in ORDER:
            if by_id[cid]['status'] == status:
                return status, cid, by_id[cid].get('problem') or 'ok'
    return 'pass', None, 'ok'


@pytest.fixture(scope='module')
def iommu_role():
    return IommuRole()


def _agree(role, name, facts):
    results = evaluate(facts)
    facts = dict(facts, controls=results)
    decided = role.decide(copy.deepcopy(facts))
    status, cid, problem = audit_verdict(results)
    shown = dict((r['id'], r['status']) for r in results if r['id'] in ORDER)
    assert (decided['status'], decided['control'], decided['problem']) == (status, cid, problem), (name, shown)
    # the role fails a host (xenguard_iommu_required) exactly when the audit shows a fail or unknown
    assert (decided['status'] != 'pass') == any(s in ('fail', 'unknown') for s in shown.values()), (name, shown)
    if cid:
        detail = [r['detail'] for r in results if r['id'] == cid][0]
        assert cid in decided['message'] and detail in decided['message'], name
    return status


def test_iommu_role_agrees_with_the_audit_on_every_recorded_host(iommu_role):
    seen = {}
    for name, facts in recorded_fact_sets():
        status = _agree(iommu_role, name, facts)
        seen[status] = seen.get(status, 0) + 1
    # the recordings hold hosts that pass and hosts that fail
    assert seen.get('pass') and seen.get('fail'), seen


def test_iommu_role_agrees_with_the_audit_on_generated_facts(iommu_role):
    seen = {}
    for name, facts in generated_fact_sets(GENERATED):
        status = _agree(iommu_role, name, facts)
        seen[status] = seen.get(status, 0) + 1
    assert set(seen) == {'pass', 'fail', 'unknown'}, seen
