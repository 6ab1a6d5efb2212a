# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exact verdicts of the checks (status, detail sentence, problem code) over recorded lab facts.

test_controls.py says which controls pass on which host; these tests pin the whole sentence a user reads
in the report and the problem code a role acts on: for the helpers every check shares (facts not gathered,
guest lists, the booted command line) and for each control of checks.py in file order (IOMMU, the Xen command
line, xl.conf, FLASK, guests, xenstored, dom0's network, TPM). The facts are the recorded lab facts of
test_controls.py, test_xenstored.py, test_netsplit.py and test_dom0net.py with small, explicit changes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import datetime

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import facts as facts_assembly
from ansible_collections.xenguard.hardening.plugins.module_utils import xenstored
from ansible_collections.xenguard.hardening.plugins.module_utils.catalogue import CONTROLS
from ansible_collections.xenguard.hardening.plugins.module_utils.controls import CHECKS, evaluate
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture
from ansible_collections.xenguard.hardening.tests.unit.plugins.module_utils.test_controls import (
    BOOKWORM,
    GUEST_HOST,
    IDLE_HOST,
    TRIXIE,
    VTD_QI_OFF,
    WRAPPED_VTD,
    _facts_with_log,
    _guest_configs,
    _recorded_tpm,
    _tpm_config,
    host_facts,
    results_by_id,
)
from ansible_collections.xenguard.hardening.tests.unit.plugins.module_utils import test_dom0net as dn
from ansible_collections.xenguard.hardening.tests.unit.plugins.module_utils import test_netsplit as ns
from ansible_collections.xenguard.hardening.tests.unit.plugins.module_utils import test_xenstored as xs


def verdict(facts, cid):
    """(status, detail, problem) of one control over the facts, as the report shows it."""
    result = results_by_id(facts)[cid]
    return result['status'], result['detail'], result['problem']


# the recorded command line of the Debian 12 lab hosts (xl info xen_commandline), as the details quote it
LAB_TOKENS = 'console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all smap=0'
# xl info virt_caps of the lab host without an IOMMU
NOIOMMU_CAPS = 'pv hvm hap shadow gnttab-v1 gnttab-v2'
NOT_VTD = 'queued invalidation is a VT-d feature'


# ---------------------------------------------------------------------------------------------
# facts that were not gathered: each control says which part it lacks

def test_controls_name_the_facts_that_were_not_gathered():
    # no command line (neither the cmdline part nor xl info), no xl dmesg analysis, no guest facts
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts.update(cmdline=None, info={}, dmesg=None)
    assert verdict(facts, 'XG-XEN-01') == (
        'unknown', 'the facts have no booted Xen command line (not gathered)', None)
    assert verdict(facts, 'XG-IOMMU-04') == (
        'unknown', 'the facts have no booted Xen command line (not gathered)', None)
    assert verdict(facts, 'XG-XEN-02') == (
        'unknown', 'the facts have no booted Xen command line (not gathered)', None)
    assert verdict(facts, 'XG-IOMMU-03') == (
        'unknown', 'the facts have no xl dmesg analysis (dmesg.iommu) (not gathered)', 'unknown')
    assert verdict(facts, 'XG-PVBOOT-01') == (
        'unknown', 'the facts have no guest configurations (guest_configs) nor domains (not gathered)', None)


def test_interrupt_remapping_without_the_dmesg_analysis():
    # xl info virt_caps shows direct I/O (the IOMMU is on), but only xl dmesg tells whether interrupts are remapped
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['dmesg'] = None
    assert verdict(facts, 'XG-IOMMU-02') == (
        'unknown', 'the facts have no xl dmesg analysis (dmesg.iommu) (not gathered)', 'unknown')


# ---------------------------------------------------------------------------------------------
# checks over every guest (XG-PVBOOT-01 here): configuration files first, then running domains; each
# list joined in full

def _broken_config(path, text):
    """A guest configuration file the parser rejects, as facts.assemble records it."""
    entry = facts_assembly.config_file(path, text)
    assert entry['error']
    return {path: entry}


def _pygrub_host():
    """The lab host with one recorded pygrub guest file and its running PV guest booted by pygrub too."""
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('pygrub-guest.cfg',), **GUEST_HOST)
    facts['domains'][1]['config']['b_info']['bootloader'] = '/usr/bin/pygrub'
    return facts


BROKEN = dict(_broken_config('/etc/xen/broken.cfg', b'name = "web\n'),
              **_broken_config('/etc/xen/typo.cfg', b'memory = = 1\n'))


def test_every_offender_and_every_unreadable_file_is_named():
    facts = _pygrub_host()
    assert verdict(facts, 'XG-PVBOOT-01') == (
        'fail', 'booted with pygrub in dom0: /etc/xen/pygrub-guest.cfg (bootloader=pygrub); '
                'running domain test-pv-long (domid 4)', None)
    facts['guest_configs'].update(copy.deepcopy(BROKEN))
    assert verdict(facts, 'XG-PVBOOT-01') == (
        'fail', 'booted with pygrub in dom0: /etc/xen/pygrub-guest.cfg (bootloader=pygrub); '
                'running domain test-pv-long (domid 4) (also unreadable: /etc/xen/broken.cfg, /etc/xen/typo.cfg)',
        None)


def test_unreadable_files_without_an_offender_leave_the_control_unknown():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('pv-direct-kernel.cfg',), **GUEST_HOST)
    facts['guest_configs'].update(copy.deepcopy(BROKEN))
    assert verdict(facts, 'XG-PVBOOT-01') == (
        'unknown', 'cannot read guest configuration(s): /etc/xen/broken.cfg, /etc/xen/typo.cfg', None)


def test_a_pass_names_every_guest_judged():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('pv-direct-kernel.cfg',), **GUEST_HOST)
    assert verdict(facts, 'XG-PVBOOT-01') == (
        'pass', 'no pygrub, or pygrub restricted (/etc/xen/pv-direct-kernel.cfg, running domain test-pv-long '
                '(domid 4))', None)


def test_no_guest_at_all_is_not_applicable():
    # dom0 alone runs, and /etc/xen holds no guest configuration
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **IDLE_HOST)
    facts['guest_configs'] = {}
    for cid in ('XG-PVBOOT-01', 'XG-VTPM-02'):
        assert verdict(facts, cid) == ('not_applicable', 'no guest configuration or running guest seen', None), cid


# ---------------------------------------------------------------------------------------------
# running domains of xl list -l: libxl's JSON names the type in config.c_info, and writes a defbool as
# "True"/"False"/"<default>" (libxl_defbool_to_string); a plain JSON boolean is read as itself

def _hvm_host(stubdomain):
    """The lab's running guest made an HVM guest the way xl list -l shows one: only c_info says "hvm"."""
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    dom = facts['domains'][1]
    dom.pop('type', None)
    dom['config']['c_info']['type'] = 'hvm'
    dom['config']['b_info']['device_model_stubdomain'] = stubdomain
    return facts


@pytest.mark.parametrize('stubdomain,expected', [
    ('True', ('pass', 'every HVM device model is confined - stub domain: running domain test-pv-long (domid 4).')),
    (True, ('pass', 'every HVM device model is confined - stub domain: running domain test-pv-long (domid 4).')),
    ('False', ('fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: running domain test-pv-long '
                       '(domid 4).')),
    (False, ('fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: running domain test-pv-long '
                     '(domid 4).')),
    ('<default>', ('fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: running domain test-pv-long '
                           '(domid 4).')),
])
def test_running_hvm_guest_from_c_info_and_its_stub_domain_flag(stubdomain, expected):
    status, detail, _problem = verdict(_hvm_host(stubdomain), 'XG-DM-01')
    assert (status, detail.split(' Xen\'s SUPPORT.md')[0]) == expected


# ---------------------------------------------------------------------------------------------
# XG-IOMMU-01/02: the detail and problem code from each recorded log

NO_IOMMU_DETAIL = 'IOMMU not enabled (vendor seen: none); log: I/O virtualisation disabled; xl info virt_caps: %s' \
    % NOIOMMU_CAPS


@pytest.mark.parametrize('extra,expected', [
    # xen-command-line.pandoc "### iommu": a list of booleans and options; every iommu= token in turn
    ([], (NO_IOMMU_DETAIL, 'no_iommu')),
    (['iommu=verbose', 'iommu=off'], (NO_IOMMU_DETAIL + '; the booted command line has iommu=verbose iommu=off',
                                      'switched_off')),
    (['iommu=1', 'no-iommu'], (NO_IOMMU_DETAIL + '; the booted command line has iommu=1 no-iommu', 'switched_off')),
])
def test_iommu_off_names_every_iommu_token_booted(extra, expected):
    facts = host_facts(BOOKWORM, 'pc-noiommu')
    facts['cmdline'] += extra
    status, detail, problem = verdict(facts, 'XG-IOMMU-01')
    assert (status, detail, problem) == ('fail',) + expected


def _remapping_off(variant):
    """A recorded log whose global line (iommu.c: "Interrupt remapping %sabled") says disabled."""
    text = fixture(BOOKWORM, 'xl-dmesg.%s.txt' % variant)
    assert '(XEN) Interrupt remapping enabled' in text
    return _facts_with_log(variant, text.replace('(XEN) Interrupt remapping enabled', '(XEN) Interrupt remapping disabled'))


def _without_lines(facts):
    """Facts whose IOMMU analysis keeps its verdicts but no log line (nothing to quote)."""
    facts['dmesg']['iommu']['lines'] = []
    return facts


@pytest.mark.parametrize('facts,expected', [
    (lambda: host_facts(BOOKWORM, 'pc-noiommu'),
     ('fail', 'no interrupt remapping: the IOMMU is not enabled (see XG-IOMMU-01)', 'no_iommu')),
    (lambda: host_facts(BOOKWORM, 'q35-vtd-intremap'),
     ('pass', 'interrupt remapping enabled: Intel VT-d Interrupt Remapping enabled.; Interrupt remapping enabled',
      None)),
    (lambda: host_facts(BOOKWORM, 'q35-amd-vi'),
     ('pass', 'interrupt remapping enabled: Interrupt remapping enabled', None)),
    (lambda: _without_lines(host_facts(BOOKWORM, 'q35-vtd-intremap')),
     ('pass', 'interrupt remapping enabled: per xl dmesg', None)),
    (lambda: _facts_with_log('q35-vtd-intremap', WRAPPED_VTD),
     ('unknown', 'xl dmesg does not say whether interrupt remapping is enabled (the log may have wrapped; see '
                 'XG-XEN-06)', 'unknown')),
    (lambda: host_facts(BOOKWORM, 'q35-vtd-no-intremap'),
     ('fail', 'interrupt remapping is not enabled: Intel VT-d Interrupt Remapping not enabled.; Interrupt remapping '
              'disabled', 'no_intremap_intel')),
    (lambda: _without_lines(host_facts(BOOKWORM, 'q35-vtd-no-intremap')),
     ('fail', 'interrupt remapping is not enabled: no such line in xl dmesg', 'no_intremap_intel')),
    (lambda: _remapping_off('q35-amd-vi'),
     ('fail', 'interrupt remapping is not enabled: Interrupt remapping disabled', 'no_intremap_amd')),
], ids=['no-iommu', 'vtd', 'amd', 'vtd-no-lines', 'wrapped', 'vtd-no-intremap', 'no-intremap-no-lines', 'amd-off'])
def test_interrupt_remapping_details(facts, expected):
    assert verdict(facts(), 'XG-IOMMU-02') == expected


def test_an_amd_vi_log_names_amd_whatever_the_cpu_facts_say():
    # the IOMMU the log names (AMD-Vi lines) decides the advice, also where the cpu part was not gathered
    facts = _remapping_off('q35-amd-vi')
    for cpu in (None, {'vendor': None}, {'vendor': 'intel'}):
        facts['cpu'] = cpu
        assert verdict(facts, 'XG-IOMMU-02')[2] == 'no_intremap_amd', cpu


# ---------------------------------------------------------------------------------------------
# XG-IOMMU-03: queued invalidation is a VT-d feature ("Intel VT-d Queued Invalidation %senabled.")

def _wrapped(cpu_vendor):
    """The VT-d host's log after its ring wrapped (no IOMMU line left), on a CPU of the given vendor."""
    facts = _facts_with_log('q35-vtd-intremap', WRAPPED_VTD)
    facts['cpu'] = {'vendor': cpu_vendor}
    return facts


def _second_qi_line(facts):
    lines = facts['dmesg']['iommu']['lines']
    lines.append([line for line in lines if 'Queued Invalidation' in line][0])
    return facts


@pytest.mark.parametrize('facts,expected', [
    (lambda: host_facts(BOOKWORM, 'q35-vtd-intremap'), ('pass', 'Intel VT-d Queued Invalidation enabled.', None)),
    (lambda: _second_qi_line(host_facts(BOOKWORM, 'q35-vtd-intremap')),
     ('pass', 'Intel VT-d Queued Invalidation enabled.; Intel VT-d Queued Invalidation enabled.', None)),
    (lambda: _without_lines(host_facts(BOOKWORM, 'q35-vtd-intremap')), ('pass', 'queued invalidation enabled', None)),
    (lambda: _facts_with_log('q35-vtd-intremap', VTD_QI_OFF),
     ('fail', 'VT-d without queued invalidation (so without interrupt remapping): Intel VT-d Queued Invalidation not '
              'enabled.', 'no_qinval')),
    (lambda: _second_qi_line(_facts_with_log('q35-vtd-intremap', VTD_QI_OFF)),
     ('fail', 'VT-d without queued invalidation (so without interrupt remapping): Intel VT-d Queued Invalidation not '
              'enabled.; Intel VT-d Queued Invalidation not enabled.', 'no_qinval')),
    (lambda: _without_lines(_facts_with_log('q35-vtd-intremap', VTD_QI_OFF)),
     ('fail', 'VT-d without queued invalidation (so without interrupt remapping): per xl dmesg', 'no_qinval')),
    (lambda: host_facts(BOOKWORM, 'q35-amd-vi'), ('not_applicable', 'the IOMMU is AMD-Vi; ' + NOT_VTD, None)),
    (lambda: host_facts(BOOKWORM, 'pc-noiommu'),
     ('not_applicable', 'no IOMMU is enabled (see XG-IOMMU-01); ' + NOT_VTD, None)),
    # Hygon's CPUs (AMD Zen derived) have AMD-Vi, like AMD's
    (lambda: _wrapped('amd'), ('not_applicable', 'the CPU is amd (AMD-Vi); ' + NOT_VTD, None)),
    (lambda: _wrapped('hygon'), ('not_applicable', 'the CPU is hygon (AMD-Vi); ' + NOT_VTD, None)),
    (lambda: _wrapped('intel'),
     ('unknown', 'xl dmesg does not say whether VT-d queued invalidation is enabled (the log may have wrapped; see '
                 'XG-XEN-06)', 'unknown')),
], ids=['vtd', 'vtd-two-lines', 'vtd-no-lines', 'vtd-no-qi', 'vtd-no-qi-two-lines', 'vtd-no-qi-no-lines', 'amd',
        'no-iommu', 'wrapped-amd-cpu', 'wrapped-hygon-cpu', 'wrapped-intel-cpu'])
def test_queued_invalidation_details(facts, expected):
    assert verdict(facts(), 'XG-IOMMU-03') == expected


# ---------------------------------------------------------------------------------------------
# XG-IOMMU-04 and XG-XEN-01 over the booted command line (xen-command-line.pandoc "### iommu", "### smt (x86)",
# "### sched-gran (x86)")

def _booted(tokens, variant='q35-vtd-intremap'):
    facts = host_facts(BOOKWORM, variant)
    facts['cmdline'] = list(tokens)
    return facts


LAB = LAB_TOKENS.split()


@pytest.mark.parametrize('tokens,expected', [
    ([], ('fail', 'booted command line has no iommu= option (tokens: (empty))')),
    (LAB, ('fail', 'booted command line has no iommu= option (tokens: %s)' % LAB_TOKENS)),
    (LAB + ['iommu=verbose', 'iommu=0'], ('fail', 'booted command line turns the IOMMU off (iommu=verbose iommu=0)')),
    (LAB + ['iommu=required,verbose'],
     ('pass', 'booted command line has iommu=required,verbose: Xen refuses to boot without a working IOMMU')),
    (LAB + ['iommu=1', 'iommu=verbose'], ('fail', 'booted command line has iommu=1 iommu=verbose, without required '
                                                  '(or force)')),
])
def test_iommu_required_details(tokens, expected):
    assert verdict(_booted(tokens), 'XG-IOMMU-04') == expected + (None,)


@pytest.mark.parametrize('tokens,threads,expected', [
    (LAB + ['smt=0'], 1, ('pass', 'booted command line turns SMT off (smt=0); xl info threads_per_core: 1')),
    (LAB + ['smt=0'], None, ('pass', 'booted command line turns SMT off (smt=0)')),
    (LAB, None, ('fail', 'booted command line has no smt=0 (tokens: %s)' % LAB_TOKENS)),
    (LAB + ['smt=1'], 1, ('fail', 'booted command line has smt=1: SMT stays on; xl info threads_per_core: 1')),
    # kernel.c parse_bool knows exactly these lower-case words; "OFF" is refused and SMT keeps its default (on)
    (LAB + ['smt=OFF'], 1, ('fail', 'booted command line has smt=OFF, which Xen does not read as a boolean (only '
                                    '1|on|yes|true|enable|0|no|off|false|disable), so SMT stays on; xl info '
                                    'threads_per_core: 1')),
    (LAB + ['smt=OFF'], None, ('fail', 'booted command line has smt=OFF, which Xen does not read as a boolean (only '
                                       '1|on|yes|true|enable|0|no|off|false|disable), so SMT stays on')),
    (LAB + ['sched-gran=socket'], 2, ('pass', 'booted command line has sched-gran=socket: sibling threads only run '
                                              'vCPUs of one guest at a time; xl info threads_per_core: 2')),
    # sched-gran is a custom_param: each valid occurrence replaces the one before (cpupool.c sched_gran_get)
    (LAB + ['sched-gran=core', 'sched-gran=cpu'], 2,
     ('fail', 'booted command line has no smt=0 (tokens: %s sched-gran=core sched-gran=cpu); xl info '
              'threads_per_core: 2' % LAB_TOKENS)),
    (LAB + ['sched-gran=cpu', 'sched-gran=core'], 2,
     ('pass', 'booted command line has sched-gran=core: sibling threads only run vCPUs of one guest at a time; xl '
              'info threads_per_core: 2')),
])
def test_smt_details(tokens, threads, expected):
    facts = _booted(tokens)
    if threads is None:
        del facts['info']['threads_per_core']
    else:
        facts['info']['threads_per_core'] = threads
    assert verdict(facts, 'XG-XEN-01') == expected + (None,)


def test_the_check_functions_answer_with_a_problem_code_when_nothing_was_gathered():
    # the registered functions are what evaluate calls; the IOMMU checks answer (status, detail, problem)
    assert CHECKS['queued_invalidation']({'is_dom0': True}, {}) == (
        'unknown', 'the facts have no xl dmesg analysis (dmesg.iommu) (not gathered)', 'unknown')
    assert CHECKS['iommu_required']({'is_dom0': True}, {}) == (
        'unknown', 'the facts have no booted Xen command line (not gathered)')


# ---------------------------------------------------------------------------------------------
# XG-XEN-02 (xen-command-line.pandoc "### spec-ctrl (x86)", "### xpti (x86)", "### pv-l1tf (x86)", "### tsx"):
# the detail quotes the "Xen settings" line of the recorded boot's speculative mitigation report

SETTINGS = '; xl dmesg: Xen settings: BTI-Thunk: RETPOLINE, SPEC_CTRL: No, Other: BRANCH_HARDEN'


def _without_dmesg(facts):
    facts['dmesg'] = None
    return facts


def _dmesg_says_disabled(facts):
    facts['dmesg']['spec_ctrl']['disabled'] = True
    return facts


@pytest.mark.parametrize('tokens,change,expected', [
    (LAB, None, ('pass', 'booted command line has no spec-ctrl=, xpti=, pv-l1tf= or tsx= (defaults on)' + SETTINGS)),
    # the command line alone is enough to judge
    (LAB, _without_dmesg, ('pass', 'booted command line has no spec-ctrl=, xpti=, pv-l1tf= or tsx= (defaults on)')),
    (LAB, _dmesg_says_disabled, ('fail', 'mitigations turned off according to the xl dmesg analysis' + SETTINGS)),
    # a <bool> of xpti= and pv-l1tf= sets both its dom0= and domu= items
    (LAB + ['xpti=0', 'pv-l1tf=0'], None,
     ('fail', 'mitigations turned off by the booted command line: xpti=0 (turns off xpti=dom0, xpti=domu); pv-l1tf=0 '
              '(turns off pv-l1tf=dom0, pv-l1tf=domu)' + SETTINGS)),
    (LAB + ['spec-ctrl=ssbd=0'], None,
     ('pass', 'booted command line has spec-ctrl=ssbd=0, which turns no mitigation off' + SETTINGS)),
    (LAB + ['pv-l1tf=dom0,domu'], None,
     ('pass', 'booted command line has pv-l1tf=dom0,domu, which turns no mitigation off' + SETTINGS)),
    (LAB + ['spec-ctrl=ibpb', 'tsx=0', 'xpti=1'], None,
     ('pass', 'booted command line has spec-ctrl=ibpb xpti=1 tsx=0, which turns no mitigation off' + SETTINGS)),
], ids=['defaults', 'no-dmesg', 'dmesg-disabled', 'xpti-pv-l1tf-off', 'ssbd-off', 'pv-l1tf-on', 'three-options'])
def test_spec_ctrl_details(tokens, change, expected):
    facts = _booted(tokens)
    if change:
        facts = change(facts)
    assert verdict(facts, 'XG-XEN-02') == expected + (None,)


# XG-XEN-03, xen-command-line.pandoc "### pv-linear-pt (x86)": a boolean_param, so a bare option means true
# and a word parse_bool does not know leaves the default (allowed)

@pytest.mark.parametrize('tokens,expected', [
    (LAB, ('fail', 'booted command line has no pv-linear-pt=0 (tokens: %s)' % LAB_TOKENS)),
    (LAB + ['pv-linear-pt=0'], ('pass', 'booted command line has pv-linear-pt=0')),
    (LAB + ['pv-linear-pt=1'], ('fail', 'booted command line has pv-linear-pt=1: PV guests may use linear page tables')),
    (LAB + ['pv-linear-pt'], ('fail', 'booted command line has pv-linear-pt: PV guests may use linear page tables')),
    (LAB + ['pv-linear-pt=Off'], ('fail', 'booted command line has pv-linear-pt=Off, which Xen does not read as a '
                                          'boolean; linear page tables stay allowed')),
])
def test_pv_linear_pt_details(tokens, expected):
    assert verdict(_booted(tokens), 'XG-XEN-03') == expected + (None,)


# ---------------------------------------------------------------------------------------------
# XG-XEN-04 .. XG-XEN-07 over the booted command line and xl info; every detail whole

BARE = [t for t in LAB if not t.startswith('dom0_mem=')]
BARE_TOKENS = ' '.join(BARE)
# xl info xen_caps of a Xen that offers 32-bit PV guests (xen-3.0-x86_32p, with CONFIG_PV32), then as the lab reports it
CAPS_PV32 = 'xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64'
CAPS_LAB = 'xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64'


def _caps(caps):
    def change(facts):
        if caps is None:
            del facts['info']['xen_caps']
        else:
            facts['info']['xen_caps'] = caps
    return change


@pytest.mark.parametrize('tokens,change,expected', [
    (BARE + ['pv=no-32'], _caps(CAPS_PV32), ('pass', 'booted command line has pv=no-32')),
    (BARE, _caps(CAPS_PV32 + ' '), ('fail', 'xl info xen_caps offers 32-bit PV guests (%s) and the command line has no '
                                            'pv=no-32' % CAPS_PV32)),
    (BARE, _caps(CAPS_LAB), ('pass', 'xl info xen_caps offers no 32-bit PV ABI (%s); pv=no-32 would pin it' % CAPS_LAB)),
    (BARE, _caps(None), ('fail', 'booted command line has no pv=no-32 (tokens: %s) and xen_caps is not known'
                                 % BARE_TOKENS)),
    (None, _caps(None), ('unknown', 'the facts have no booted Xen command line nor xl info xen_caps (not gathered)')),
], ids=['no-32', 'pv32-offered', 'no-pv32-abi', 'caps-unknown', 'nothing'])
def test_no_pv32_details(tokens, change, expected):
    facts = _booted(tokens or [])
    if tokens is None:
        facts['cmdline'] = None
        facts['info'].pop('xen_commandline', None)
    change(facts)
    assert verdict(facts, 'XG-XEN-04') == expected + (None,)


@pytest.mark.parametrize('tokens,expected', [
    (BARE, ('fail', 'booted command line has no dom0_mem= (tokens: %s)' % BARE_TOKENS)),
    (BARE + ['dom0_mem=1024M,max:1024M'], ('pass', 'booted command line has dom0_mem=1024M,max:1024M')),
    (BARE + ['dom0_mem=1024M'], ('fail', 'dom0_mem=1024M does not give both a size and max:<size>')),
    (BARE + ['dom0_mem=1024M,max:2048M'], ('fail', 'dom0_mem=1024M,max:2048M: the size and max: differ, so dom0 can '
                                                   'balloon')),
    (BARE + ['dom0_mem=1G,max:1Q'], ('fail', 'dom0_mem=1G,max:1Q: "max:1Q" is not an amount Xen reads (<size>, <n>%, '
                                             '<size>+<n>%, optionally with a leading -): Xen refuses this dom0_mem')),
])
def test_dom0_mem_details(tokens, expected):
    assert verdict(_booted(tokens), 'XG-XEN-05') == expected + (None,)


def _no_nr_cpus(facts):
    del facts['info']['nr_cpus']


@pytest.mark.parametrize('tokens,change,expected', [
    # console.c: by default nr_cpus << (9 + loglvl's lower threshold): 2 CPUs at loglvl=all give 16 KiB
    (BARE, None, ('fail', 'Xen\'s default ring for 2 CPUs at this loglvl is 16 KiB, less than 1024 KiB')),
    (BARE + ['conring_size=2M'], None, ('pass', 'booted command line has conring_size=2M (2048 KiB)')),
    (BARE + ['conring_size=64k'], None, ('fail', 'booted command line has conring_size=64k (64 KiB), less than 1024 KiB')),
    (BARE + ['conring_size=0'], None, ('fail', 'conring_size=0 gives no size Xen uses, so Xen takes its default; Xen\'s '
                                               'default ring for 2 CPUs at this loglvl is 16 KiB, less than 1024 KiB')),
    # kernel.c parse_params (OPT_SIZE) assigns the number, then calls the trailing text invalid
    (BARE + ['conring_size=2Mx'], None, ('pass', 'conring_size=2Mx is not entirely a size Xen reads; booted command line '
                                                 'has conring_size=2Mx (2048 KiB)')),
    (BARE, _no_nr_cpus, ('fail', 'no conring_size= and xl info has no nr_cpus: Xen\'s default ring depends on the number '
                                 'of CPUs and loglvl (want at least 1024 KiB)')),
], ids=['default', '2M', '64k', 'zero', 'trailing-text', 'no-nr_cpus'])
def test_conring_size_details(tokens, change, expected):
    facts = _booted(tokens)
    if change:
        change(facts)
    assert verdict(facts, 'XG-XEN-06') == expected + (None,)


def test_conring_size_minimum_is_the_controls_parameter():
    # the catalogue's min_kib (1024) is a parameter of the control: a catalogue asking for less is honoured
    facts = _booted(BARE + ['conring_size=64k'])
    assert CHECKS['conring_size'](facts, {'min_kib': 64}) == ('pass', 'booted command line has conring_size=64k (64 KiB)')
    assert CHECKS['conring_size'](facts, {'min_kib': 65}) == (
        'fail', 'booted command line has conring_size=64k (64 KiB), less than 65 KiB')


@pytest.mark.parametrize('tokens,expected', [
    (BARE, ('fail', 'booted command line has no ucode= (tokens: %s)' % BARE_TOKENS)),
    (BARE + ['ucode=scan'], ('pass', 'booted command line has ucode=scan: Xen scans the boot modules for microcode')),
    (BARE + ['ucode=2'], ('pass', 'booted command line has ucode=2: Xen loads microcode from boot module 2')),
    (BARE + ['ucode=no-scan'], ('fail', 'booted command line has ucode=no-scan, which loads no microcode (it needs scan '
                                        'or a module index)')),
])
def test_ucode_details(tokens, expected):
    assert verdict(_booted(tokens), 'XG-XEN-07') == expected + (None,)


# XG-XEN-08: the catalogue's dates are Xen's (three years of security support from each release)

def _release(version, minor):
    def change(facts):
        facts['version'] = version
        facts['info']['xen_minor'] = minor
    return change


@pytest.mark.parametrize('change,today,expected', [
    (None, '2026-11-26', ('fail', 'Xen 4.17.5: upstream security support ended 2025-12-12 (the distribution may still '
                                  'backport fixes)')),
    (None, '2025-12-12', ('pass', 'Xen 4.17.5: upstream security support until 2025-12-12')),
    (_release('4.15.1', '15'), '2026-11-26', ('fail', 'Xen 4.15 is older than every release this catalogue knows (4.17, '
                                                      '4.18, 4.19, 4.20)')),
    (_release('4.99.0', '99'), '2026-11-26', ('unknown', 'no security-support date known for Xen 4.99')),
    (_release(None, '19'), '2026-11-26', ('pass', 'Xen 4.19: upstream security support until 2027-07-29')),
], ids=['ended', 'last-day', 'older', 'newer', 'no-version-string'])
def test_security_support_details(change, today, expected):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['evaluated_on'] = today
    if change:
        change(facts)
    assert verdict(facts, 'XG-XEN-08') == expected + (None,)


@pytest.mark.parametrize('evaluated_on', ['2025-12-13T08:00:00+00:00', datetime.datetime(2025, 12, 13, 8, 0)])
def test_security_support_reads_the_date_of_a_timestamp(evaluated_on):
    # evaluated_on may be a whole timestamp: its date decides
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['evaluated_on'] = evaluated_on
    assert verdict(facts, 'XG-XEN-08') == (
        'fail', 'Xen 4.17.5: upstream security support ended 2025-12-12 (the distribution may still backport fixes)', None)


def test_security_support_without_a_version():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts.update(info={}, version=None)
    assert verdict(facts, 'XG-XEN-08') == ('unknown', 'the facts have no Xen version (not gathered)', None)


# ---------------------------------------------------------------------------------------------
# XG-XL-01: xl.conf(5) "autoballoon" as tools/xl/xl.c parse_global_config reads it (exactly on, 1, off, 0,
# auto), and auto_autoballoon: "auto" is off when the booted Xen command line matches its dom0_mem= pattern

def _xl_conf(**keys):
    return {'path': '/etc/xen/xl.conf', 'error': None, 'keys': keys}


NOT_SET = 'xl.conf does not set autoballoon (xl defaults to "auto")'


@pytest.mark.parametrize('xl_conf,tokens,expected', [
    (_xl_conf(), None, ('pass', NOT_SET + ' and the booted command line has dom0_mem=1024M,max:1024M, so xl does not '
                                          'balloon dom0')),
    (_xl_conf(autoballoon='off'), None, ('pass', "xl.conf has autoballoon='off'")),
    (_xl_conf(autoballoon='0'), None, ('pass', "xl.conf has autoballoon='0'")),
    # the part as older facts have it: keys without an error key, or an error without keys
    ({'path': '/etc/xen/xl.conf', 'keys': {'autoballoon': 'off'}}, None, ('pass', "xl.conf has autoballoon='off'")),
    ({'path': '/etc/xen/xl.conf', 'error': 'permission denied'}, None,
     ('unknown', 'cannot read /etc/xen/xl.conf: permission denied')),
    (_xl_conf(autoballoon='on'), None, ('fail', "xl.conf has autoballoon='on': xl takes memory from dom0 for new guests")),
    (_xl_conf(autoballoon='no'), None, ('fail', 'xl.conf has autoballoon=\'no\', which xl rejects ("invalid autoballoon '
                                                'option"; it accepts only off, 0, on, 1, auto) and then balloons as '
                                                '"auto"; write autoballoon="off"')),
    (_xl_conf(autoballoon='auto'), BARE, ('fail', "xl.conf has autoballoon='auto' and the booted command line has no "
                                                  'dom0_mem= that xl recognises, so xl balloons dom0')),
    (_xl_conf(), 'none', ('unknown', NOT_SET + ', which depends on dom0_mem on the Xen command line; the facts do not '
                                               'have it')),
    ({'path': '/etc/xen/xl.conf', 'error': '/etc/xen/xl.conf:3:1: lexical error', 'keys': {}}, None,
     ('unknown', 'cannot read /etc/xen/xl.conf: /etc/xen/xl.conf:3:1: lexical error')),
    ({'error': '3:1: lexical error', 'keys': {}}, None, ('unknown', 'cannot read xl.conf: 3:1: lexical error')),
    (None, None, ('unknown', 'the facts have no /etc/xen/xl.conf (xl_conf) (not gathered)')),
], ids=['default', 'off', 'zero', 'keys-only', 'error-only', 'on', 'rejected', 'auto-without-dom0_mem', 'auto-no-cmdline', 'unreadable', 'unreadable-no-path',
        'not-gathered'])
def test_autoballoon_details(xl_conf, tokens, expected):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', xl_conf=xl_conf)
    if tokens == 'none':
        facts.update(cmdline=None, info={})
    elif tokens is not None:
        facts['cmdline'] = tokens
    assert verdict(facts, 'XG-XL-01') == expected + (None,)


# ---------------------------------------------------------------------------------------------
# XG-FLASK-01 .. -04 on the recorded FLASK hosts and on XSM logs (xsm_core.c, flask/hooks.c, silo.c messages)

ENFORCING = (BOOKWORM, 'xl-getenforce.flask-enforcing.txt')
FLASK_EVIDENCE = '; evidence: booted command line has flask=%s; xl dmesg: XSM Framework v1.0.1 initialized; xl dmesg: ' \
    'Flask:  Starting in %s mode.'
NO_FLASK = 'FLASK is not active (XSM module: %s): nothing audits accesses'
NOT_READ = 'the facts have no FLASK mode (flask.mode) nor xl dmesg analysis (dmesg.xsm) (not gathered)'


@pytest.mark.parametrize('facts,expected', [
    (lambda: host_facts(BOOKWORM, 'flask-enforcing', getenforce=ENFORCING), [
        ('pass', 'FLASK is enforcing' + FLASK_EVIDENCE % ('enforcing', 'enforcing')),
        ('pass', 'FLASK is enforcing'),
        ('pass', 'no avc: denied line in xl dmesg (FLASK enforcing)')]),
    (lambda: host_facts(BOOKWORM, 'flask-permissive-policy-module', flask_mode='permissive'), [
        ('pass', 'FLASK is permissive' + FLASK_EVIDENCE % ('permissive', 'permissive')),
        ('fail', 'FLASK is permissive, not enforcing' + FLASK_EVIDENCE % ('permissive', 'permissive')),
        ('pass', 'no avc: denied line in xl dmesg (FLASK permissive)')]),
    # Debian's Xen is built without XSM: it calls flask= an unknown parameter
    (lambda: host_facts(BOOKWORM, 'stock-xen-flask-param-unknown', getenforce=(BOOKWORM, 'xl-getenforce.no-xsm.txt')), [
        ('fail', 'FLASK is disabled; xl dmesg: parameter "flask" unknown (this Xen is built without FLASK)'),
        ('fail', 'FLASK is disabled, not enforcing; xl dmesg: parameter "flask" unknown (this Xen is built without FLASK)'),
        ('not_applicable', NO_FLASK % 'dummy')]),
    (lambda: host_facts(BOOKWORM, 'q35-vtd-intremap', flask_mode='disabled', without=('dmesg',)), [
        ('fail', 'FLASK is disabled'), ('fail', 'FLASK is disabled, not enforcing'), ('not_applicable', NO_FLASK % 'unknown')]),
    (lambda: host_facts(BOOKWORM, 'q35-vtd-intremap', without=('dmesg',)), [('unknown', NOT_READ)] * 3),
    (lambda: host_facts(BOOKWORM, 'q35-vtd-intremap', flask_mode='disabled', booted=['xsm=silo'],
                        dmesg_text='(XEN) Initialising XSM SILO mode\n(XEN) XSM Framework v1.0.1 initialized\n'), [
        ('pass', 'XSM SILO is active: guests can reach dom0 but not each other; evidence: booted command line has xsm=silo; '
                 'xl dmesg: Initialising XSM SILO mode; xl dmesg: XSM Framework v1.0.1 initialized'),
        ('pass', 'XSM SILO is active; it has no permissive mode'),
        ('not_applicable', NO_FLASK % 'silo')]),
    # the ring wrapped before xsm=silo's "Initialising XSM SILO mode"
    (lambda: host_facts(BOOKWORM, 'q35-vtd-intremap', flask_mode='disabled', booted=['xsm=silo'], dmesg_text=''), [
        ('unknown', 'FLASK is disabled; xsm=silo is on the booted command line but xl dmesg no longer shows whether SILO '
                    'started (see XG-XEN-06); evidence: booted command line has xsm=silo'),
        ('unknown', 'FLASK is disabled, not enforcing; xsm=silo is on the booted command line but xl dmesg no longer shows '
                    'whether SILO started (see XG-XEN-06); evidence: booted command line has xsm=silo'),
        ('not_applicable', NO_FLASK % 'unknown')]),
    (lambda: host_facts(BOOKWORM, 'q35-vtd-intremap', booted=[], dmesg_text='(XEN) Flask:  Starting in permissive mode.\n'), [
        ('pass', 'FLASK is active; evidence: xl dmesg: Flask:  Starting in permissive mode.'),
        ('unknown', 'FLASK is active but xl getenforce was not read (flask.mode)'),
        ('pass', 'no avc: denied line in xl dmesg (FLASK active)')]),
    # Debian 13's Xen without XSM, xl getenforce not run: the log alone says which XSM module runs
    (lambda: host_facts(TRIXIE, 'trixie-xen-4.20'), [
        ('fail', 'XSM module: dummy; evidence: xl dmesg holds the start of boot without "XSM Framework": Xen is built '
                 'without XSM')] * 2 + [('not_applicable', NO_FLASK % 'dummy')]),
], ids=['enforcing', 'permissive', 'no-xsm-build', 'getenforce-only', 'nothing', 'silo', 'silo-wrapped', 'flask-log-only',
        'no-xsm-log-only'])
def test_flask_details(facts, expected):
    facts = facts()
    assert [verdict(facts, cid)[:2] for cid in ('XG-FLASK-01', 'XG-FLASK-02', 'XG-FLASK-04')] == expected
    # facts without the xsm part (older xen_facts): the checks work it out of dmesg.xsm and flask.mode alike
    facts['xsm'] = None
    assert [verdict(facts, cid)[:2] for cid in ('XG-FLASK-01', 'XG-FLASK-02', 'XG-FLASK-04')] == expected


def test_flask_unknown_when_nothing_tells_the_xsm_module():
    # xen_facts could tell neither from xl getenforce nor from the log which XSM module runs
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['xsm'] = {'framework': 'unknown', 'mode': None, 'evidence': []}
    for cid in ('XG-FLASK-01', 'XG-FLASK-02'):
        assert verdict(facts, cid) == ('unknown', 'neither xl getenforce nor xl dmesg tells which XSM module runs', None)


DENIED = ['{ map_read } scontext=system_u:system_r:a_t tcontext=system_u:system_r:b_t tclass=grant',
          '{ send } scontext=a tcontext=b tclass=event']


def test_flask_denials_details():
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=ENFORCING)
    facts['dmesg']['xsm'].update(avc_denied=3, avc_denials=list(DENIED))
    assert verdict(facts, 'XG-FLASK-04') == (
        'fail', '3 avc: denied line(s) in xl dmesg (FLASK enforcing), 2 distinct not accepted: %s' % '; '.join(DENIED),
        'denials')
    assert CHECKS['flask_no_denials'](facts, {'accepted': [r'tclass=event$']}) == (
        'fail', '3 avc: denied line(s) in xl dmesg (FLASK enforcing), 1 distinct not accepted: %s' % DENIED[0], 'denials')
    del facts['dmesg']['xsm']['avc_denied']
    assert verdict(facts, 'XG-FLASK-04') == (
        'unknown', 'the facts have no xl dmesg analysis (dmesg.xsm.avc_denied) (not gathered)', None)


def test_flask_denials_details_at_most_five_and_without_a_mode():
    # the log says FLASK runs but xl getenforce was not read: "FLASK active"; five distinct denials are quoted
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', booted=[], dmesg_text='(XEN) Flask:  Starting in permissive mode.\n')
    denials = ['{ send } scontext=a tcontext=b%d tclass=event' % n for n in range(6)]
    facts['dmesg']['xsm'].update(avc_denied=6, avc_denials=denials)
    assert verdict(facts, 'XG-FLASK-04') == (
        'fail', '6 avc: denied line(s) in xl dmesg (FLASK active), 6 distinct not accepted: %s' % '; '.join(denials[:5]),
        'denials')


@pytest.mark.parametrize('facts,expected', [
    (lambda: host_facts(BOOKWORM, 'stock-xen-flask-param-unknown', getenforce=(BOOKWORM, 'xl-getenforce.no-xsm.txt')),
     ('not_applicable', 'no XSM module separates guests (FLASK is disabled): see XG-FLASK-01')),
    (lambda: host_facts(TRIXIE, 'trixie-xen-4.20'),
     ('not_applicable', 'no XSM module separates guests (XSM module: dummy): see XG-FLASK-01')),
    (lambda: host_facts(BOOKWORM, 'q35-vtd-intremap', without=('dmesg',)), ('unknown', NOT_READ)),
    (lambda: host_facts(BOOKWORM, 'flask-enforcing', getenforce=ENFORCING),
     ('unknown', 'the facts have no guest configurations (guest_configs) nor domains (not gathered)')),
], ids=['no-xsm-build', 'no-xsm-log-only', 'nothing', 'no-guest-facts'])
def test_guests_isolated_without_flask_details(facts, expected):
    assert verdict(facts(), 'XG-FLASK-03') == expected + (None,)


SHARED = 'all 2 guests run as the one type domU_t, so FLASK separates none of them (a guest without seclabel gets ' \
    'domU_t); give guests that must not reach each other their own types'


def test_guests_isolated_details():
    # libxl gives a guest without seclabel the domU initial SID: system_u:system_r:domU_t
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=ENFORCING,
                       configs=('hardened-guest.cfg', 'driver-domain.cfg', 'pygrub-guest.cfg'))
    assert verdict(facts, 'XG-FLASK-03') == ('fail', SHARED, 'shared_type')
    for path in facts['guest_configs']:
        facts['guest_configs'][path]['keys']['seclabel'] = 'system_u:system_r:isolated_domU_t'
    assert verdict(facts, 'XG-FLASK-03') == ('pass', 'guests run as 1 types (isolated_domU_t: db1, legacy)', None)
    facts['guest_configs'].update(copy.deepcopy(BROKEN))
    assert verdict(facts, 'XG-FLASK-03') == (
        'unknown', 'cannot read guest configuration(s): /etc/xen/broken.cfg, /etc/xen/typo.cfg', None)
    # a driver domain is no guest to isolate
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=ENFORCING, configs=('driver-domain.cfg',))
    assert verdict(facts, 'XG-FLASK-03') == ('not_applicable', 'fewer than two guests seen (none)', None)
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=ENFORCING, configs=('hardened-guest.cfg',))
    assert verdict(facts, 'XG-FLASK-03') == ('not_applicable', 'fewer than two guests seen (db1)', None)


def test_silo_separates_guests_without_labels():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('hardened-guest.cfg', 'pygrub-guest.cfg'))
    facts['xsm'] = {'framework': 'silo', 'mode': 'disabled', 'evidence': []}
    assert verdict(facts, 'XG-FLASK-03') == (
        'pass', 'XSM SILO forbids guest-to-guest communication by itself (2 guests)', None)
    assert CHECKS['guests_isolated'](facts, {'isolate_guests': False}) == (
        'not_applicable', 'this catalogue does not ask for guests to be isolated from each other')


# ---------------------------------------------------------------------------------------------
# XG-PVBOOT-01: why a pygrub guest is, or is not, restricted. LIBXL_BOOTLOADER_RESTRICT/_USER from Xen 4.17.3
# (XSA-443, libxl_bootloader.c); bootloader_restrict/bootloader_user in xl.cfg and xl.conf from 4.18
# (libxl_create.c: the guest's own value, else xl.conf's, else bootloader_user implies it)

PYGRUB = '/etc/xen/pygrub-guest.cfg'
RESTRICTED = 'no pygrub, or pygrub restricted (%s (pygrub restricted: %%s))' % PYGRUB
UNRESTRICTED = 'booted with pygrub in dom0: %s (%%s)' % PYGRUB
XENDOMAINS = '/etc/default/xendomains exports %s, for the guests xendomains starts'


@pytest.mark.parametrize('version,guest,conf,env,expected', [
    ('4.17.5', {'bootloader_restrict': 1}, None, None,
     ('fail', UNRESTRICTED % ('bootloader_restrict needs Xen 4.18 or later; export LIBXL_BOOTLOADER_RESTRICT=1 for the '
                              'toolstack instead'))),
    ('4.17.2', {'bootloader_restrict': 1}, None, None, ('fail', UNRESTRICTED % 'bootloader_restrict needs Xen 4.18 or later')),
    ('4.17.5', {}, None, {'LIBXL_BOOTLOADER_RESTRICT': '1', 'LIBXL_BOOTLOADER_USER': 'xen-bl', 'LIBXL_BOOTLOADER_TIMEOUT': '5'},
     ('pass', RESTRICTED % (XENDOMAINS % 'LIBXL_BOOTLOADER_RESTRICT, LIBXL_BOOTLOADER_USER'))),
    ('4.20.0', {'bootloader_restrict': '0x1'}, None, None, ('pass', RESTRICTED % 'bootloader_restrict=0x1')),
    ('4.20.0', {'bootloader_user': 'xen-bl'}, None, None, ('pass', RESTRICTED % 'bootloader_user=xen-bl')),
    ('4.20.0', {}, {'bootloader_restrict': 1}, None, ('pass', RESTRICTED % 'xl.conf bootloader_restrict=1')),
    ('4.20.0', {'bootloader_user': 'xen-bl'}, {'bootloader_restrict': 0}, None,
     ('fail', UNRESTRICTED % ('bootloader_user=xen-bl does not restrict: xl.conf sets bootloader_restrict=0, which wins '
                              'over it; set bootloader_restrict=1 in the guest'))),
    ('4.20.0', {'bootloader_restrict': 'yes'}, None, None,
     ('fail', UNRESTRICTED % 'bootloader_restrict=yes is not a number xl reads, so xl ignores it')),
    ('4.20.0', {'bootloader_restrict': 0}, {'bootloader_restrict': 1}, None, ('fail', UNRESTRICTED % 'bootloader=pygrub')),
    ('4.20.0', {'bootloader': '/usr/bin/pvgrub'}, None, None, ('pass', 'no pygrub, or pygrub restricted (%s)' % PYGRUB)),
], ids=['4.17-own-with-env-hint', '4.17.2-own', '4.17-env', '4.20-own-hex', '4.20-user', '4.20-xl.conf', '4.20-conf-0-user',
        '4.20-own-unparsed', '4.20-own-0', 'not-pygrub'])
def test_pygrub_details(version, guest, conf, env, expected):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('pygrub-guest.cfg',))
    facts['version'], facts['info']['xen_minor'] = version, version.split('.')[1]
    facts['guest_configs'][PYGRUB]['keys'].update(guest)
    if conf is not None:
        facts['xl_conf'] = {'path': '/etc/xen/xl.conf', 'keys': conf, 'error': None}
    if env is not None:
        facts['toolstack_env'] = {'path': '/etc/default/xendomains', 'exported': env}
    assert verdict(facts, 'XG-PVBOOT-01') == expected + (None,)


def test_pygrub_running_domain_details():
    # on 4.17 the running domain's b_info has no bootloader_restrict: the environment of xendomains restricts it
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    facts['toolstack_env'] = {'path': '/etc/default/xendomains', 'exported': {'LIBXL_BOOTLOADER_RESTRICT': '1'}}
    facts['domains'][1]['config']['b_info']['bootloader'] = 'pygrub'
    assert verdict(facts, 'XG-PVBOOT-01') == (
        'pass', 'no pygrub, or pygrub restricted (running domain test-pv-long (domid 4) (pygrub restricted: %s))'
        % (XENDOMAINS % 'LIBXL_BOOTLOADER_RESTRICT'), None)
    # an HVM guest runs no bootloader (libxl_bootloader.c): nothing is left to judge
    facts['domains'][1]['config']['c_info']['type'] = 'hvm'
    facts['domains'][1].pop('type', None)
    assert verdict(facts, 'XG-PVBOOT-01') == ('not_applicable', 'no guest configuration or running guest seen', None)


# ---------------------------------------------------------------------------------------------
# XG-DM-01 and XG-DD-01 when there is nothing to judge, or several guests

def test_device_model_details_without_hvm_guests():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('pv-direct-kernel.cfg',))
    assert verdict(facts, 'XG-DM-01') == ('not_applicable', 'no HVM guest seen', None)
    facts['guest_configs'].update(copy.deepcopy(BROKEN))
    assert verdict(facts, 'XG-DM-01') == (
        'unknown', 'cannot read guest configuration(s): /etc/xen/broken.cfg, /etc/xen/typo.cfg', None)
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    assert verdict(facts, 'XG-DM-01') == (
        'unknown', 'the facts have no guest configurations (guest_configs) nor domains (not gathered)', None)


def test_device_model_details_name_every_guest_of_each_kind():
    configs = ('hvm-weird-spacing.cfg', 'hardened-guest.cfg')
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=configs, **GUEST_HOST)
    dom = facts['domains'][1]
    dom.pop('type', None)
    dom['config']['c_info']['type'] = 'hvm'
    dom['config']['b_info']['device_model_stubdomain'] = 'True'
    status, detail, problem = verdict(facts, 'XG-DM-01')
    assert (status, detail, problem) == (
        'fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: /etc/xen/hvm-weird-spacing.cfg; stub domain: '
                '/etc/xen/hardened-guest.cfg, running domain test-pv-long (domid 4). Xen\'s SUPPORT.md lists Linux '
                'device-model stub domains and dm_restrict (device model deprivileging) as Tech Preview.', None)


def test_vif_backend_details():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    vifs = facts['backends']['vif']
    vifs.append(dict(vifs[0], frontend_domid=5, devid=1, backend_domid='0'))
    assert verdict(facts, 'XG-DD-01') == (
        'fail', '2 of 2 guest vifs have their backend in dom0: domain 4 vif 0, domain 5 vif 1', None)
    vifs[0]['backend_domid'], vifs[1]['backend_domid'] = 3, 2
    assert verdict(facts, 'XG-DD-01') == (
        'pass', 'all 2 guest vifs have their backend outside dom0 (backend domains 2, 3)', None)
    facts['backends']['vif'] = []
    assert verdict(facts, 'XG-DD-01') == ('not_applicable', 'no guest network interface (vif) in xenstore', None)
    facts['backends'] = None
    assert verdict(facts, 'XG-DD-01') == ('unknown', 'the facts have no xenstore backends (backends.vif) (not gathered)', None)


# ---------------------------------------------------------------------------------------------
# XG-XS-01 over the running xenstore daemon (command lines as launch-xenstore passes them; oxenstored.conf as
# Xen 4.17.5 installs it): the whole sentence, quotas listed in a fixed order

OX_QUOTAS = 'quota-activate = true, quota-maxentity = 1000, quota-maxsize = 2048, quota-maxwatch = 100, ' \
    'quota-transaction = 10, quota-maxrequests = 1024'
C_QUOTAS = 'nodes=%s, watches=%s, transactions=10, outstanding=20, memory=2621440, node-size=2048'
KEEP_ORPHANS = '-K (--keep-orphans): the nodes of a destroyed guest are kept and handed to the privileged domain, ' \
    'which no quota counts, instead of deleted - a guest can leave its full quota behind at every restart and later ' \
    'guests can find its data'
MEMORY_OFF = 'memory=0 switches the per-domain memory quota off (it is checked only when non-zero)'
CONF = '/etc/xen/oxenstored.conf'


def _xenstored_cases():
    later = 'quotas changed later with xenstore-control are not seen'
    return [
        (xs.OX_417, ['oxenstored'] + xs.PIDFILE, {CONF: (xs.DEFAULT_CONF, None)},
         ('pass', 'oxenstored (pid 612) limits every guest (%s) from %s' % (OX_QUOTAS, CONF), None)),
        (xs.OX_417, ['oxenstored'], {},
         ('pass', 'oxenstored (pid 612) limits every guest (%s) from %s; %s does not exist: Xen\'s compiled-in defaults '
                  'apply' % (OX_QUOTAS, CONF, CONF), None)),
        (xs.OX_417, ['oxenstored'], {CONF: (xs.DEFAULT_CONF + 'quota-activate = false\n', None)},
         ('fail', 'oxenstored (pid 612) runs without some per-domain quotas: quota-activate = false switches the node, '
                  'node size and watch quotas off (quota.ml, connection.ml)', 'xenstored_quota_off')),
        (xs.OX_417, ['oxenstored'], {CONF: (None, 'cannot read the file')},
         ('unknown', 'oxenstored (pid 612) reads %s, which could not be read: cannot read the file' % CONF, None)),
        (xs.OX_417, ['oxenstored', '--config-file', '/srv/xs.conf'], {'/srv/xs.conf': ('perms-activate = false\n', None)},
         ('fail', 'oxenstored (pid 612): perms-activate = false: xenstore checks no node permissions at all, every guest '
                  'reads and writes every node', 'xenstored_unsafe_option')),
        (xs.C_420, ['xenstored'] + xs.PIDFILE, {},
         ('pass', 'xenstored (pid 612) limits every guest (%s) from its arguments (--pid-file /var/run/xen/xenstored.pid); '
                  '%s' % (C_QUOTAS % (1000, 128), later), None)),
        (xs.C_420, ['xenstored'], {},
         ('pass', 'xenstored (pid 612) limits every guest (%s) from its arguments (none: Xen\'s defaults); %s'
          % (C_QUOTAS % (1000, 128), later), None)),
        (xs.C_420, ['xenstored', '-E', '100000', '-W', '1000'], {},
         ('pass', 'xenstored (pid 612) limits every guest (%s) from its arguments (-E 100000 -W 1000); %s; raised above '
                  'Xen\'s default: nodes=100000 (default 1000), watches=1000 (default 128)'
          % (C_QUOTAS % (100000, 1000), later), None)),
        (xs.C_417, ['xenstored', '-K'], {}, ('fail', 'xenstored (pid 612): ' + KEEP_ORPHANS, 'xenstored_keep_orphans')),
        (xs.C_420, ['xenstored', '--keep-orphans', '-Q', 'memory=0'], {},
         ('fail', 'xenstored (pid 612): %s; %s' % (KEEP_ORPHANS, MEMORY_OFF), 'xenstored_keep_orphans')),
        (xs.C_420, ['xenstored', '-Q', 'memory=0'], {},
         ('fail', 'xenstored (pid 612) runs without some per-domain quotas: ' + MEMORY_OFF, 'xenstored_quota_off')),
    ]


def test_xenstored_details():
    for exe, argv, files, expected in _xenstored_cases():
        facts = xs._host(xenstored.daemon_facts(612, exe, 'x', argv, '4.17.5', xs.conf_reader(files)))
        assert verdict(facts, 'XG-XS-01') == expected, argv
    for daemon, detail in ((xenstored.not_found('no xenstored or oxenstored process runs in dom0'),
                            'no xenstored or oxenstored process runs in dom0'),
                           ({'found': False}, 'no xenstore daemon was found in dom0'),
                           (None, 'the facts have no xenstore daemon facts (xenstored) (not gathered)')):
        assert verdict(xs._host(daemon), 'XG-XS-01') == ('unknown', detail, None)


# ---------------------------------------------------------------------------------------------
# XG-NET-01 .. -03 on the lab dom0 before and after the network_split role (tests/unit/fixtures/dom0-netsplit)

NETS = ('XG-NET-01', 'XG-NET-02', 'XG-NET-03')
SPLIT_NET = 'xenbr0, eth1 (declared by the network_split role)'
NO_GUEST_NET = 'no guest network in dom0: no bridge carries a guest vif (vif<domid>.<devid>), no guest configuration ' \
    'names a dom0 bridge, the network_split role declared none and guest_interfaces is empty (%s)'


def _net_verdicts(net, params=None):
    facts = {'is_dom0': True, 'version': '4.17.5', 'info': {}, 'cmdline': [], 'network': net, 'guest_configs': {}}
    controls = [dict(c, params=c['params'] if params is None else params) for c in CONTROLS if c['id'] in NETS]
    return [(r['status'], r['detail'], r['problem']) for r in evaluate(facts, controls)]


def _eth1_addressed():
    """The stock lab dom0 with an address on eth1 by hand, eth1 named as the guest network."""
    net = ns.network('stock')
    eth1 = [i for i in net['interfaces'] if i['name'] == 'eth1'][0]
    eth1['addresses'] = [{'family': 'inet', 'address': '192.0.2.2', 'prefixlen': 24, 'scope': 'global'}]
    return net


def _without_nft(net):
    net['nftables'], net['nft_error'] = None, 'nft: permission denied'
    return net


@pytest.mark.parametrize('net,params,expected', [
    (lambda: ns.network('split', ns.DECLARED), None, [
        ('pass', 'dom0 has no address on the guest network %s and takes no IPv6 autoconfiguration there' % SPLIT_NET, None),
        ('pass', 'no listening socket of dom0 is bound to an address on the guest network %s, which has no dom0 address '
                 '(2 listening sockets: tcp 10.0.2.15, udp 0.0.0.0)' % SPLIT_NET, None),
        ('pass', 'nftables drops traffic to dom0 from the guest network %s (chains arp xenguard_network_split/input, inet '
                 'xenguard_network_split/input)' % SPLIT_NET, None)]),
    (lambda: _without_nft(ns.network('split', ns.DECLARED)), None, [
        ('pass', 'dom0 has no address on the guest network %s and takes no IPv6 autoconfiguration there' % SPLIT_NET, None),
        ('pass', 'no listening socket of dom0 is bound to an address on the guest network %s, which has no dom0 address '
                 '(2 listening sockets: tcp 10.0.2.15, udp 0.0.0.0)' % SPLIT_NET, None),
        ('unknown', 'the nftables ruleset could not be read: nft: permission denied', None)]),
    # the role declared xenbr0 but has not made it yet
    (lambda: ns.network('stock', ns.DECLARED), None, [
        ('unknown', 'the guest network (declared by the network_split role) names xenbr0, which dom0 does not have '
                    '(interfaces: eth0, eth1, lo)', None)] * 3),
    (lambda: ns.network('stock'), None, [('not_applicable', NO_GUEST_NET % '3 interfaces: eth0, eth1, lo', None)] * 3),
    (_eth1_addressed, {'guest_interfaces': ['eth1']}, [
        ('fail', 'dom0 is reachable on the guest network eth1 (named by guest_interfaces): eth1 has 192.0.2.2/24; eth1 '
                 'accepts IPv6 router advertisements (accept_ra=1); eth1 configures IPv6 addresses itself (autoconf=1)',
         'dom0_address_on_guest_network'),
        ('fail', 'dom0 listens where the guest network eth1 (named by guest_interfaces) reaches it (dom0 has 192.0.2.2 '
                 'there): tcp 0.0.0.0:22, udp 0.0.0.0:68', 'listener_on_guest_network'),
        ('fail', 'traffic to dom0 from the guest network eth1 (named by guest_interfaces) is not dropped: eth1: no input '
                 'chain of family inet (or ip and ip6) drops iifname "eth1"; eth1: no input chain of family arp drops '
                 'iifname "eth1" (dom0 answers ARP for its addresses on every interface)', 'guest_network_unfiltered')]),
    # ip addr and ipv6 settings only (no /proc/net, no nft): the bridge carrying vif1.0 is the guest network
    (lambda: dn.layout('bridge-split'), None, [
        ('pass', 'dom0 has no address on the guest network xenbr0, eth1, vif1.0 (bridges carrying guest vifs) and takes '
                 'no IPv6 autoconfiguration there', None),
        ('unknown', 'the facts have no dom0\'s listening sockets (network.sockets, from /proc/net) (not gathered)', None),
        ('unknown', 'the nftables ruleset could not be read: not gathered', None)]),
    (lambda: None, None, [('unknown', 'the facts have no dom0\'s network interfaces (network) (not gathered)', None)] * 3),
], ids=['split', 'split-without-nft', 'declared-not-made', 'stock', 'address-on-eth1', 'bridge-split', 'not-gathered'])
def test_guest_network_details(net, params, expected):
    assert _net_verdicts(net(), params) == expected


# ---------------------------------------------------------------------------------------------
# XG-VTPM-01 and -03 over the recorded TPM 2.0 host (tests/unit/fixtures/tpm): xen-vtpm(7), xen-vtpmmgr(7); a TIS
# TPM's locality n is the page 0xFED4n000 (iomem fed4n)

TPM2_NOTE = 'Xen documents the vTPM manager on TPM 2.0 as incomplete: it cannot persist its key, so vTPM contents do ' \
    'not survive a reboot (xen-vtpmmgr(7), Appendix B)'


@pytest.mark.parametrize('change,expected', [
    ({}, ('pass', 'TPM 2.0 present: tpm0 (TPM 2.0, driver tpm_tis), ACPI table TPM2, ACPI device MSFT0101:00. ' + TPM2_NOTE)),
    ({'chips': {}}, ('pass', 'TPM 2.0 present: ACPI table TPM2, ACPI device MSFT0101:00. ' + TPM2_NOTE)),
    ({'chips': {'tpm0': {'version_major': '1', 'driver': 'tpm_tis'}}, 'acpi_tables': ['TCPA'], 'acpi_devices': ['PNP0C31:00']},
     ('pass', 'TPM 1.2 present: tpm0 (TPM 1.2, driver tpm_tis), ACPI table TCPA, ACPI device PNP0C31:00')),
    ({'chips': {'tpm0': {'driver': 'tpm_tis'}}, 'acpi_tables': [], 'acpi_devices': []},
     ('pass', 'TPM present (version not known): tpm0 (version not given, driver tpm_tis)')),
    ({'chips': {}, 'acpi_tables': [], 'acpi_devices': []},
     ('fail', 'no hardware TPM: no TPM chip in /sys/class/tpm bound to a hardware driver, no ACPI TPM2 or TCPA table, no '
              'ACPI TPM device')),
], ids=['tpm2', 'tpm2-no-chip', 'tpm12', 'version-unknown', 'none'])
def test_tpm_present_details(change, expected):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['tpm'] = _recorded_tpm(**change)
    assert verdict(facts, 'XG-VTPM-01') == expected + (None,)


SHARES = 'dom0 uses the TPM (tpm0 bound) and the vTPM manager shares its locality: %s. Blacklist dom0\'s TPM driver, or ' \
    'run the manager at locality 2 (extra="tpmlocality=2", iomem=["fed42,1"])'
MGR = '/etc/xen/vtpmmgr.cfg'


@pytest.mark.parametrize('extra,iomem,expected', [
    (None, None, ('pass', 'locality split: dom0 uses the TPM at locality 0 (tpm0 bound), the vTPM manager %s (locality 2); '
                          'only XSM iomem labels stop dom0 from reaching the manager\'s page (xen-vtpmmgr(7))' % MGR, None)),
    # xen-vtpmmgr(7) Appendix B's TPM 2.0 example: the default locality 0 and all five pages
    ('tpm2=1', ['fed40,5'], ('fail', SHARES % ('%s uses locality 0, the one Linux in dom0 uses' % MGR),
                             'manager_shares_dom0_locality')),
    ('tpmlocality=2', ['fed40,5'], ('fail', SHARES % ('%s maps the locality 0 page (iomem fed40, fed41, fed42, fed43, fed44)'
                                                      % MGR), 'manager_shares_dom0_locality')),
    ('tpmlocality=3', ['fed42,1'], ('fail', SHARES % ('%s uses locality 3 but its iomem= (fed42) does not give it that page'
                                                      % MGR), 'manager_shares_dom0_locality')),
    ('tpmlocality=3', [], ('fail', SHARES % ('%s uses locality 3 but its iomem= (none) does not give it that page' % MGR),
                           'manager_shares_dom0_locality')),
    ('tpmlocality=7', ['fed42,1'], ('fail', SHARES % ('%s: tpmlocality=7 is not a TPM locality (0 to 4)' % MGR),
                                    'manager_shares_dom0_locality')),
], ids=['locality-2', 'locality-0', 'page-0-mapped', 'page-missing', 'no-iomem', 'no-such-locality'])
def test_manager_locality_details(extra, iomem, expected):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('hardened-guest.cfg',))
    facts['tpm'] = _recorded_tpm()
    facts['guest_configs'].update(_tpm_config('vtpmmgr.cfg'))
    if extra is not None:
        facts['guest_configs'][MGR]['keys'].update(extra=extra, iomem=iomem)
    assert verdict(facts, 'XG-VTPM-03') == expected


def test_manager_locality_names_every_manager():
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['tpm'] = _recorded_tpm()
    facts['guest_configs'] = dict(_tpm_config('vtpmmgr.cfg'), **_tpm_config('vtpmmgr.cfg', '/etc/xen/vtpmmgr2.cfg'))
    facts['guest_configs'][MGR]['keys'].update(extra='tpm2=1', iomem=['fed40,5'])
    facts['guest_configs']['/etc/xen/vtpmmgr2.cfg']['keys'].update(extra='tpmlocality=3', iomem=[])
    assert verdict(facts, 'XG-VTPM-03') == (
        'fail', SHARES % ('%s uses locality 0, the one Linux in dom0 uses; /etc/xen/vtpmmgr2.cfg uses locality 3 but its '
                          'iomem= (none) does not give it that page' % MGR), 'manager_shares_dom0_locality')


@pytest.mark.parametrize('tpm,configs,expected', [
    (_recorded_tpm, {}, ('not_applicable', 'dom0 uses the TPM (tpm0 bound) and no vTPM manager is configured (no '
                                           'configuration with a vtpmmgr kernel): nothing shares it')),
    # dom0's kernel has tpm_tis and tpm_crb built in (the recorded modules.builtin): a blacklist cannot stop those
    (lambda: _recorded_tpm(chips={}, modprobe={'/etc/modprobe.d/xenguard-vtpm.conf': ['blacklist tpm_tis', 'blacklist tpm_crb']}),
     {}, ('pass', 'dom0 keeps off the hardware TPM: its TPM drivers are blacklisted (tpm_crb, tpm_tis); tpm_tis, tpm_crb '
                  'built into the kernel, which a blacklist does not stop')),
    (lambda: _recorded_tpm(chips={}), {}, ('pass', 'dom0 keeps off the hardware TPM: no TPM driver is bound; tpm_tis, '
                                                   'tpm_crb built into the kernel, which a blacklist does not stop')),
    (lambda: _recorded_tpm(chips={}, acpi_tables=[], acpi_devices=[]), {}, ('not_applicable', 'no hardware TPM (XG-VTPM-01)')),
    (lambda: dict((k, v) for k, v in _recorded_tpm().items() if k != 'dom0_driver'), {},
     ('unknown', 'the facts have no dom0\'s TPM driver state (tpm.dom0_driver) (not gathered)')),
    (_recorded_tpm, None, ('unknown', 'the facts have no guest configurations (guest_configs) (not gathered)')),
    (lambda: None, {}, ('unknown', 'the facts have no TPM facts (tpm.present) (not gathered)')),
], ids=['no-manager', 'blacklisted', 'unbound', 'no-tpm', 'no-driver-facts', 'no-configs', 'no-tpm-facts'])
def test_manager_locality_other_details(tpm, configs, expected):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts['tpm'], facts['guest_configs'] = tpm(), configs
    assert verdict(facts, 'XG-VTPM-03') == expected + (None,)


# ---------------------------------------------------------------------------------------------
# XG-XEN-09 .. -18, the controls from xen-command-line.pandoc ("### vpmu", "### hvm_fep", "### ept", "### spec-ctrl",
# "### iommu", "### dom0-iommu", "### scrub-domheap", "### gnttab_max_frames"): each sentence whole

LACKS = 'dom0 is not protected on entry to Xen: the booted command line lacks %s'


@pytest.mark.parametrize('tokens,cid,expected', [
    (['vpmu'], 'XG-XEN-09', ('pass', 'booted command line has vpmu: the virtual PMU stays off')),
    (['vpmu=1'], 'XG-XEN-09', ('fail', 'booted command line has vpmu=1: guests get the virtual PMU, which is not safe in '
                                       'production (XSA-163)')),
    ([], 'XG-XEN-09', ('pass', 'booted command line has no vpmu= (off by default)')),
    (['hvm_fep'], 'XG-XEN-10', ('fail', 'booted command line has hvm_fep: HVM guests can make Xen emulate arbitrary '
                                        'instructions (no security support)')),
    (['hvm_fep=0'], 'XG-XEN-10', ('pass', 'booted command line has hvm_fep=0: the forced emulation prefix stays off')),
    ([], 'XG-XEN-10', ('pass', 'booted command line has no hvm_fep (off by default)')),
    (['ept=exec-sp'], 'XG-XEN-11', ('fail', 'booted command line has ept=exec-sp: executable EPT superpages are allowed even '
                                            'where HVM guests can use them to crash the host (CVE-2018-12207)')),
    (['ept=exec-sp', 'ept=no-exec-sp'], 'XG-XEN-11', ('pass', 'booted command line has ept=exec-sp ept=no-exec-sp')),
    ([], 'XG-XEN-11', ('pass', 'booted command line leaves ept=exec-sp at its default (off on affected hardware); note that '
                               '"xl set-parameters ept=exec-sp" can change it at run time')),
    ([], 'XG-XEN-12', ('not_applicable', 'no guest has a PCI device passed through')),
    (['spec-ctrl=unpriv-mmio'], 'XG-XEN-12', ('pass', 'booted command line has spec-ctrl=unpriv-mmio (no guest has a PCI '
                                                      'device now)')),
    (['spec-ctrl=ibpb-entry,bhb-entry'], 'XG-XEN-13', ('pass', 'booted command line protects dom0 on entry '
                                                               '(spec-ctrl=ibpb-entry,bhb-entry)')),
    (['spec-ctrl=ibpb-entry=pv'], 'XG-XEN-13', ('fail', LACKS % 'spec-ctrl=ibpb-entry, spec-ctrl=bhb-entry')),
    (['spec-ctrl=lock-harden'], 'XG-XEN-14', ('pass', 'booted command line has spec-ctrl=lock-harden')),
    ([], 'XG-XEN-14', ('fail', 'the booted command line has no spec-ctrl=lock-harden (off unless asked for)')),
    (['iommu=no-quarantine'], 'XG-XEN-15', ('fail', 'booted command line has iommu=no-quarantine: devices taken from guests '
                                                    'are not quarantined')),
    (['iommu=quarantine=scratch-page'], 'XG-XEN-15', ('pass', 'booted command line has iommu=quarantine=scratch-page')),
    ([], 'XG-XEN-15', ('pass', 'booted command line leaves iommu=quarantine at its default (chosen when Xen is built; true '
                               'unless built with CONFIG_IOMMU_QUARANTINE_NONE)')),
    (['iommu=dom0-strict', 'dom0-iommu=map-inclusive'], 'XG-XEN-16',
     ('pass', 'booted command line has dom0-iommu=map-inclusive iommu=dom0-strict')),
    (['dom0-iommu=strict,none'], 'XG-XEN-16', ('fail', 'booted command line has dom0-iommu=strict,none: "none" skips dom0 '
                                                       'IOMMU safety checks (development only)')),
    (['dom0-iommu=strict,passthrough'], 'XG-XEN-16', ('fail', 'booted command line has dom0-iommu=strict,passthrough: dom0 '
                                                              'devices bypass the IOMMU')),
    ([], 'XG-XEN-16', ('fail', 'booted command line has no dom0-iommu=strict: dom0 may have IOMMU mappings of all RAM')),
    (['scrub-domheap'], 'XG-XEN-17', ('pass', 'booted command line has scrub-domheap')),
    (['scrub-domheap=Yes'], 'XG-XEN-17', ('fail', 'booted command line has scrub-domheap=Yes: freed guest pages are not '
                                                  'scrubbed')),
    ([], 'XG-XEN-17', ('fail', 'booted command line has no scrub-domheap: freed guest pages are not scrubbed')),
    (['gnttab_max_frames=128', 'gnttab_max_maptrack_frames=0x800'], 'XG-XEN-18',
     ('fail', 'booted command line raises the grant-table limits of every domain: gnttab_max_frames=128 (more than 64), '
              'gnttab_max_maptrack_frames=2048 (more than 1024)')),
    (['gnttab_max_frames=32', 'gnttab_max_maptrack_frames=1024'], 'XG-XEN-18',
     ('pass', 'booted command line keeps the grant-table limits: gnttab_max_frames=32, gnttab_max_maptrack_frames=1024')),
    ([], 'XG-XEN-18', ('pass', 'booted command line keeps Xen\'s default grant-table limits (64 frames, 1024 maptrack '
                               'frames)')),
])
def test_more_command_line_details(tokens, cid, expected):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    facts['cmdline'] = ['console=com1'] + tokens
    assert verdict(facts, cid) == expected + (None,)


@pytest.mark.parametrize('version,expected', [
    # spec_ctrl.c at the release tags: 4.16.1 has none of them (ibpb-entry came with XSA-407 in 4.16.2); 4.17.3 has
    # ibpb-entry, and bhb-entry and lock-harden first appear in 4.17.4
    ('4.16.1', ('Xen 4.16.1 has no spec-ctrl=ibpb-entry',
                'Xen 4.16.1 has no spec-ctrl=lock-harden (4.17.4 and 4.20.0 and later have it)')),
    ('4.17.3', (LACKS % 'spec-ctrl=ibpb-entry', 'Xen 4.17.3 has no spec-ctrl=lock-harden (4.17.4 and 4.20.0 and later have it)')),
])
def test_spec_ctrl_option_details_by_release(version, expected):
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    facts.update(info={}, version=version, cmdline=[])
    assert (verdict(facts, 'XG-XEN-13')[1], verdict(facts, 'XG-XEN-14')[1]) == expected


# ---------------------------------------------------------------------------------------------
# XG-XEN-12 and XG-VTPM-02 over configuration files and running domains together

PCI_GUESTS = '/etc/xen/driver-domain.cfg, running domain test-pv-long (domid 4)'


def test_unpriv_mmio_names_every_guest_with_a_pci_device():
    # the driver domain's file has pci=[...]; the running guest has a device in its config.pcidevs (xl list -l)
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', configs=('driver-domain.cfg',), **GUEST_HOST)
    facts['domains'][1]['config']['pcidevs'] = [{'dev': 3}]
    assert verdict(facts, 'XG-XEN-12') == (
        'fail', 'guests with PCI devices passed through (%s), but the booted command line has no spec-ctrl=unpriv-mmio'
        % PCI_GUESTS, None)
    facts['cmdline'] += ['spec-ctrl=unpriv-mmio']
    assert verdict(facts, 'XG-XEN-12') == (
        'pass', 'booted command line has spec-ctrl=unpriv-mmio for the guests with PCI devices (%s)' % PCI_GUESTS, None)
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap')
    assert verdict(facts, 'XG-XEN-12') == (
        'unknown', 'the facts have no guest configurations (guest_configs) nor domains (not gathered)', None)


def test_vtpm_details_name_files_and_running_domains():
    # xen-vtpm(7): a guest's vtpm= backend is its vTPM stub domain; the vTPM domains and the manager are no guests
    facts = host_facts(BOOKWORM, 'q35-vtd-intremap', **GUEST_HOST)
    facts['guest_configs'] = dict(_guest_configs('pv-direct-kernel.cfg', 'hardened-guest.cfg', 'driver-domain.cfg'),
                                  **dict(_tpm_config('vtpm-web1.cfg'), **_tpm_config('vtpmmgr.cfg')))
    assert verdict(facts, 'XG-VTPM-02') == (
        'fail', 'without vTPM: /etc/xen/pv-direct-kernel.cfg; running domain test-pv-long (domid 4)', None)
    facts['guest_configs']['/etc/xen/pv-direct-kernel.cfg']['keys']['vtpm'] = ['backend=0']
    assert verdict(facts, 'XG-VTPM-02') == (
        'fail', 'without vTPM: /etc/xen/pv-direct-kernel.cfg (its vtpm= backend is dom0, not a vTPM domain); running '
                'domain test-pv-long (domid 4)', None)
    # the running guest's vtpm frontend is served by a running vTPM stub domain; a driver domain is no guest
    del facts['guest_configs']['/etc/xen/pv-direct-kernel.cfg']
    facts['backends']['vtpm'] = [{'frontend_domid': 4, 'devid': 0, 'backend_domid': 5, 'path': 'x'}]
    stub = copy.deepcopy(facts['domains'][1])
    stub.update(domid=5, name='vtpm-test')
    stub['config']['b_info']['kernel'] = '/usr/lib/xen/boot/vtpm-stubdom.gz'
    net = copy.deepcopy(facts['domains'][1])
    net.update(domid=6, name='net')
    net['config']['c_info']['driver_domain'] = 'True'
    facts['domains'] += [stub, net]
    assert verdict(facts, 'XG-VTPM-02') == (
        'pass', 'every guest has a vTPM (/etc/xen/hardened-guest.cfg, running domain test-pv-long (domid 4))', None)


def test_guests_isolated_names_running_domains():
    # a running domain's label is c_info.ssid_label (xl list -l); a vTPM stub domain is no guest to isolate
    facts = host_facts(BOOKWORM, 'flask-enforcing', getenforce=ENFORCING, configs=('hardened-guest.cfg',),
                       domains=(BOOKWORM, 'xl-list-l.dom0-plus-pv-domu.json'))
    stub = copy.deepcopy(facts['domains'][1])
    stub.update(domid=5, name='vtpm-test')
    stub['config']['b_info']['kernel'] = '/usr/lib/xen/boot/vtpm-stubdom.gz'
    facts['domains'].insert(1, stub)
    facts['domains'][2]['config']['c_info']['ssid_label'] = 'system_u:system_r:prot_domU_t'
    assert verdict(facts, 'XG-FLASK-03') == ('pass', 'guests run as 2 types (domU_t: db1; prot_domU_t: test-pv-long)', None)
