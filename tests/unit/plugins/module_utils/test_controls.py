# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control catalogue over facts built from real output of lab hosts (tests/unit/fixtures)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import importlib.util
import json
import os
import re

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import controls
from ansible_collections.xenguard.hardening.plugins.module_utils import facts as facts_assembly
from ansible_collections.xenguard.hardening.plugins.module_utils import checks, verdicts
from ansible_collections.xenguard.hardening.plugins.module_utils import tpm as tpm_facts
from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
from ansible_collections.xenguard.hardening.plugins.module_utils.controls import (
    CHECKS,
    STATUSES,
    catalogue_by_id,
    catalogue_problems,
    evaluate,
    summarise,
)
from ansible_collections.xenguard.hardening.plugins.module_utils.xl import exported_variables
from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import XlConfig
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, fixture_bytes, fixture_path, recorded

BOOKWORM = 'debian12-xen-4.17'
TRIXIE = 'debian13-xen-4.20'
GRUB = 'grub-boot'
TODAY = '2026-11-26'


# every part but the controls: the tests evaluate (and change) the facts themselves
PARTS = tuple(p for p in facts_assembly.PARTS if p != 'controls')
# what `xl getenforce` prints, and its exit status, in each FLASK mode (tools/xl/xl_flask.c)
GETENFORCE = {'enforcing': (1, 'Enforcing\n'), 'permissive': (0, 'Permissive\n'),
              'disabled': (255, 'Flask XSM Disabled\n')}


def _guest_configs(*names):
    """The guest_configs part of recorded configuration files, as facts.assemble makes it."""
    return dict(('/etc/xen/%s' % name, facts_assembly.config_file('/etc/xen/%s' % name, fixture_bytes('xlcfg', name)))
                for name in names)


def host_facts(dist, variant, getenforce=None, domains=None, xenstore=None, configs=(), xl_conf=None,
               dmesg_text=None, flask_mode=None, booted=None, without=()):
    """ansible_facts.xen as xen_facts assembles it (facts.assemble), from the recorded output of one lab host.

    dmesg_text replaces the recorded log (an excerpt spliced into it); flask_mode is what `xl getenforce`
    answers (instead of a recorded answer); booted replaces the command line of the recorded `xl info`;
    without names parts not gathered; xl_conf, when given, is the xl_conf part as it is (settings no recorded
    xl.conf has).
    """
    info_name = 'xl-info.%s.txt' % variant
    raw = {
        'xl_info': fixture(dist, info_name) if os.path.exists(fixture_path(dist, info_name)) else None,
        'dmesg': fixture(dist, 'xl-dmesg.%s.txt' % variant) if dmesg_text is None else dmesg_text,
    }
    if booted is not None:
        raw['xl_info'] = re.sub(r'(?m)^(xen_commandline\s*:).*$', lambda m: m.group(1) + ' ' + ' '.join(booted),
                                raw['xl_info'])
        assert ' '.join(booted) in raw['xl_info']
    if getenforce:
        rc, output = recorded(*getenforce)
        raw['getenforce'] = {'rc': rc, 'stdout': output}
    if flask_mode:
        rc, output = GETENFORCE[flask_mode]
        raw['getenforce'] = {'rc': rc, 'stdout': output}
    if domains:
        raw['xl_list_long'] = fixture(*domains)
    if xenstore:
        raw['xenstore_ls'] = fixture(*xenstore)
    if configs:
        raw['guest_configs'] = {'files': dict(('/etc/xen/%s' % name, fixture_bytes('xlcfg', name))
                                              for name in configs)}
    parts = tuple(p for p in PARTS if p not in without)
    facts, warnings = facts_assembly.assemble(raw, parts, evaluated_on=TODAY)
    assert facts['errors'] == {} and warnings == [], (facts['errors'], warnings)
    facts['xl_conf'] = xl_conf
    return facts


def results_by_id(facts):
    return dict((r['id'], r) for r in evaluate(facts))


def status_of(facts, cid):
    return results_by_id(facts)[cid]['status']


# ---------------------------------------------------------------------------------------------
# the catalogue itself

def test_catalogue_is_sound():
    assert catalogue_problems() == []
    assert len(CONTROLS) == len(catalogue_by_id())


def test_every_check_function_is_used_and_every_check_exists():
    used = set(c['check'] for c in CONTROLS)
    assert used == set(CHECKS)


def _controls_doc_tool():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'tools', 'gen_controls_doc.py')
    spec = importlib.util.spec_from_file_location('gen_controls_doc', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_the_controls_pages_say_what_the_catalogue_says():
    # docs/controls.md and the docs site's page are generated from catalogue.py (make docs-check): a control's
    # title, section, severity, reference or remediation changed without them is a stale page
    tool = _controls_doc_tool()
    controls = tool.load_controls()
    assert controls == CONTROLS
    for path, text in ((tool.OUTPUT, tool.render(controls)), (tool.OUTPUT_RST, tool.render_rst(controls))):
        with open(path) as handle:
            assert handle.read() == text, '%s is stale: run tests/tools/gen_controls_doc.py' % path


def test_catalogue_problems_are_found():
    bad = [
        {'id': 'X-1', 'title': 't', 'section': 'Nowhere', 'severity': 'urgent', 'role': 'none', 'reboot': 'no',
         'check': 'no_such_check', 'params': [], 'remediation': 'r'},
        {'id': 'X-1'},
    ]
    problems = catalogue_problems(bad)
    for words in ('unknown section', 'unknown severity', 'unknown role', 'reboot is not a bool',
                  'no check function', 'params is not a dict', 'id used twice', 'X-1: no title'):
        assert any(words in p for p in problems), words


def test_the_design_is_covered():
    titles = ' '.join(c['title'] for c in CONTROLS)
    for words in ('IOMMU', 'Interrupt remapping', 'queued invalidation', 'iommu=required', 'smt=0',
                  'speculative', 'pv-linear-pt=0', '32-bit PV', 'dom0_mem', 'autoballoon', 'console ring',
                  'FLASK is active', 'enforcing', 'security label', 'pygrub', 'device model', 'backend',
                  'vTPM', 'TPM', 'guest network'):
        assert words in titles, words
    assert set(c['section'] for c in CONTROLS) == set(controls.SECTIONS)


# ---------------------------------------------------------------------------------------------
# the platform, from real xl dmesg / xl info of lab hosts

@pytest.mark.parametrize('dist,variant,expected', [
    (BOOKWORM, 'q35-vtd-intremap', {'XG-IOMMU-01': 'pass', 'XG-IOMMU-02': 'pass', 'XG-IOMMU-03': 'pass',
                                    'XG-IOMMU-04': 'fail'}),
    (BOOKWORM, 'q35-vtd-no-intremap', {'XG-IOMMU-01': 'pass', 'XG-IOMMU-02': 'fail', 'XG-IOMMU-03': 'pass',
                                       'XG-IOMMU-04': 'fail'}),
    (BOOKWORM, 'q35-amd-vi', {'XG-IOMMU-01': 'pass', 'XG-IOMMU-02': 'pass', 'XG-IOMMU-03': 'not_applicable'}),
    (BOOKWORM, 'pc-noiommu', {'XG-IOMMU-01': 'fail', 'XG-IOMMU-02': 'fail', 'XG-IOMMU-03': 'not_applicable',
                              'XG-IOMMU-04': 'fail'}),
    (TRIXIE, 'trixie-xen-4.20', {'XG-IOMMU-01': 'fail', 'XG-IOMMU-02': 'fail'}),
])
def test_iommu_controls_on_lab_hosts(dist, variant, expected):
    results = results_by_id(host_facts(dist, variant))
    for cid, status in expected.items():
        assert results[cid]['status'] == status, (cid, results[cid]['detail'])


def test_iommu_details_say_what_was_seen():
    good = results_by_id(host_facts(BOOKWORM, 'q35-vtd-intremap'))
    assert 'vendor intel' in good['XG-IOMMU-01']['detail']
    assert 'Interrupt remapping enabled' in good['XG-IOMMU-02']['detail']
    assert 'Queued Invalidation enabled' in good['XG-IOMMU-03']['detail']
    assert 'iommu=1,verbose, without required' in good['XG-IOMMU-04']['detail']
    no_ir = results_by_id(host_facts(BOOKWORM, 'q35-vtd-no-intremap'))
    assert 'Interrupt remapping disabled' in no_ir['XG-IOMMU-02']['detail']
    none = results_by_id(host_facts(BOOKWORM, 'pc-noiommu'))
    assert 'I/O virtualisation disabled' in none['XG-IOMMU-01']['detail']
    assert 'virt_caps: pv hvm hap shadow' in none['XG-IOMMU-01']['detail']
    assert 'see XG-IOMMU-01' in none['XG-IOMMU-02']['detail']
    assert 'no iommu= option' in none['XG-IOMMU-04']['detail']


def test_iommu_from_virt_caps_when_dmesg_is_missing():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['dmesg'] = None
    assert status_of(facts, 'XG-IOMMU-01') == 'pass'
    assert status_of(facts, 'XG-IOMMU-02') == 'unknown'
    assert status_of(facts, 'XG-IOMMU-03') == 'unknown'
    facts = host_facts(BOOKWORM, 'pc-noiommu')
    facts['dmesg'] = None
    del facts['info']['virt_caps_list']
    assert status_of(facts, 'XG-IOMMU-01') == 'fail'
    facts['info'] = {}
    assert status_of(facts, 'XG-IOMMU-01') == 'unknown'


def test_queued_invalidation_off_and_unknown():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['dmesg']['iommu']['queued_invalidation'] = False
    assert status_of(facts, 'XG-IOMMU-03') == 'fail'
    facts['dmesg']['iommu']['queued_invalidation'] = None
    assert status_of(facts, 'XG-IOMMU-03') == 'unknown'


def test_iommu_disabled_reason_is_in_the_detail():
    facts = host_facts(BOOKWORM, 'pc-noiommu')
    facts['dmesg']['iommu']['disabled_reason'] = 'Disabling IOMMU due to erratum'
    assert 'Xen says: Disabling IOMMU' in results_by_id(facts)['XG-IOMMU-01']['detail']


# ---------------------------------------------------------------------------------------------
# the Xen command line, from real hosts, then pinned the way the hypervisor role pins it

HARDENING = ['iommu=required,verbose', 'smt=0', 'pv-linear-pt=0', 'pv=no-32', 'conring_size=2M', 'ucode=scan',
             'spec-ctrl=bti-thunk=retpoline,ibpb-entry,bhb-entry,lock-harden', 'dom0-iommu=strict', 'scrub-domheap']


def test_stock_command_line_fails_the_hardening_controls():
    results = results_by_id(host_facts(BOOKWORM, 'q35-vtd-intremap'))
    assert results['XG-XEN-01']['status'] == 'fail'
    assert results['XG-XEN-01']['detail'].startswith('booted command line has no smt=0 (tokens: console=com1')
    assert 'threads_per_core: 1' in results['XG-XEN-01']['detail']
    assert results['XG-XEN-02']['status'] == 'pass'
    assert 'SPEC_CTRL: No' in results['XG-XEN-02']['detail']
    assert results['XG-XEN-03']['status'] == 'fail'
    # Debian's lab hosts report no 32-bit PV ABI in xen_caps already
    assert results['XG-XEN-04']['status'] == 'pass'
    assert 'offers no 32-bit PV' in results['XG-XEN-04']['detail']
    assert results['XG-XEN-05']['status'] == 'pass'
    assert results['XG-XEN-05']['detail'] == 'booted command line has dom0_mem=1024M,max:1024M'
    assert results['XG-XEN-06']['status'] == 'fail'
    assert results['XG-XEN-07']['status'] == 'fail'


def test_pinned_command_line_passes():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['cmdline'] = facts['cmdline'] + HARDENING
    results = results_by_id(facts)
    for cid in ('XG-IOMMU-04', 'XG-XEN-01', 'XG-XEN-02', 'XG-XEN-03', 'XG-XEN-04', 'XG-XEN-05', 'XG-XEN-06',
                'XG-XEN-07'):
        assert results[cid]['status'] == 'pass', (cid, results[cid]['detail'])
    assert results['XG-XEN-04']['detail'] == 'booted command line has pv=no-32'
    assert '2048 KiB' in results['XG-XEN-06']['detail']


@pytest.mark.parametrize('tokens,cid,status,words', [
    # xen-command-line.pandoc "### smt (x86)"; kernel.c parse_params/parse_bool: exact lower-case words
    (['smt=1'], 'XG-XEN-01', 'fail', 'smt=1: SMT stays on'),
    (['smt'], 'XG-XEN-01', 'fail', 'has smt: SMT stays on'),
    (['smt=maybe'], 'XG-XEN-01', 'fail', 'does not read as a boolean'),
    (['smt=OFF'], 'XG-XEN-01', 'fail', 'smt=OFF, which Xen does not read as a boolean'),
    (['smt=0', 'smt=OFF'], 'XG-XEN-01', 'pass', 'smt=0 smt=OFF'),      # the invalid one is ignored
    (['smt=0', 'smt=on'], 'XG-XEN-01', 'fail', 'SMT stays on'),         # the last valid one wins
    (['smt=false'], 'XG-XEN-01', 'pass', 'smt=false'),
    (['no-smt'], 'XG-XEN-01', 'pass', 'no-smt'),
    (['no-smt=0'], 'XG-XEN-01', 'fail', 'SMT stays on'),                # no- inverts the value
    # "### sched-gran (x86)": core scheduling is the alternative to smt=0
    (['sched-gran=core'], 'XG-XEN-01', 'pass', 'sched-gran=core'),
    (['sched-gran=Core'], 'XG-XEN-01', 'fail', 'no smt=0'),
    # "### spec-ctrl (x86)", "### xpti (x86)", "### pv-l1tf (x86)", "### tsx"; spec_ctrl.c parse_spec_ctrl
    (['spec-ctrl=no'], 'XG-XEN-02', 'fail', 'spec-ctrl=no (turns off'),
    (['spec-ctrl=no-xen'], 'XG-XEN-02', 'fail', 'turned off'),
    (['spec-ctrl=0'], 'XG-XEN-02', 'fail', 'turned off'),
    (['no-spec-ctrl'], 'XG-XEN-02', 'fail', 'no-spec-ctrl (turns off'),
    (['spec-ctrl=disable'], 'XG-XEN-02', 'fail', 'spec-ctrl=disable'),
    (['spec-ctrl=no', 'spec-ctrl=ibpb'], 'XG-XEN-02', 'fail', 'spec-ctrl=no (turns off'),
    (['spec-ctrl=no-xen,BTI'], 'XG-XEN-02', 'fail', 'spec-ctrl=no-xen,BTI'),
    (['spec-ctrl=xen=0'], 'XG-XEN-02', 'fail', 'spec-ctrl=xen=0'),
    (['spec-ctrl=pv=0'], 'XG-XEN-02', 'fail', 'msr-sc=pv'),
    (['spec-ctrl=bti-thunk=jmp'], 'XG-XEN-02', 'fail', 'selects bti-thunk=jmp'),
    (['spec-ctrl=verw=0'], 'XG-XEN-02', 'fail', 'verw=hvm, verw=pv'),
    (['spec-ctrl=rsb=no-hvm'], 'XG-XEN-02', 'fail', 'turns off rsb=hvm'),
    (['xpti=0'], 'XG-XEN-02', 'fail', 'xpti=0 (turns off xpti=dom0, xpti=domu)'),
    (['xpti=no'], 'XG-XEN-02', 'fail', 'xpti=no'),
    (['xpti=no,default'], 'XG-XEN-02', 'pass', 'xpti=no,default'),      # "default" as the last item resets
    (['pv-l1tf=0'], 'XG-XEN-02', 'fail', 'pv-l1tf=0'),
    (['tsx=1'], 'XG-XEN-02', 'fail', 'tsx=1 (keeps TSX enabled'),
    (['tsx=1', 'tsx=0'], 'XG-XEN-02', 'pass', 'tsx=1 tsx=0'),
    (['spec-ctrl=NO'], 'XG-XEN-02', 'pass', 'spec-ctrl=NO'),             # not a boolean: Xen rejects it
    (['spec-ctrl=ssbd=0'], 'XG-XEN-02', 'pass', 'turns no mitigation off'),  # ssbd is off by default
    (['spec-ctrl=no', 'spec-ctrl=msr-sc,rsb,verw,ibpb-entry,bhb-entry,bti-thunk=retpoline,bhb-seq=short,ibrs,'
      'ibpb,eager-fpu,l1d-flush,branch-harden,srb-lock,gds-mit,div-scrub,bp-spec-reduce,xpti,pv-l1tf',
      'xpti', 'pv-l1tf', 'tsx=0'], 'XG-XEN-02', 'pass', 'turns no mitigation off'),
    # "### pv-linear-pt (x86)"
    (['no-pv-linear-pt'], 'XG-XEN-03', 'pass', 'no-pv-linear-pt'),
    (['pv-linear-pt=1'], 'XG-XEN-03', 'fail', 'pv-linear-pt=1'),
    (['pv-linear-pt=Off'], 'XG-XEN-03', 'fail', 'does not read as a boolean'),
    # "### pv": List of [ 32=<bool> ], items in turn
    (['pv=32=0'], 'XG-XEN-04', 'pass', 'pv=32=0'),
    (['pv=no-32,32'], 'XG-XEN-04', 'pass', 'offers no 32-bit'),
    (['pv=32,no-32'], 'XG-XEN-04', 'pass', 'has pv=32,no-32'),
    # "### dom0_mem (x86)": every token and item counts (dom0_build.c parse_dom0_mem)
    (['dom0_mem=1024M'], 'XG-XEN-05', 'fail', 'both a size and max'),
    (['dom0_mem=1024M,max:2048M'], 'XG-XEN-05', 'fail', 'differ'),
    (['dom0_mem=1G,max:1048576'], 'XG-XEN-05', 'pass', 'dom0_mem=1G,max:1048576'),
    (['dom0_mem=1G', 'dom0_mem=max:1G'], 'XG-XEN-05', 'pass', 'dom0_mem=1G dom0_mem=max:1G'),
    (['dom0_mem=0x100000,max:1g'], 'XG-XEN-05', 'pass', 'max:1g'),      # hex, KiB without a unit
    (['dom0_mem=0x40000000b,max:1G'], 'XG-XEN-05', 'fail', 'differ'),    # "b" is a hex digit there
    (['dom0_mem=max:1G'], 'XG-XEN-05', 'fail', 'both'),
    (['dom0_mem='], 'XG-XEN-05', 'fail', 'Xen refuses'),
    (['dom0_mem=1G,max:1Q'], 'XG-XEN-05', 'fail', 'Xen refuses'),
    # "### conring_size": a size_param (parse_size_and_unit: base 0, KiB without a unit; 0 = default);
    # console.c: the default is nr_cpus << (9 + loglvl) (the lab: 2 CPUs, loglvl=all -> 16 KiB)
    (['conring_size=64k'], 'XG-XEN-06', 'fail', 'less than 1024 KiB'),
    (['conring_size=1048576b'], 'XG-XEN-06', 'pass', '1024 KiB'),
    (['conring_size=4096'], 'XG-XEN-06', 'pass', '4096 KiB'),
    (['conring_size=0x100000'], 'XG-XEN-06', 'pass', '1048576 KiB'),
    (['conring_size=010'], 'XG-XEN-06', 'fail', '(16 KiB)'),           # octal 8 KiB, at least 16 KiB
    (['conring_size=1T'], 'XG-XEN-06', 'fail', 'default ring for 2 CPUs'),  # overflows the uint32
    (['conring_size=0'], 'XG-XEN-06', 'fail', 'takes its default'),
    (['conring_size=lots'], 'XG-XEN-06', 'fail', 'default ring for 2 CPUs at this loglvl is 16 KiB'),
    (['conring_size=2Mx'], 'XG-XEN-06', 'pass', 'not entirely a size'),
    (['conring_size='], 'XG-XEN-06', 'fail', 'takes its default'),
    # "### ucode": scan or a module index loads; nmi=0, no-scan alone load nothing
    (['ucode=no'], 'XG-XEN-07', 'fail', 'loads no microcode'),
    (['ucode=0'], 'XG-XEN-07', 'fail', 'loads no microcode'),
    (['ucode=nmi=0'], 'XG-XEN-07', 'fail', 'loads no microcode'),
    (['ucode=no-scan'], 'XG-XEN-07', 'fail', 'loads no microcode'),
    (['ucode=scan', 'ucode=no-scan'], 'XG-XEN-07', 'fail', 'loads no microcode'),
    (['ucode=scan', 'ucode=nmi=0'], 'XG-XEN-07', 'pass', 'scans the boot modules'),
    (['ucode=-1'], 'XG-XEN-07', 'pass', 'boot module -1'),
    # "### iommu": force and required are boolean synonyms; every token item by item
    (['iommu=force'], 'XG-IOMMU-04', 'pass', 'iommu=force'),
    (['iommu=required', 'iommu=verbose'], 'XG-IOMMU-04', 'pass', 'iommu=required iommu=verbose'),
    (['iommu=required=1'], 'XG-IOMMU-04', 'pass', 'required=1'),
    (['iommu=force=yes'], 'XG-IOMMU-04', 'pass', 'force=yes'),
    (['iommu=required', 'iommu=required=0'], 'XG-IOMMU-04', 'fail', 'without required'),
    (['iommu=Required'], 'XG-IOMMU-04', 'fail', 'without required'),
    (['iommu=required,no'], 'XG-IOMMU-04', 'fail', 'turns the IOMMU off'),
    # the controls from Xen's documentation
    (['vpmu'], 'XG-XEN-09', 'pass', 'stays off'),                        # bare: not a boolean, invalid
    (['vpmu=1'], 'XG-XEN-09', 'fail', 'XSA-163'),
    (['vpmu=bts'], 'XG-XEN-09', 'fail', 'vpmu=bts'),
    (['vpmu=ipc,0'], 'XG-XEN-09', 'pass', 'stays off'),
    (['no-vpmu'], 'XG-XEN-09', 'pass', 'no-vpmu'),
    ([], 'XG-XEN-09', 'pass', 'off by default'),
    (['hvm_fep'], 'XG-XEN-10', 'fail', 'no security support'),
    (['hvm_fep=0'], 'XG-XEN-10', 'pass', 'hvm_fep=0'),
    ([], 'XG-XEN-10', 'pass', 'no hvm_fep'),
    (['ept=exec-sp'], 'XG-XEN-11', 'fail', 'CVE-2018-12207'),
    (['ept=exec-sp', 'ept=no-exec-sp'], 'XG-XEN-11', 'pass', 'ept=no-exec-sp'),
    ([], 'XG-XEN-11', 'pass', 'default'),
    (['spec-ctrl=ibpb-entry,bhb-entry'], 'XG-XEN-13', 'pass', 'protects dom0'),
    (['spec-ctrl=ibpb-entry=pv,bhb-entry'], 'XG-XEN-13', 'fail', 'spec-ctrl=ibpb-entry'),
    (['spec-ctrl=ibpb-entry'], 'XG-XEN-13', 'fail', 'lacks spec-ctrl=bhb-entry'),
    (['spec-ctrl=lock-harden'], 'XG-XEN-14', 'pass', 'lock-harden'),
    (['spec-ctrl=lock-harden', 'spec-ctrl=no-xen'], 'XG-XEN-14', 'fail', 'no spec-ctrl=lock-harden'),
    (['iommu=no-quarantine'], 'XG-XEN-15', 'fail', 'not quarantined'),
    (['iommu=quarantine=scratch-page'], 'XG-XEN-15', 'pass', 'scratch-page'),
    ([], 'XG-XEN-15', 'pass', 'default'),
    (['dom0-iommu=strict'], 'XG-XEN-16', 'pass', 'dom0-iommu=strict'),
    (['iommu=dom0-strict'], 'XG-XEN-16', 'pass', 'iommu=dom0-strict'),
    (['dom0-iommu=strict,none'], 'XG-XEN-16', 'fail', 'development only'),
    (['dom0-iommu=strict,passthrough'], 'XG-XEN-16', 'fail', 'bypass'),
    ([], 'XG-XEN-16', 'fail', 'no dom0-iommu=strict'),
    (['scrub-domheap'], 'XG-XEN-17', 'pass', 'scrub-domheap'),
    (['scrub-domheap=Yes'], 'XG-XEN-17', 'fail', 'not scrubbed'),
    ([], 'XG-XEN-17', 'fail', 'has no scrub-domheap'),
    (['gnttab_max_frames=128'], 'XG-XEN-18', 'fail', 'gnttab_max_frames=128 (more than 64)'),
    (['gnttab_max_maptrack_frames=0x800'], 'XG-XEN-18', 'fail', '2048 (more than 1024)'),
    (['gnttab_max_frames=32'], 'XG-XEN-18', 'pass', 'gnttab_max_frames=32'),
    (['gnttab_max_frames=-1'], 'XG-XEN-18', 'pass', 'default'),        # Xen refuses a sign
    # grant_table.c parse_gnttab_limit: "if ( val > INT_MAX ) return -ERANGE;" leaves the value before it
    (['gnttab_max_frames=3000000000'], 'XG-XEN-18', 'pass', 'default'),
    (['gnttab_max_frames=32', 'gnttab_max_frames=0x80000000'], 'XG-XEN-18', 'pass', 'gnttab_max_frames=32'),
    (['gnttab_max_frames=0x7fffffff'], 'XG-XEN-18', 'fail', 'gnttab_max_frames=2147483647 (more than 64)'),
    ([], 'XG-XEN-18', 'pass', 'default'),
])
def test_command_line_tokens(tokens, cid, status, words):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['cmdline'] = [t for t in facts['cmdline'] if not t.startswith('dom0_mem')] + tokens
    result = results_by_id(facts)[cid]
    assert result['status'] == status, result['detail']
    assert words in result['detail']


def test_spec_ctrl_disabled_seen_by_the_dmesg_analysis():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['dmesg']['spec_ctrl']['disabled'] = True
    assert status_of(facts, 'XG-XEN-02') == 'fail'


def test_32bit_pv_offered_by_xen_caps_fails():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['info']['xen_caps'] = 'xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64'
    assert status_of(facts, 'XG-XEN-04') == 'fail'
    facts['info'] = {}
    result = results_by_id(facts)['XG-XEN-04']
    assert result['status'] == 'fail' and 'xen_caps is not known' in result['detail']


def test_command_line_from_xl_info_when_tokens_are_missing():
    facts = host_facts(TRIXIE, 'trixie-xen-4.20')
    del facts['cmdline']
    result = results_by_id(facts)['XG-XEN-05']
    assert result['status'] == 'pass'
    assert 'placeholder' not in results_by_id(facts)['XG-XEN-01']['detail']


def test_without_any_command_line_the_controls_are_unknown():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['cmdline'] = None
    facts['info'] = {}
    facts['dmesg'] = None
    facts['version'] = None
    results = results_by_id(facts)
    for cid in ('XG-IOMMU-04', 'XG-XEN-01', 'XG-XEN-02', 'XG-XEN-03', 'XG-XEN-04', 'XG-XEN-05', 'XG-XEN-06',
                'XG-XEN-07', 'XG-XEN-08'):
        assert results[cid]['status'] == 'unknown', cid
        assert 'not gathered' in results[cid]['detail']


@pytest.mark.parametrize('dist,variant,today,status,words', [
    (BOOKWORM, 'q35-vtd-intremap', '2026-11-26', 'fail', 'ended 2025-12-12'),
    (BOOKWORM, 'q35-vtd-intremap', '2025-01-01', 'pass', 'until 2025-12-12'),
    (TRIXIE, 'trixie-xen-4.20', '2026-11-26', 'pass', 'Xen 4.20.5-pre: upstream security support until 2028-03-05'),
])
def test_security_support(dist, variant, today, status, words):
    facts = host_facts(dist, variant)
    facts['evaluated_on'] = today
    result = results_by_id(facts)['XG-XEN-08']
    assert result['status'] == status
    assert words in result['detail']


@pytest.mark.parametrize('version,status', [('4.12.1', 'fail'), ('4.99.0', 'unknown'), ('garbage', 'unknown')])
def test_security_support_of_other_versions(version, status):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['info'] = {}
    facts['version'] = version
    assert status_of(facts, 'XG-XEN-08') == status


def test_security_support_without_a_date_uses_today():
    facts = host_facts(TRIXIE, 'trixie-xen-4.20')
    del facts['evaluated_on']
    assert status_of(facts, 'XG-XEN-08') in ('pass', 'fail')


# ---------------------------------------------------------------------------------------------
# xl.conf

def _xl_conf(**keys):
    return {'path': '/etc/xen/xl.conf', 'error': None, 'keys': keys}


# xl.conf(5) "autoballoon"; tools/xl/xl.c parse_global_config (exact "on" "1" "off" "0" "auto") and
# auto_autoballoon (off when the Xen command line has dom0_mem=). The lab host boots with
# dom0_mem=1024M,max:1024M.
@pytest.mark.parametrize('xl_conf,cmdline,status,words', [
    ({'path': '/etc/xen/xl.conf', 'error': None,
      'keys': XlConfig.parse(fixture(BOOKWORM, 'etc-xen-xl.conf.debian.txt')).as_dict()},
     None, 'pass', 'does not set autoballoon (xl defaults to "auto") and the booted command line has dom0_mem='),
    ({'path': '/etc/xen/xl.conf', 'error': None, 'keys': XlConfig.parse(fixture('xlcfg', 'xl.conf')).as_dict()},
     None, 'pass', "autoballoon='off'"),
    (_xl_conf(autoballoon='auto'), None, 'pass', "'auto' and the booted command line has dom0_mem=1024M,max:1024M"),
    (_xl_conf(autoballoon='auto'), ['console=com1'], 'fail', 'no dom0_mem= that xl recognises'),
    (_xl_conf(), ['dom0_mem=1G,max:1G', 'smt=0'], 'pass', 'dom0_mem=1G,max:1G'),
    (_xl_conf(), ['dom0_mem=lots'], 'fail', 'xl balloons dom0'),
    (_xl_conf(autoballoon='auto'), 'none', 'unknown', 'the facts do not have it'),
    (_xl_conf(autoballoon=0), None, 'pass', '0'),
    (_xl_conf(autoballoon='1'), None, 'fail', 'takes memory from dom0'),
    (_xl_conf(autoballoon='on'), None, 'fail', 'takes memory from dom0'),
    (_xl_conf(autoballoon='false'), None, 'fail', 'invalid autoballoon option'),
    (_xl_conf(autoballoon='no'), None, 'fail', 'xl rejects'),
    (_xl_conf(autoballoon='OFF'), None, 'fail', 'xl rejects'),
    (_xl_conf(autoballoon=False), None, 'fail', 'xl rejects'),
    ({'path': '/etc/xen/xl.conf', 'error': '/etc/xen/xl.conf:3:1: lexical error', 'keys': {}}, None, 'unknown',
     'cannot read /etc/xen/xl.conf'),
    ({'autoballoon': 'off'}, None, 'pass', 'off'),
    (None, None, 'unknown', 'not gathered'),
])
def test_autoballoon(xl_conf, cmdline, status, words):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', xl_conf=xl_conf)
    if cmdline == 'none':
        facts['cmdline'] = None
        facts['info'] = {}
    elif cmdline is not None:
        facts['cmdline'] = cmdline
    result = results_by_id(facts)['XG-XL-01']
    assert result['status'] == status
    assert words in result['detail']


# ---------------------------------------------------------------------------------------------
# FLASK

@pytest.mark.parametrize('dist,variant,getenforce,active,enforcing,words', [
    (BOOKWORM, 'flask-enforcing', (BOOKWORM, 'xl-getenforce.flask-enforcing.txt'), 'pass', 'pass', 'enforcing'),
    (GRUB, 'bookworm-flask-via-grub', (GRUB, 'xl-getenforce.bookworm-flask-via-grub.txt'), 'pass', 'pass',
     'enforcing'),
    (BOOKWORM, 'stock-xen-flask-param-unknown', (BOOKWORM, 'xl-getenforce.no-xsm.txt'), 'fail', 'fail',
     'parameter "flask" unknown'),
    (TRIXIE, 'trixie-xen-4.20', (TRIXIE, 'xl-getenforce.trixie-stock.txt'), 'fail', 'fail', 'disabled'),
])
def test_flask_on_lab_hosts(dist, variant, getenforce, active, enforcing, words):
    results = results_by_id(host_facts(dist, variant, getenforce=getenforce))
    assert results['XG-FLASK-01']['status'] == active
    assert results['XG-FLASK-02']['status'] == enforcing
    assert words in results['XG-FLASK-01']['detail']


def test_flask_permissive_is_active_but_not_enforcing():
    # the recorded log of a hypervisor that started FLASK permissive with its policy as a boot module
    facts = host_facts(BOOKWORM, 'flask-permissive-policy-module', flask_mode='permissive')
    assert facts['dmesg']['xsm']['framework'] == 'flask'
    results = results_by_id(facts)
    assert results['XG-FLASK-01']['status'] == 'pass'
    assert results['XG-FLASK-02']['status'] == 'fail'
    assert 'FLASK is permissive, not enforcing' in results['XG-FLASK-02']['detail']


def test_flask_mode_alone():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', flask_mode='disabled', without=('dmesg',))
    assert results_by_id(facts)['XG-FLASK-01']['detail'] == 'FLASK is disabled'


def test_flask_unknown_without_facts():
    # the log is evidence too (a Xen without XSM): without it and getenforce, unknown
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', without=('dmesg',))
    for cid in ('XG-FLASK-01', 'XG-FLASK-02', 'XG-FLASK-03'):
        assert status_of(facts, cid) == 'unknown'


def test_guest_labels():
    # XG-FLASK-03 judges types, not the presence of a label: libxl gives an unlabelled guest the domU
    # initial SID (domU_t), so a guest with seclabel "...:domU_t" and one without run as the same type.
    enforcing = (BOOKWORM, 'xl-getenforce.flask-enforcing.txt')
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=enforcing,
                       configs=('hardened-guest.cfg', 'driver-domain.cfg', 'pygrub-guest.cfg'))
    result = results_by_id(facts)['XG-FLASK-03']
    assert (result['status'], result['problem']) == ('fail', 'shared_type')
    assert result['detail'].startswith('all 2 guests run as the one type domU_t, so FLASK separates none')
    facts['guest_configs']['/etc/xen/pygrub-guest.cfg']['keys']['seclabel'] = 'system_u:system_r:isolated_domU_t'
    result = results_by_id(facts)['XG-FLASK-03']
    assert result['status'] == 'pass'
    assert result['detail'] == 'guests run as 2 types (domU_t: db1; isolated_domU_t: legacy)'
    # one guest: nothing to isolate it from
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=enforcing, configs=('hardened-guest.cfg',))
    assert status_of(facts, 'XG-FLASK-03') == 'not_applicable'
    # the running guest of the lab has no label: it runs as domU_t, like db1
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=enforcing, configs=('hardened-guest.cfg',),
                       domains=(BOOKWORM, 'xl-list-l.dom0-plus-pv-domu.json'))
    assert status_of(facts, 'XG-FLASK-03') == 'fail'
    facts['domains'][1]['config']['c_info']['ssid_label'] = 'system_u:system_r:prot_domU_t'
    assert status_of(facts, 'XG-FLASK-03') == 'pass'
    # the label a domain runs with after its build (seclabel with init_seclabel) is the one judged
    facts['domains'][1]['config']['b_info']['exec_ssid_label'] = 'system_u:system_r:domU_t'
    assert status_of(facts, 'XG-FLASK-03') == 'fail'
    # without FLASK the types are not judged
    facts = host_facts(BOOKWORM, 'stock-xen-flask-param-unknown', getenforce=(BOOKWORM, 'xl-getenforce.no-xsm.txt'),
                       configs=('pygrub-guest.cfg',))
    assert status_of(facts, 'XG-FLASK-03') == 'not_applicable'
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=enforcing)
    assert status_of(facts, 'XG-FLASK-03') == 'unknown'


# ---------------------------------------------------------------------------------------------
# guests: pygrub, device models, vTPM, vif backends

GUEST_HOST = dict(domains=(BOOKWORM, 'xl-list-l.dom0-plus-pv-domu.json'),
                  xenstore=(BOOKWORM, 'xenstore-ls-f.dom0-plus-pv-domu.txt'))
IDLE_HOST = dict(domains=(BOOKWORM, 'xl-list-l.dom0-only.json'), xenstore=(BOOKWORM, 'xenstore-ls-f.dom0-only.txt'))


def test_vif_backend_in_dom0_fails_on_the_lab_host():
    result = results_by_id(host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST))['XG-DD-01']
    assert result['status'] == 'fail'
    assert result['detail'] == '1 of 1 guest vifs have their backend in dom0: domain 4 vif 0'


def test_vif_backend_in_a_driver_domain_passes():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    facts['backends']['vif'][0]['backend_domid'] = 2
    result = results_by_id(facts)['XG-DD-01']
    assert result['status'] == 'pass'
    assert 'backend domains 2' in result['detail']


def test_no_guests_means_not_applicable():
    results = results_by_id(host_facts(BOOKWORM, 'q35-vtd-intremap', **IDLE_HOST))
    for cid in ('XG-DD-01', 'XG-PVBOOT-01', 'XG-DM-01', 'XG-VTPM-02'):
        assert results[cid]['status'] == 'not_applicable', (cid, results[cid]['detail'])


def test_guest_controls_without_facts_are_unknown():
    results = results_by_id(host_facts(BOOKWORM, 'q35-vtd-intremap'))
    for cid in ('XG-DD-01', 'XG-PVBOOT-01', 'XG-DM-01', 'XG-VTPM-01', 'XG-VTPM-02'):
        assert results[cid]['status'] == 'unknown', cid
        assert 'not gathered' in results[cid]['detail']


def test_pygrub():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('pygrub-guest.cfg', 'pv-direct-kernel.cfg'),
                       **GUEST_HOST)
    result = results_by_id(facts)['XG-PVBOOT-01']
    assert result['status'] == 'fail'
    assert result['detail'] == 'booted with pygrub in dom0: /etc/xen/pygrub-guest.cfg (bootloader=pygrub)'
    facts['guest_configs']['/etc/xen/pygrub-guest.cfg']['keys']['bootloader_restrict'] = 1
    result = results_by_id(facts)['XG-PVBOOT-01']
    assert result['status'] == 'fail'
    assert 'bootloader_restrict needs Xen 4.18 or later' in result['detail']
    facts['info']['xen_minor'] = '18'
    result = results_by_id(facts)['XG-PVBOOT-01']
    assert result['status'] == 'pass'
    assert '(pygrub restricted: bootloader_restrict=1)' in result['detail']
    assert 'running domain test-pv-long (domid 4)' in result['detail']
    facts['domains'][1]['config']['b_info']['bootloader'] = '/usr/bin/pygrub'
    assert status_of(facts, 'XG-PVBOOT-01') == 'fail'


def test_unreadable_guest_configs():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('pv-direct-kernel.cfg',))
    facts['guest_configs']['/etc/xen/broken.cfg'] = {'keys': {}, 'error': '/etc/xen/broken.cfg:1:1: lexical error'}
    result = results_by_id(facts)['XG-PVBOOT-01']
    assert result['status'] == 'unknown'
    assert '/etc/xen/broken.cfg' in result['detail']
    facts['guest_configs'].update(_guest_configs('pygrub-guest.cfg'))
    result = results_by_id(facts)['XG-PVBOOT-01']
    assert result['status'] == 'fail' and 'also unreadable: /etc/xen/broken.cfg' in result['detail']


def test_hvm_device_models():
    configs = ('hvm-weird-spacing.cfg', 'hardened-guest.cfg', 'pv-direct-kernel.cfg')
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=configs)
    result = results_by_id(facts)['XG-DM-01']
    assert result['status'] == 'fail'
    assert result['detail'] == (
        'HVM guests whose QEMU runs unrestricted in dom0 - neither: /etc/xen/hvm-weird-spacing.cfg; '
        'stub domain: /etc/xen/hardened-guest.cfg. Xen\'s SUPPORT.md lists Linux device-model stub domains and '
        'dm_restrict (device model deprivileging) as Tech Preview.')
    facts['guest_configs']['/etc/xen/hvm-weird-spacing.cfg']['keys']['dm_restrict'] = 1
    result = results_by_id(facts)['XG-DM-01']
    assert result['status'] == 'pass'
    assert result['detail'].startswith(
        'every HVM device model is confined - stub domain: /etc/xen/hardened-guest.cfg; '
        'restricted (dm_restrict): /etc/xen/hvm-weird-spacing.cfg. ')
    assert 'Tech Preview' in result['detail']
    facts['guest_configs']['/etc/xen/broken.cfg'] = {'keys': {}, 'error': 'lexical error'}
    result = results_by_id(facts)['XG-DM-01']
    assert result['status'] == 'unknown' and '/etc/xen/broken.cfg' in result['detail']
    facts['guest_configs']['/etc/xen/hvm-weird-spacing.cfg']['keys']['dm_restrict'] = 0
    result = results_by_id(facts)['XG-DM-01']
    assert result['status'] == 'fail' and result['detail'].endswith(
        ' (also unreadable: /etc/xen/broken.cfg). Xen\'s SUPPORT.md lists Linux device-model stub domains and '
        'dm_restrict (device model deprivileging) as Tech Preview.')
    del facts['guest_configs']['/etc/xen/broken.cfg']
    for value, status in ((True, 'pass'), ('1', 'pass'), ('0x1', 'pass'), ('yes', 'fail'), (False, 'fail'),
                          (0, 'fail'), (None, 'fail')):
        facts['guest_configs']['/etc/xen/hvm-weird-spacing.cfg']['keys']['dm_restrict'] = value
        assert status_of(facts, 'XG-DM-01') == status, value
    only_pv = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('pv-direct-kernel.cfg',), **GUEST_HOST)
    assert status_of(only_pv, 'XG-DM-01') == 'not_applicable'


def test_running_hvm_guests():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    hvm = copy.deepcopy(facts['domains'][1])
    hvm.update(domid=7, name='win', type='hvm')
    stub = copy.deepcopy(hvm)
    stub.update(domid=8, name='win-dm', type='pv')
    facts['domains'] += [hvm, stub]
    result = results_by_id(facts)['XG-DM-01']
    assert result['status'] == 'fail' and 'neither: running domain win (domid 7)' in result['detail']
    hvm['config']['b_info']['device_model_stubdomain'] = 'True'
    result = results_by_id(facts)['XG-DM-01']
    assert result['status'] == 'pass' and 'stub domain: running domain win (domid 7)' in result['detail']
    assert 'win-dm' not in result['detail']
    hvm['config']['b_info']['device_model_stubdomain'] = 'False'
    hvm['config']['b_info']['dm_restrict'] = 'True'
    result = results_by_id(facts)['XG-DM-01']
    assert result['status'] == 'pass' and 'restricted (dm_restrict): running domain win (domid 7)' in result['detail']


def _recorded_tpm(**change):
    """The tpm fact of the lab host with a TPM 2.0 (swtpm) as xen_facts read it, with some raw keys changed."""
    raw = json.loads(fixture('tpm', 'read-tpm.bookworm-swtpm2.json'))
    raw.update(change)
    return tpm_facts.tpm_fact(raw)


def _tpm_config(name, path=None):
    """A recorded vTPM configuration (the one real xl create -n read) as guest_configs has it."""
    path = path or '/etc/xen/%s' % name
    return {path: facts_assembly.config_file(path, fixture_bytes('tpm', name))}


def test_vtpm_and_tpm():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('hardened-guest.cfg', 'driver-domain.cfg'))
    facts['tpm'] = _recorded_tpm()
    results = results_by_id(facts)
    assert results['XG-VTPM-01']['status'] == 'pass'
    assert results['XG-VTPM-01']['detail'].startswith(
        'TPM 2.0 present: tpm0 (TPM 2.0, driver tpm_tis), ACPI table TPM2, ACPI device MSFT0101:00. Xen documents '
        'the vTPM manager on TPM 2.0 as incomplete')
    assert results['XG-VTPM-02']['status'] == 'pass'
    facts['tpm'] = _recorded_tpm(chips={'tpm0': {'version_major': '1', 'driver': 'tpm_tis'}}, acpi_tables=['TCPA'],
                                 acpi_devices=['PNP0C31:00'])
    assert results_by_id(facts)['XG-VTPM-01']['detail'].startswith('TPM 1.2 present: tpm0 (TPM 1.2, driver tpm_tis)')
    # a vTPM attached to dom0 (xen-tpmfront's driver is "vtpm") is no hardware TPM
    facts['tpm'] = _recorded_tpm(chips={'tpm0': {'version_major': '1', 'driver': 'vtpm'}}, acpi_tables=[],
                                 acpi_devices=[])
    results = results_by_id(facts)
    assert results['XG-VTPM-01']['status'] == 'fail' and 'no hardware TPM' in results['XG-VTPM-01']['detail']
    assert results['XG-VTPM-03']['status'] == 'not_applicable'
    facts['guest_configs'].update(_guest_configs('pv-direct-kernel.cfg'))
    facts['guest_configs'].update(_tpm_config('vtpm-web1.cfg'))
    facts['guest_configs'].update(_tpm_config('vtpmmgr.cfg'))
    results = results_by_id(facts)
    assert results['XG-VTPM-02']['detail'] == 'without vTPM: /etc/xen/pv-direct-kernel.cfg'
    # a guest whose vTPM backend is dom0 has no vTPM domain
    facts['guest_configs']['/etc/xen/pv-direct-kernel.cfg']['keys']['vtpm'] = ['backend=0']
    detail = results_by_id(facts)['XG-VTPM-02']['detail']
    assert 'pv-direct-kernel.cfg (its vtpm= backend is dom0, not a vTPM domain)' in detail


def test_dom0_keeps_off_the_manager_locality():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('hardened-guest.cfg',))
    facts['tpm'] = _recorded_tpm()
    # dom0 uses the TPM (tpm0 bound to tpm_tis) and no manager is configured
    result = results_by_id(facts)['XG-VTPM-03']
    assert result['status'] == 'not_applicable' and 'tpm0 bound' in result['detail']
    # the recorded manager configuration: locality 2, only the page fed42
    facts['guest_configs'].update(_tpm_config('vtpmmgr.cfg'))
    result = results_by_id(facts)['XG-VTPM-03']
    assert result['status'] == 'pass'
    assert 'locality split' in result['detail'] and '/etc/xen/vtpmmgr.cfg (locality 2)' in result['detail']
    keys = facts['guest_configs']['/etc/xen/vtpmmgr.cfg']['keys']
    # Appendix B's TPM 2.0 example: locality 0 and all five pages, beside dom0's driver
    keys.update(extra='tpm2=1', iomem=['fed40,5'])
    result = results_by_id(facts)['XG-VTPM-03']
    assert result['status'] == 'fail' and result['problem'] == 'manager_shares_dom0_locality'
    assert 'uses locality 0, the one Linux in dom0 uses' in result['detail']
    keys.update(extra='tpmlocality=2', iomem=['fed40,5'])
    assert 'maps the locality 0 page' in results_by_id(facts)['XG-VTPM-03']['detail']
    keys.update(extra='tpmlocality=3', iomem=['fed42,1'])
    assert 'does not give it that page' in results_by_id(facts)['XG-VTPM-03']['detail']
    keys.update(extra='tpmlocality=7', iomem=['fed42,1'])
    assert 'tpmlocality=7 is not a TPM locality' in results_by_id(facts)['XG-VTPM-03']['detail']
    # dom0's driver unbound, its modules blacklisted: passes whatever the manager does, and says the built-in ones
    facts['tpm'] = _recorded_tpm(chips={}, modprobe={'/etc/modprobe.d/xenguard-vtpm.conf': ['blacklist tpm_tis']})
    result = results_by_id(facts)['XG-VTPM-03']
    assert result['status'] == 'pass'
    assert 'blacklisted (tpm_tis)' in result['detail'] and 'tpm_tis, tpm_crb built into the kernel' in result['detail']
    facts['tpm'] = _recorded_tpm(acpi_tables=[], acpi_devices=[], chips={})
    assert status_of(facts, 'XG-VTPM-03') == 'not_applicable'
    del facts['tpm']['dom0_driver']
    facts['tpm']['present'] = True
    assert status_of(facts, 'XG-VTPM-03') == 'unknown'


def test_running_guests_and_vtpm_backends():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    result = results_by_id(facts)['XG-VTPM-02']
    assert result['status'] == 'fail' and 'running domain test-pv-long (domid 4)' in result['detail']
    facts['backends']['vtpm'] = [{'frontend_domid': 4, 'devid': 0, 'backend_domid': 5, 'path': 'x'}]
    vtpm_dom = copy.deepcopy(facts['domains'][1])
    vtpm_dom.update(domid=5, name='vtpm-test')
    vtpm_dom['config']['b_info']['kernel'] = '/usr/lib/xen/boot/vtpm-stubdom.gz'
    facts['domains'].append(vtpm_dom)
    assert status_of(facts, 'XG-VTPM-02') == 'pass'


# ---------------------------------------------------------------------------------------------
# evaluate() and summarise() as a whole

def test_every_control_gets_a_result_with_the_catalogue_fields():
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=(BOOKWORM, 'xl-getenforce.flask-enforcing.txt'),
                       configs=('hardened-guest.cfg',), **GUEST_HOST)
    results = evaluate(facts)
    assert [r['id'] for r in results] == [c['id'] for c in CONTROLS]
    for result, control in zip(results, CONTROLS):
        assert set(result) == {'id', 'title', 'section', 'severity', 'role', 'reboot', 'status', 'detail', 'problem'}
        for field in ('title', 'section', 'severity', 'role', 'reboot'):
            assert result[field] == control[field]
        assert result['status'] in STATUSES
        assert result['detail']


def test_xenstore_and_network_controls_without_their_facts_are_unknown():
    results = results_by_id(host_facts(BOOKWORM, 'q35-vtd-intremap'))
    for cid, part in (('XG-NET-01', '(network)'), ('XG-NET-02', '(network)'), ('XG-NET-03', '(network)'),
                      ('XG-XS-01', '(xenstored)')):
        assert results[cid]['status'] == 'unknown'
        assert 'not gathered' in results[cid]['detail'] and part in results[cid]['detail']


def test_a_hardened_host_passes_everything_that_can_be_judged():
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=(BOOKWORM, 'xl-getenforce.flask-enforcing.txt'),
                       configs=('hardened-guest.cfg',), **GUEST_HOST)
    # the lab's flask host has no IOMMU: take the IOMMU analysis of the VT-d host
    facts['dmesg']['iommu'] = host_facts(BOOKWORM, 'q35-vtd-intremap')['dmesg']['iommu']
    facts['cmdline'] += HARDENING
    facts['backends']['vif'][0]['backend_domid'] = 2
    facts['backends']['vtpm'] = [{'frontend_domid': 4, 'devid': 0, 'backend_domid': 5, 'path': 'x'}]
    facts['domains'][1]['config']['c_info']['ssid_label'] = 'system_u:system_r:isolated_domU_t'  # not db1's type
    vtpm_dom = copy.deepcopy(facts['domains'][1])  # domid 5 serves the guest's vTPM: a vTPM stub domain
    vtpm_dom.update(domid=5, name='vtpm-test-pv-long')
    vtpm_dom['config']['b_info']['kernel'] = '/usr/local/lib/xenguard/vtpm/vtpm-stubdom.gz'
    vtpm_dom['config']['c_info']['ssid_label'] = 'system_u:system_r:vtpm_t'
    facts['domains'].append(vtpm_dom)
    facts['tpm'] = _recorded_tpm()
    facts['guest_configs'].update(_tpm_config('vtpmmgr.cfg'))
    facts['xl_conf'] = {'path': '/etc/xen/xl.conf', 'keys': {'autoballoon': 'off'}, 'error': None}
    facts['evaluated_on'] = '2025-06-01'
    results = evaluate(facts)
    bad = [(r['id'], r['status'], r['detail']) for r in results
           if r['status'] != 'pass' and r['id'] not in ('XG-NET-01', 'XG-NET-02', 'XG-NET-03', 'XG-XS-01', 'XG-XEN-12',
                                                        'XG-DD-02', 'XG-DD-03')]
    assert bad == []
    # XG-XEN-12 judges spec-ctrl=unpriv-mmio only where a guest has a PCI device; no network facts here
    # (XG-NET-*); XG-DD-02/03 only where a driver domain is configured or runs (this host's facts have no pci
    # and no xenstored part: they cannot tell)
    assert summarise(results) == {'pass': len(CONTROLS) - 7, 'fail': 0, 'unknown': 6, 'not_applicable': 1}


@pytest.mark.parametrize('facts', [
    {'is_dom0': False, 'reason': 'not running on the Xen hypervisor (/proc/xen/capabilities does not exist)'},
    {'is_dom0': False},
    None,
    'not a dict',
])
def test_not_a_dom0_is_not_applicable(facts):
    results = evaluate(facts)
    assert len(results) == len(CONTROLS)
    assert set(r['status'] for r in results) == {'not_applicable'}
    assert all(r['detail'].startswith('not a Xen dom0') for r in results)
    if isinstance(facts, dict) and facts.get('reason'):
        assert facts['reason'] in results[0]['detail']
    assert summarise(results)['not_applicable'] == len(CONTROLS)


@pytest.mark.parametrize('facts', [
    {'is_dom0': True},
    {'is_dom0': True, 'cmdline': 'oops', 'info': [], 'dmesg': 'x', 'flask': 'y', 'domains': {}, 'backends': [],
     'tpm': [], 'guest_configs': [], 'xl_conf': 'z'},
    {'is_dom0': True, 'cmdline': [1, 2], 'info': {'xen_major': 'x', 'virt_caps': 3}, 'dmesg': {'iommu': {}},
     'flask': {}, 'domains': [None, {'domid': 3}], 'backends': {'vif': [None]}, 'tpm': {},
     'guest_configs': {'/a.cfg': None, '/b.cfg': {'keys': {'type': 'hvm', 'bootloader': 5}}},
     'xl_conf': {'keys': None}},
])
def test_odd_facts_never_crash(facts):
    results = evaluate(facts)
    assert len(results) == len(CONTROLS)
    assert all(r['status'] in STATUSES for r in results)


def test_a_check_that_raises_is_unknown_and_says_why(monkeypatch):
    def broken(facts, params):
        raise KeyError('boom')
    monkeypatch.setitem(CHECKS, 'smt_disabled', broken)
    result = results_by_id(host_facts(BOOKWORM, 'q35-vtd-intremap'))['XG-XEN-01']
    assert result['status'] == 'unknown'
    assert 'KeyError' in result['detail']


def test_unknown_check_name():
    control = dict(CONTROLS[0], check='nope')
    result = evaluate(host_facts(BOOKWORM, 'q35-vtd-intremap'), controls=[control])[0]
    assert result['status'] == 'unknown' and "no check named 'nope'" in result['detail']


def test_summarise_counts_every_status():
    assert summarise([]) == {'pass': 0, 'fail': 0, 'unknown': 0, 'not_applicable': 0}
    results = evaluate(host_facts(BOOKWORM, 'pc-noiommu'))
    summary = summarise(results)
    assert sum(summary.values()) == len(CONTROLS)
    assert summary['fail'] >= 5


# ---------------------------------------------------------------------------------------------
# issue 14: IOMMU verdicts and problem codes, from log excerpts (exact strings of Xen's source, cited
# in test_xl.py) spliced into the recorded lab logs

def _facts_with_log(variant, text, **kwargs):
    return host_facts(BOOKWORM, variant, dmesg_text=text, **kwargs)


def _splice(variant, before, lines):
    text = fixture(BOOKWORM, 'xl-dmesg.%s.txt' % variant)
    assert before in text
    return text.replace(before, ''.join('(XEN) %s\n' % line for line in lines) + before)


VTD_QI_OFF = _splice('q35-vtd-intremap', '(XEN) Intel VT-d Queued Invalidation enabled.',
                     ['Intel VT-d Queued Invalidation not enabled.']).replace(
    '(XEN) Intel VT-d Queued Invalidation enabled.\n', '').replace(
    '(XEN) Intel VT-d Interrupt Remapping enabled.', '(XEN) Intel VT-d Interrupt Remapping not enabled.').replace(
    '(XEN) Interrupt remapping enabled', '(XEN) Interrupt remapping disabled')
AMD_GLOBAL_TABLE = _splice('q35-amd-vi', '(XEN) I/O virtualisation enabled',
                           ['AMD-Vi: Using global interrupt remap table is not recommended (see XSA-36)!'])
VTD_CFI = _splice('q35-vtd-intremap', '(XEN) Intel VT-d iommu 0 supported page sizes',
                  ['[VT-D] Compatibility Format Interrupts permitted on IOMMU #0: Device pass-through will be '
                   'insecure'])
AMD_NON_FATAL = _splice('q35-amd-vi', '(XEN) AMD-Vi: IOMMU 0 Enabled.',
                        ['AMD-Vi: Applying erratum 746 workaround for IOMMU at 0000:00:00.2',
                         'AMD-Vi: Error -19 initializing for x2APIC mode',
                         'AMD-Vi: Error: IVMD: invalid flag field',
                         'No southbridge IO-APIC found in IVRS table'])
NO_IOMMU_SP5100 = _splice('pc-noiommu', '(XEN) I/O virtualisation disabled',
                          ['AMD-Vi: SP5100 erratum 28 detected, disabling IOMMU.'])
WRAPPED_VTD = '\n'.join(fixture(BOOKWORM, 'xl-dmesg.q35-vtd-intremap.txt').splitlines()[-12:])
PRE_43_VTD = '\n'.join(line for line in fixture(BOOKWORM, 'xl-dmesg.q35-vtd-intremap.txt').splitlines()
                       if not line.startswith('(XEN) Interrupt remapping '))


@pytest.mark.parametrize('variant,log,expected', [
    # (status, problem) of XG-IOMMU-01, -02, -03
    ('q35-vtd-intremap', None, [('pass', None), ('pass', None), ('pass', None)]),
    ('q35-vtd-no-intremap', None, [('pass', None), ('fail', 'no_intremap_intel'), ('pass', None)]),
    ('q35-amd-vi', None, [('pass', None), ('pass', None), ('not_applicable', None)]),
    ('pc-noiommu', None, [('fail', 'no_iommu'), ('fail', 'no_iommu'), ('not_applicable', None)]),
    # "Queued Invalidation not enabled." must fail XG-IOMMU-03 (a mutant flipping the check survived)
    ('q35-vtd-intremap', VTD_QI_OFF, [('pass', None), ('fail', 'no_intremap_intel'), ('fail', 'no_qinval')]),
    # remapping Xen itself calls insecure (XSA-36: "not security supported"; "pass-through will be insecure")
    ('q35-amd-vi', AMD_GLOBAL_TABLE, [('pass', None), ('fail', 'intremap_insecure'), ('not_applicable', None)]),
    ('q35-vtd-intremap', VTD_CFI, [('pass', None), ('fail', 'intremap_insecure'), ('pass', None)]),
    # non-fatal AMD lines on a host whose IOMMU comes up
    ('q35-amd-vi', AMD_NON_FATAL, [('pass', None), ('pass', None), ('not_applicable', None)]),
    ('pc-noiommu', NO_IOMMU_SP5100, [('fail', 'erratum'), ('fail', 'erratum'), ('not_applicable', None)]),
    # the ring wrapped: virt_caps has hvm_directio, so the IOMMU is on; the rest is unknown
    ('q35-vtd-intremap', WRAPPED_VTD, [('pass', None), ('unknown', 'unknown'), ('unknown', 'unknown')]),
    ('pc-noiommu', '\n'.join(fixture(BOOKWORM, 'xl-dmesg.pc-noiommu.txt').splitlines()[-12:]),
     [('fail', 'no_iommu'), ('fail', 'no_iommu'), ('not_applicable', None)]),
    # a log without the global remapping line: VT-d's own "Interrupt Remapping enabled." holds
    ('q35-vtd-intremap', PRE_43_VTD, [('pass', None), ('pass', None), ('pass', None)]),
], ids=['vtd', 'vtd-no-intremap', 'amd', 'no-iommu', 'vtd-no-qinval', 'amd-global-table', 'vtd-cfi',
        'amd-non-fatal', 'sp5100', 'wrapped-vtd', 'wrapped-no-iommu', 'vtd-no-global-line'])
def test_iommu_verdicts_from_log_excerpts(variant, log, expected):
    facts = host_facts(BOOKWORM, variant) if log is None else _facts_with_log(variant, log)
    results = results_by_id(facts)
    got = [(results[cid]['status'], results[cid]['problem']) for cid in ('XG-IOMMU-01', 'XG-IOMMU-02', 'XG-IOMMU-03')]
    assert got == expected, [results[cid]['detail'] for cid in ('XG-IOMMU-01', 'XG-IOMMU-02', 'XG-IOMMU-03')]


def test_iommu_wrapped_log_uses_virt_caps_and_says_so():
    # issue 14: XG-IOMMU-01 said "fail: not enabled" where the iommu role said "unknown, enabled"
    results = results_by_id(_facts_with_log('q35-vtd-intremap', WRAPPED_VTD))
    assert 'hvm_directio' in results['XG-IOMMU-01']['detail']
    assert 'no longer holds the IOMMU lines' in results['XG-IOMMU-01']['detail']
    facts = _facts_with_log('q35-vtd-intremap', WRAPPED_VTD)
    facts['info'] = {}
    result = results_by_id(facts)['XG-IOMMU-01']
    assert (result['status'], result['problem']) == ('unknown', 'unknown')
    # on an AMD CPU a wrapped log's queued invalidation (a VT-d feature) is not applicable, not unknown
    facts = _facts_with_log('q35-vtd-intremap', WRAPPED_VTD)
    facts['cpu'] = {'vendor': 'amd'}
    assert results_by_id(facts)['XG-IOMMU-03']['status'] == 'not_applicable'


def test_insecure_remapping_detail_quotes_xen():
    result = results_by_id(_facts_with_log('q35-amd-vi', AMD_GLOBAL_TABLE))['XG-IOMMU-02']
    assert result['detail'] == 'interrupt remapping is enabled but insecure: Xen says: AMD-Vi: Using global ' \
        'interrupt remap table is not recommended (see XSA-36)!'


@pytest.mark.parametrize('extra,problem', [
    (['iommu=0'], 'switched_off'), (['no-iommu'], 'switched_off'), (['iommu=verbose,off'], 'switched_off'),
    (['iommu=off', 'iommu=required'], 'no_iommu'), (['iommu=1'], 'no_iommu'), ([], 'no_iommu'),
], ids=['zero', 'no-prefix', 'list', 'later-required', 'on', 'none'])
def test_iommu_switched_off_on_the_command_line(extra, problem):
    facts = host_facts(BOOKWORM, 'pc-noiommu')
    facts['cmdline'] += extra
    result = results_by_id(facts)['XG-IOMMU-01']
    assert (result['status'], result['problem']) == ('fail', problem)
    assert result['problem'] == results_by_id(facts)['XG-IOMMU-02']['problem']


def test_amd_without_remapping_names_amd():
    text = fixture(BOOKWORM, 'xl-dmesg.q35-amd-vi.txt').replace('(XEN) Interrupt remapping enabled',
                                                                '(XEN) Interrupt remapping disabled')
    assert results_by_id(_facts_with_log('q35-amd-vi', text))['XG-IOMMU-02']['problem'] == 'no_intremap_amd'


def test_problem_is_none_for_controls_without_one():
    results = evaluate(host_facts(BOOKWORM, 'q35-vtd-intremap'))
    assert all('problem' in r for r in results)
    assert results_by_id(host_facts(BOOKWORM, 'q35-vtd-intremap'))['XG-XEN-08']['problem'] is None
    assert all(r['problem'] is None for r in evaluate({'is_dom0': False}))


# ---------------------------------------------------------------------------------------------
# issue 14: XSM at the default log level, SILO, and the catalogue's words on XSM

FLASK_DEFAULT_LOGLVL = 'flask-enforcing-loglvl-default'


@pytest.mark.parametrize('getenforce,extra_tokens,expected', [
    # (status, ...) of XG-FLASK-01, -02 on the FLASK host logged at the default loglvl (see test_xl.py)
    ((BOOKWORM, 'xl-getenforce.flask-enforcing.txt'), [], ('pass', 'pass')),
    (None, [], ('unknown', 'unknown')),  # the old code said dummy: FLASK "not active"
], ids=['getenforce', 'log-only'])
def test_flask_at_the_default_loglvl(getenforce, extra_tokens, expected):
    facts = host_facts(BOOKWORM, FLASK_DEFAULT_LOGLVL, getenforce=getenforce)
    facts['cmdline'] += extra_tokens
    results = results_by_id(facts)
    assert (results['XG-FLASK-01']['status'], results['XG-FLASK-02']['status']) == expected
    # the old detail said "XSM framework in xl dmesg: dummy" next to "FLASK is enforcing"
    assert 'dummy' not in results['XG-FLASK-01']['detail']


@pytest.mark.parametrize('log,mode,tokens,expected', [
    ('(XEN) Initialising XSM SILO mode\n(XEN) XSM Framework v1.0.1 initialized\n', 'disabled', ['xsm=silo'],
     ('pass', 'pass')),
    ('(XEN) XSM Framework v1.0.1 initialized\n', 'disabled', [], ('fail', 'fail')),
    ('', 'disabled', ['xsm=silo'], ('unknown', 'unknown')),
    ('', 'disabled', [], ('fail', 'fail')),
    ('(XEN) Flask:  Starting in permissive mode.\n', None, [], ('pass', 'unknown')),
], ids=['silo', 'xsm-dummy', 'silo-not-shown', 'disabled', 'flask-log-only'])
def test_xsm_modules(log, mode, tokens, expected):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', dmesg_text=log, flask_mode=mode, booted=tokens)
    assert facts['cmdline'] == tokens
    results = results_by_id(facts)
    assert (results['XG-FLASK-01']['status'], results['XG-FLASK-02']['status']) == expected, \
        (results['XG-FLASK-01']['detail'], results['XG-FLASK-02']['detail'])


def test_xsm_facts_given_by_xen_facts_are_used():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['xsm'] = {'framework': 'silo', 'mode': 'disabled', 'evidence': ['xl dmesg: Initialising XSM SILO mode']}
    result = results_by_id(facts)['XG-FLASK-01']
    assert result['status'] == 'pass' and 'SILO' in result['detail']


def test_silo_isolates_guests_by_itself():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('hardened-guest.cfg', 'pygrub-guest.cfg'))
    facts['xsm'] = {'framework': 'silo', 'mode': 'disabled', 'evidence': []}
    assert status_of(facts, 'XG-FLASK-03') == 'pass'
    control = dict(catalogue_by_id()['XG-FLASK-03'])
    control['params'] = {'isolate_guests': False}
    assert evaluate(facts, [control])[0]['status'] == 'not_applicable'


def test_isolating_types_may_be_shared():
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=(BOOKWORM, 'xl-getenforce.flask-enforcing.txt'),
                       configs=('hardened-guest.cfg', 'pygrub-guest.cfg'))
    for path in facts['guest_configs']:
        facts['guest_configs'][path]['keys']['seclabel'] = 'system_u:system_r:isolated_domU_t'
    assert status_of(facts, 'XG-FLASK-03') == 'pass'
    facts['guest_configs']['/etc/xen/broken.cfg'] = {'keys': {}, 'error': 'line 2: syntax'}
    assert status_of(facts, 'XG-FLASK-03') == 'unknown'


def test_catalogue_says_what_support_md_says():
    by_id = catalogue_by_id()
    assert 'xsm=flask' in by_id['XG-FLASK-01']['remediation']
    assert 'xsm=silo' in by_id['XG-FLASK-01']['remediation']
    # SUPPORT.md at RELEASE-4.17.x and RELEASE-4.20.x: "XSM & FLASK" / "FLASK XSM Module": Experimental;
    # "SILO XSM Module": Supported from 4.20 (not listed at 4.17)
    assert 'FLASK as Experimental' in by_id['XG-FLASK-01']['remediation']
    assert 'SILO module as Supported' in by_id['XG-FLASK-01']['remediation']


# ---------------------------------------------------------------------------------------------
# issue 14: pygrub restricted the ways Xen offers, by version

@pytest.mark.parametrize('version,minor,setting,status', [
    # (facts version, xl info xen_minor, where the restriction is, XG-PVBOOT-01)
    ('4.17.2', '17', 'env', 'fail'),        # LIBXL_BOOTLOADER_RESTRICT is 4.17.3 and later (XSA-443)
    ('4.17.3', '17', 'env', 'pass'),
    ('4.17.5', '17', 'env', 'pass'),
    ('4.17.5', '17', 'guest', 'fail'),      # xl 4.17 does not know bootloader_restrict=
    ('4.17.5', '17', 'xl.conf', 'fail'),
    ('4.20.0', '20', 'env', 'pass'),
    ('4.20.0', '20', 'guest', 'pass'),
    ('4.20.0', '20', 'user', 'pass'),       # bootloader_user implies restrict (libxl_create.c)
    ('4.20.0', '20', 'xl.conf', 'pass'),
    ('4.20.0', '20', 'xl.conf-overridden', 'fail'),  # a guest's own bootloader_restrict=0 wins over xl.conf
    ('4.20.0', '20', 'env-not-exported', 'fail'),
    ('4.20.0', '20', None, 'fail'),
], ids=['4.17.2-env', '4.17.3-env', '4.17.5-env', '4.17-guest', '4.17-xl.conf', '4.20-env', '4.20-guest',
        '4.20-user', '4.20-xl.conf', '4.20-xl.conf-overridden', '4.20-not-exported', '4.20-none'])
def test_pygrub_restriction_by_version(version, minor, setting, status):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('pygrub-guest.cfg',))
    facts['version'], facts['info']['xen_minor'] = version, minor
    keys = facts['guest_configs']['/etc/xen/pygrub-guest.cfg']['keys']
    env = xl_conf = {}
    if setting == 'env':
        env = exported_variables('export LIBXL_BOOTLOADER_RESTRICT=1\n')
    elif setting == 'env-not-exported':
        env = exported_variables('LIBXL_BOOTLOADER_RESTRICT=1\n')
    elif setting == 'guest':
        keys['bootloader_restrict'] = 1
    elif setting == 'user':
        keys['bootloader_user'] = 'xen-bl-legacy'
    elif setting in ('xl.conf', 'xl.conf-overridden'):
        xl_conf = {'bootloader_restrict': 1}
        if setting == 'xl.conf-overridden':
            keys['bootloader_restrict'] = 0
    facts['toolstack_env'] = {'path': '/etc/default/xendomains', 'exported': env}
    facts['xl_conf'] = {'path': '/etc/xen/xl.conf', 'keys': xl_conf, 'error': None}
    result = results_by_id(facts)['XG-PVBOOT-01']
    assert result['status'] == status, result['detail']


def test_pygrub_restricted_running_domain_and_details():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    facts['version'], facts['info']['xen_minor'] = '4.20.0', '20'
    b_info = facts['domains'][1]['config']['b_info']
    b_info['bootloader'] = '/usr/lib/xen-4.20/bin/pygrub'
    assert status_of(facts, 'XG-PVBOOT-01') == 'fail'
    b_info['bootloader_restrict'] = 'True'  # xl list -l shows libxl's defbool
    result = results_by_id(facts)['XG-PVBOOT-01']
    assert result['status'] == 'pass'
    assert 'running domain test-pv-long (domid 4) (pygrub restricted: bootloader_restrict=True)' in result['detail']
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('pygrub-guest.cfg',))
    facts['toolstack_env'] = {'path': '/etc/default/xendomains',
                              'exported': {'LIBXL_BOOTLOADER_RESTRICT': '0'}}  # any value restricts (xl(1))
    result = results_by_id(facts)['XG-PVBOOT-01']
    assert result['status'] == 'pass'
    assert ('(pygrub restricted: /etc/default/xendomains exports LIBXL_BOOTLOADER_RESTRICT, for the guests '
            'xendomains starts)') in result['detail']
    facts['toolstack_env'] = None
    facts['guest_configs']['/etc/xen/pygrub-guest.cfg']['keys']['bootloader_restrict'] = 1
    assert 'export LIBXL_BOOTLOADER_RESTRICT=1 for the toolstack instead' in \
        results_by_id(facts)['XG-PVBOOT-01']['detail']


@pytest.mark.parametrize('guest,conf,status', [
    # (the guest's own keys, xl.conf keys, XG-PVBOOT-01) on 4.20, in the order libxl reads them:
    # own bootloader_restrict, else xl.conf's, else bootloader_user implies it (xl_parse.c, libxl_create.c)
    ({'bootloader_user': 'xen-bl-legacy'}, {'bootloader_restrict': 0}, 'fail'),  # xl.conf=0 wins over the user
    ({'bootloader_user': 'xen-bl-legacy'}, {'bootloader_restrict': 'yes'}, 'pass'),  # xl ignores 'yes'
    ({'bootloader_user': 'xen-bl-legacy', 'bootloader_restrict': 1}, {'bootloader_restrict': 0}, 'pass'),
    ({'bootloader_restrict': 'yes'}, {}, 'fail'),       # not a number: xl keeps the default
    ({'bootloader_restrict': '0x1'}, {}, 'pass'),       # strtol(value, 0)
    ({'bootloader_restrict': '010'}, {}, 'pass'),       # octal 8
    ({'bootloader_restrict': '0'}, {'bootloader_restrict': 1}, 'fail'),
    ({'type': 'hvm'}, {}, 'not_applicable'),            # libxl runs no bootloader for HVM guests
], ids=['conf-0-beats-user', 'conf-unparsed-user', 'own-beats-conf', 'own-unparsed', 'hex', 'octal',
        'own-0', 'hvm'])
def test_pygrub_restriction_order(guest, conf, status):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('pygrub-guest.cfg',))
    facts['version'], facts['info']['xen_minor'] = '4.20.0', '20'
    facts['guest_configs']['/etc/xen/pygrub-guest.cfg']['keys'].update(guest)
    facts['xl_conf'] = {'path': '/etc/xen/xl.conf', 'keys': conf, 'error': None}
    result = results_by_id(facts)['XG-PVBOOT-01']
    assert result['status'] == status, result['detail']
    if guest == {'bootloader_user': 'xen-bl-legacy'} and conf == {'bootloader_restrict': 0}:
        assert 'xl.conf sets bootloader_restrict=0, which wins over it' in result['detail']
    if guest == {'bootloader_restrict': 'yes'}:
        assert 'is not a number xl reads' in result['detail']


def test_running_domain_started_by_hand_is_judged_by_its_b_info():
    """On 4.18+ the b_info of a running domain holds what libxl settled on: a guest started by hand,
    without the variable xendomains exports, ran pygrub unrestricted."""
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    facts['version'], facts['info']['xen_minor'] = '4.20.0', '20'
    facts['toolstack_env'] = {'path': '/etc/default/xendomains', 'exported': {'LIBXL_BOOTLOADER_RESTRICT': '1'}}
    b_info = facts['domains'][1]['config']['b_info']
    b_info['bootloader'] = '/usr/lib/xen-4.20/bin/pygrub'
    b_info['bootloader_restrict'] = 'False'
    assert status_of(facts, 'XG-PVBOOT-01') == 'fail'
    del b_info['bootloader_restrict']  # not in the b_info: the environment of xendomains is the best guess
    assert status_of(facts, 'XG-PVBOOT-01') == 'pass'


# controls that depend on guests or on the Xen release

def test_unpriv_mmio_with_a_passed_through_device():
    # xen-command-line.pandoc "### spec-ctrl (x86)": unpriv-mmio= is for hosts where less than fully
    # privileged domains have MMIO devices (the driver domain fixture has pci=[...]).
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('driver-domain.cfg',), **IDLE_HOST)
    result = results_by_id(facts)['XG-XEN-12']
    assert result['status'] == 'fail'
    assert 'driver-domain.cfg' in result['detail'] and 'no spec-ctrl=unpriv-mmio' in result['detail']
    facts['cmdline'] += ['spec-ctrl=unpriv-mmio']
    assert status_of(facts, 'XG-XEN-12') == 'pass'
    facts['cmdline'] += ['spec-ctrl=no']      # spec-ctrl=no turns unpriv-mmio off again
    assert status_of(facts, 'XG-XEN-12') == 'fail'


def test_unpriv_mmio_running_guest_with_pci_and_no_guests():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    assert status_of(facts, 'XG-XEN-12') == 'not_applicable'
    facts['cmdline'] += ['spec-ctrl=unpriv-mmio']
    assert status_of(facts, 'XG-XEN-12') == 'pass'
    facts['domains'][1]['config']['pcidevs'] = [{'dev': 3}]
    result = results_by_id(facts)['XG-XEN-12']
    assert result['status'] == 'pass' and 'running domain' in result['detail']
    facts['domains'] = None
    assert status_of(facts, 'XG-XEN-12') == 'unknown'


@pytest.mark.parametrize('version,cid,status,words', [
    # spec_ctrl.c at the tags: bhb-entry and lock-harden first appear in RELEASE-4.17.4, ibpb-entry in 4.17.0
    ('4.17.3', 'XG-XEN-13', 'pass', 'protects dom0'),          # only ibpb-entry is asked for
    ('4.17.3', 'XG-XEN-14', 'not_applicable', 'no spec-ctrl=lock-harden'),
    ('4.16.2', 'XG-XEN-13', 'not_applicable', 'no spec-ctrl=ibpb-entry'),
    ('4.17.4', 'XG-XEN-13', 'fail', 'lacks spec-ctrl=bhb-entry'),
    ('4.20.0', 'XG-XEN-14', 'fail', 'no spec-ctrl=lock-harden'),
])
def test_spec_ctrl_controls_follow_the_release(version, cid, status, words):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['info'] = {}
    facts['version'] = version
    facts['cmdline'] = ['spec-ctrl=ibpb-entry']
    result = results_by_id(facts)[cid]
    assert result['status'] == status, result['detail']
    assert words in result['detail']


def test_conring_default_depends_on_cpus_and_loglvl():
    # console.c console_init_postirq: nr_cpus << (9 + lower threshold); release builds default to info (3)
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['cmdline'] = ['console=com1']
    facts['info']['nr_cpus'] = '256'
    result = results_by_id(facts)['XG-XEN-06']
    assert result['status'] == 'pass' and "default ring for 256 CPUs at this loglvl is 1024 KiB" in result['detail']
    facts['cmdline'] = ['loglvl=warning']
    result = results_by_id(facts)['XG-XEN-06']
    assert result['status'] == 'fail' and 'is 512 KiB' in result['detail']
    facts['info']['nr_cpus'] = 'many'
    result = results_by_id(facts)['XG-XEN-06']
    assert result['status'] == 'fail' and 'no nr_cpus' in result['detail']
    facts['info'] = {}
    result = results_by_id(facts)['XG-XEN-06']
    assert result['status'] == 'fail' and 'no nr_cpus' in result['detail']


def test_every_control_cites_xen_documentation():
    for control in CONTROLS:
        assert control['reference'].strip(), control['id']
    problems = catalogue_problems([dict(CONTROLS[0], reference='  ')])
    assert problems == ['XG-IOMMU-01: reference is not the name of a Xen document section']
    assert 'XG-IOMMU-01: no reference' in catalogue_problems([dict((k, v) for k, v in CONTROLS[0].items()
                                                                   if k != 'reference')])


def test_a_check_name_is_registered_once():
    name = sorted(verdicts.CHECKS)[0]
    before = verdicts.CHECKS[name]
    with pytest.raises(ValueError) as err:
        verdicts.check(name)(lambda facts, params: (verdicts.PASS, ''))
    assert str(err.value) == 'check %r registered twice' % name
    assert verdicts.CHECKS[name] is before


# (make mutation MUTATE=controls: each of these was a surviving mutant)

def test_engine_details_exactly():
    assert evaluate({'is_dom0': False, 'reason': 'a guest'})[0]['detail'] == 'not a Xen dom0: a guest'
    assert evaluate({'is_dom0': False})[0]['detail'] == 'not a Xen dom0'
    # a control whose check does not exist is unknown, and the controls after it are still judged
    missing = dict(CONTROLS[0], check='no_such_check')
    results = evaluate(host_facts(BOOKWORM, 'q35-vtd-intremap'), controls=[missing, CONTROLS[1]])
    assert (results[0]['status'], results[0]['detail']) == ('unknown', "no check named 'no_such_check' in this "
                                                                       "collection")
    assert results[1]['id'] == CONTROLS[1]['id'] and results[1]['detail'] != results[0]['detail']


def test_a_check_that_raises_has_no_problem_code(monkeypatch):
    def broken(facts, params):
        raise KeyError('boom')
    control = dict(CONTROLS[0], check='broken_for_this_test')
    monkeypatch.setitem(CHECKS, 'broken_for_this_test', broken)
    result = evaluate(host_facts(BOOKWORM, 'q35-vtd-intremap'), controls=[control])[0]
    assert result['detail'] == "the check could not read these facts: KeyError: 'boom'"
    assert result['problem'] is None


def test_summarise_counts_from_zero():
    assert summarise([{'status': 'pass'}, {'status': 'odd'}, {'status': 'odd'}]) == {
        'pass': 1, 'fail': 0, 'unknown': 0, 'not_applicable': 0, 'odd': 2}


def test_catalogue_problems_exactly():
    bad = {'id': 'X-1', 'title': 't', 'section': 'Nowhere', 'severity': 'urgent', 'role': 'none', 'reboot': 'no',
           'check': 'no_such_check', 'params': [], 'remediation': 'r', 'reference': 'xen-command-line: smt'}
    assert catalogue_problems([bad, dict(bad)]) == [
        "X-1: unknown section 'Nowhere'", "X-1: unknown severity 'urgent'", "X-1: unknown role 'none'",
        'X-1: reboot is not a bool', "X-1: no check function 'no_such_check'", 'X-1: params is not a dict',
        'X-1: id used twice', "X-1: unknown section 'Nowhere'", "X-1: unknown severity 'urgent'",
        "X-1: unknown role 'none'", 'X-1: reboot is not a bool', "X-1: no check function 'no_such_check'",
        'X-1: params is not a dict']


# (make mutation MUTATE=checks: each of these was a surviving mutant) XG-IOMMU-01's verdict and exact detail
# from each kind of evidence: the log's IOMMU lines, xl info virt_caps (hvm_directio/pv_directio), both, neither

def _iommu_facts(iommu=None, caps=None, cmdline=()):
    facts = {'is_dom0': True, 'cmdline': list(cmdline), 'info': {}, 'dmesg': None if iommu is None else {'iommu': dict(
        {'vendor': 'none', 'enabled': None, 'disabled_reason': None, 'lines': []}, **iommu)}}
    if caps is not None:
        facts['info']['virt_caps'] = caps
    return facts


@pytest.mark.parametrize('iommu,caps,cmdline,expected', [
    ({'vendor': 'intel', 'enabled': True, 'lines': ['Intel VT-d iommu 0 supported page sizes: 4kB',
                                                    'Intel VT-d Queued Invalidation enabled.',
                                                    'I/O virtualisation enabled', 'Interrupt remapping enabled']},
     None, (), ('pass', 'IOMMU enabled (vendor intel): Intel VT-d Queued Invalidation enabled.; I/O virtualisation '
                        'enabled; Interrupt remapping enabled', None)),
    ({'vendor': 'amd', 'enabled': True, 'lines': ['AMD-Vi: IOMMU 0 Enabled.']}, None, (),
     ('pass', 'IOMMU enabled (vendor amd): AMD-Vi: IOMMU 0 Enabled.', None)),
    ({'vendor': 'intel', 'enabled': True}, None, (),
     ('pass', 'IOMMU enabled (vendor intel): I/O virtualisation enabled', None)),
    ({}, 'pv hvm pv_directio', (),
     ('pass', 'xl info virt_caps has direct I/O (Xen enabled its IOMMU): pv hvm pv_directio; xl dmesg no longer '
              'holds the IOMMU lines', None)),
    (None, 'hvm hvm_directio', (), ('pass', 'xl info virt_caps has direct I/O (Xen enabled its IOMMU): hvm hvm_directio',
                                    None)),
    (None, None, (), ('unknown', 'the facts have no xl dmesg analysis (dmesg.iommu) nor xl info virt_caps '
                                 '(not gathered)', 'unknown')),
    ({}, None, (), ('unknown', 'xl dmesg does not say whether the IOMMU is enabled (the log may have wrapped; see '
                               'XG-XEN-06) and xl info virt_caps is not known', 'unknown')),
    (None, 'pv hvm', (), ('fail', 'xl info virt_caps has no hvm_directio/pv_directio: pv hvm', 'no_iommu')),
    ({}, 'pv hvm', (), ('fail', 'xl info virt_caps has no hvm_directio/pv_directio: pv hvm', 'no_iommu')),
    ({'vendor': 'amd', 'enabled': False, 'disabled_reason': 'AMD-Vi: Error initialization',
      'lines': ['AMD-Vi: one', 'AMD-Vi: two', 'AMD-Vi: Error initialization', 'I/O virtualisation disabled']},
     'pv hvm', (), ('fail', 'IOMMU not enabled (vendor seen: amd); Xen says: AMD-Vi: Error initialization; log: '
                            'AMD-Vi: two; AMD-Vi: Error initialization; I/O virtualisation disabled; xl info virt_caps: '
                            'pv hvm', 'erratum')),
    ({'vendor': 'none', 'enabled': False, 'lines': ['I/O virtualisation disabled']}, None, ('console=com1', 'iommu=0'),
     ('fail', 'IOMMU not enabled (vendor seen: none); log: I/O virtualisation disabled; the booted command line has '
              'iommu=0', 'switched_off')),
])
def test_iommu_enabled_detail_from_each_kind_of_evidence(iommu, caps, cmdline, expected):
    control = catalogue_by_id()['XG-IOMMU-01']
    result = evaluate(_iommu_facts(iommu, caps, cmdline), controls=[control])[0]
    assert (result['status'], result['detail'], result['problem']) == expected


def test_device_model_domains_are_not_guests():
    # "<guest>-dm" is the stub domain of a guest's device model; guests after it are still counted
    domains = [{'domid': 0, 'name': 'Domain-0', 'config': {}}, {'domid': 3, 'name': 'web1-dm', 'config': {}},
               {'domid': 4, 'name': 'web2', 'config': {}}, {'domid': 5, 'name': None, 'config': {}}]
    assert [d['domid'] for d in checks._guest_domains({'domains': domains})] == [4, 5]
    assert checks._guest_domains({'domains': None}) is None


@pytest.mark.parametrize('facts,version', [
    ({'info': {'xen_major': '4', 'xen_minor': '20'}, 'version': '4.17.5'}, (4, 20)),
    ({'info': {'xen_major': '4'}, 'version': '4.17.5'}, (4, 17)),  # minor missing: the version string
    ({'info': {}, 'version': None}, None),
])
def test_version_tuple(facts, version):
    assert checks._version_tuple(facts) == version


def test_flask_denials():
    enforcing = (BOOKWORM, 'xl-getenforce.flask-enforcing.txt')
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=enforcing)
    # the recorded FLASK boot logged accesses as granted, none denied
    result = results_by_id(facts)['XG-FLASK-04']
    assert (result['status'], result['detail']) == ('pass', 'no avc: denied line in xl dmesg (FLASK enforcing)')
    denied = ('{ map_read } scontext=system_u:system_r:isolated_domU_t tcontext=system_u:system_r:isolated_domU_t '
              'tclass=grant')
    facts['dmesg']['xsm'].update(avc_denied=2, avc_denials=[denied])
    result = results_by_id(facts)['XG-FLASK-04']
    assert (result['status'], result['problem']) == ('fail', 'denials')
    assert result['detail'].startswith('2 avc: denied line(s) in xl dmesg (FLASK enforcing), 1 distinct not accepted')
    # a Xen without FLASK audits nothing
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', flask_mode='disabled')
    assert status_of(facts, 'XG-FLASK-04') == 'not_applicable'


def test_flask_denials_accepted_by_rule():
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=(BOOKWORM, 'xl-getenforce.flask-enforcing.txt'))
    facts['dmesg']['xsm'].update(avc_denied=1, avc_denials=['{ send } scontext=a tcontext=b tclass=event'])
    status, detail = verdicts.CHECKS['flask_no_denials'](facts, {'accepted': [r'tclass=event$']})[:2]
    assert (status, detail) == ('pass', '1 avc: denied line(s), every one accepted by rule')


# ---------------------------------------------------------------- verdicts where Xen's log is short of lines

def _by_id(facts):
    return dict((r['id'], r) for r in evaluate(facts))


def test_vt_d_that_xen_disabled_has_no_queued_invalidation_to_judge():
    """dmar.c: "Failed to parse ACPI DMAR.  Disabling VT-d." - vtd_setup, which prints the Queued
    Invalidation line, never runs: XG-IOMMU-03 is not applicable, not "the log may have wrapped"."""
    log = '(XEN) Failed to parse ACPI DMAR.  Disabling VT-d.\n(XEN) I/O virtualisation disabled\n'
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', dmesg_text=log)
    found = _by_id(facts)['XG-IOMMU-03']
    assert (found['status'], found['detail'], found.get('problem')) == (
        'not_applicable', 'no IOMMU is enabled (see XG-IOMMU-01); queued invalidation is a VT-d feature', None)


def test_a_hygon_host_without_interrupt_remapping_gets_the_amd_advice():
    """Hygon's CPUs come with AMD-Vi (XG-IOMMU-03 says so too): the problem code is the AMD one."""
    log = '(XEN) Interrupt remapping disabled\n(XEN) I/O virtualisation enabled\n'
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', dmesg_text=log)
    facts['cpu'] = {'vendor': 'hygon'}
    found = _by_id(facts)
    assert (found['XG-IOMMU-02']['status'], found['XG-IOMMU-02']['problem']) == ('fail', 'no_intremap_amd')
    facts['cpu'] = {'vendor': 'intel'}
    assert _by_id(facts)['XG-IOMMU-02']['problem'] == 'no_intremap_intel'


def test_controls_that_need_an_xsm_module_are_unknown_when_nothing_tells_which_runs():
    """A wrapped log and no xl getenforce: FLASK-01/02 are unknown, and so are the guest isolation and the
    denials (they are not "not applicable": FLASK or SILO may well run)."""
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', dmesg_text='(XEN) a late line\n',
                       configs=('hardened-guest.cfg', 'pygrub-guest.cfg'))
    found = _by_id(facts)
    assert [found[c]['status'] for c in ('XG-FLASK-01', 'XG-FLASK-02', 'XG-FLASK-03', 'XG-FLASK-04')] == ['unknown'] * 4
    assert found['XG-FLASK-03']['detail'].startswith('neither xl getenforce nor xl dmesg tells which XSM module runs')
    # FLASK known to be disabled (xl getenforce) with xsm=silo booted: SILO may run, so guest isolation is
    # unknown; FLASK's denials are not applicable
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', dmesg_text='(XEN) a late line\n', flask_mode='disabled',
                       booted=['xsm=silo'], configs=('hardened-guest.cfg', 'pygrub-guest.cfg'))
    found = _by_id(facts)
    assert (found['XG-FLASK-03']['status'], found['XG-FLASK-04']['status']) == ('unknown', 'not_applicable')
