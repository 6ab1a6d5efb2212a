# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""xl parsers and XlRunner against output recorded on real Xen 4.17 / 4.20 hosts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import xl
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import (
    XenCommandError,
    XenGuardError,
)
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, fixture_files, recorded


# ----------------------------------------------------------------------------- xl info

BASE_CMDLINE = ['console=com1', 'com1=115200,8n1', 'dom0_mem=1024M,max:1024M', 'loglvl=all',
                'guest_loglvl=all', 'smap=0']
# hosts booted with Xen's default log levels (the lab's `up --default-loglvl`): no loglvl options
DEFAULT_LOGLVL_CMDLINE = ['console=com1', 'com1=115200,8n1', 'smap=0', 'dom0_mem=1024M,max:1024M']
ALL_CAPS = ['pv', 'hvm', 'hap', 'shadow', 'gnttab-v1', 'gnttab-v2']
IOMMU_CAPS = ['pv', 'hvm', 'hvm_directio', 'pv_directio', 'hap', 'shadow', 'gnttab-v1', 'gnttab-v2']
VTD_CAPS = ['pv', 'hvm', 'hvm_directio', 'pv_directio', 'hap', 'shadow', 'iommu_hap_pt_share',
            'gnttab-v1', 'gnttab-v2']

XL_INFO = {
    'debian12-xen-4.17/xl-info-n.pc-noiommu.txt': ('4.17.5', ALL_CAPS, BASE_CMDLINE),
    'debian12-xen-4.17/xl-info.cpu-no-svm.txt': (
        '4.17.5', ['pv', 'shadow', 'gnttab-v1', 'gnttab-v2'], BASE_CMDLINE),
    'debian12-xen-4.17/xl-info.cpu-svm-no-npt.txt': (
        '4.17.5', ['pv', 'hvm', 'shadow', 'gnttab-v1', 'gnttab-v2'], BASE_CMDLINE),
    'debian12-xen-4.17/xl-info.flask-enforcing.txt': ('4.17.5', ALL_CAPS, BASE_CMDLINE + ['flask=enforcing']),
    'debian12-xen-4.17/xl-info.pc-noiommu.txt': ('4.17.5', ALL_CAPS, BASE_CMDLINE),
    'debian12-xen-4.17/xl-info.q35-amd-vi.txt': ('4.17.5', IOMMU_CAPS, BASE_CMDLINE + ['iommu=1,verbose']),
    'debian12-xen-4.17/xl-info.q35-vtd-intremap-default-loglvl.txt': ('4.17.5', VTD_CAPS, DEFAULT_LOGLVL_CMDLINE),
    'debian12-xen-4.17/xl-info.q35-vtd-intremap.txt': ('4.17.5', VTD_CAPS, BASE_CMDLINE + ['iommu=1,verbose']),
    'debian12-xen-4.17/xl-info.q35-vtd-no-intremap.txt': (
        '4.17.5', VTD_CAPS, BASE_CMDLINE + ['iommu=1,verbose']),
    'debian13-xen-4.20/xl-info.q35-vtd-intremap-default-loglvl.txt': (
        '4.20.5-pre', ['pv', 'hvm', 'hvm_directio', 'pv_directio', 'hap', 'iommu_hap_pt_share', 'gnttab-v1',
                       'gnttab-v2'], DEFAULT_LOGLVL_CMDLINE),
    'debian13-xen-4.20/xl-info.trixie-xen-4.20.txt': (
        '4.20.5-pre', ['pv', 'hvm', 'hap', 'gnttab-v1', 'gnttab-v2'], BASE_CMDLINE),
    'grub-boot/xl-info.bookworm-flask-via-grub.txt': (
        '4.17.5', ALL_CAPS,
        ['console=com1', 'com1=115200,8n1', 'dom0_mem=768M,max:768M', 'loglvl=all', 'guest_loglvl=all',
         'smap=0', 'flask=enforcing']),
}


def test_every_xl_info_fixture_has_an_expectation():
    assert sorted(XL_INFO) == fixture_files(r'xl-info')


@pytest.mark.parametrize('name', sorted(XL_INFO), ids=sorted(XL_INFO))
def test_parse_xl_info(name):
    version, caps, cmdline = XL_INFO[name]
    info = xl.parse_xl_info(fixture(name))
    assert xl.xen_version(info) == version
    assert info['xen_version'] == version
    assert info['virt_caps_list'] == caps
    # recorded on the lab's image hosts (hostname xenlab-DIST) or on the earlier hand-made ones
    assert info['host'] == ('xenlab-trixie' if 'default-loglvl' in name and 'debian13' in name else
                            'xenlab-bookworm' if 'default-loglvl' in name else 'xenlab-dom0')
    assert info['nr_cpus'] == '2'
    assert info['xend_config_format'] == '4'
    # values keep everything after the first colon
    assert info['hw_caps'].count(':') == 7
    assert xl.split_xen_cmdline(info['xen_commandline']) == cmdline
    # every key xl printed is kept: one per line (34 keys in 4.17 and 4.20), plus the tables of -n
    plain = [k for k in info if k != 'virt_caps_list']
    if '-n.' in name:
        assert len(plain) == 37
    else:
        assert len(plain) == 34 == len(fixture(name).strip().splitlines())


def test_parse_xl_info_empty_values_stay_empty():
    info = xl.parse_xl_info(fixture('debian12-xen-4.17/xl-info.flask-enforcing.txt'))
    assert info['cc_compile_by'] == ''
    assert info['xen_changeset'] == ''
    assert info['cc_compiler'] == 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0'


def test_parse_xl_info_numa_tables_are_continuations():
    info = xl.parse_xl_info(fixture('debian12-xen-4.17/xl-info-n.pc-noiommu.txt'))
    assert info['cpu_topology'].splitlines() == [
        'cpu:    core    socket     node',
        '  0:       0        0        0',
        '  1:       1        0        0',
    ]
    assert info['device_topology'] == 'device           node\nNo device topology data available'
    assert info['numa_info'].splitlines()[1].split() == ['0:', '3071', '2014', '10']
    # a table line "cpu: ..." must not become a key
    assert 'cpu' not in info and 'node' not in info
    assert info['xen_minor'] == '17'


def test_parse_xl_info_rejects_garbage_and_nothing():
    with pytest.raises(XenGuardError, match='key : value'):
        xl.parse_xl_info('this is not xl info\n')
    with pytest.raises(XenGuardError, match='printed nothing'):
        xl.parse_xl_info('\n\n')


def test_xen_version_falls_back():
    assert xl.xen_version({'xen_version': '4.19.1'}) == '4.19.1'
    assert xl.xen_version({}) is None


# ----------------------------------------------------------------------------- xl list

XL_LIST_LONG = {
    'debian12-xen-4.17/xl-list-l.dom0-only.json': [(0, 'Domain-0', 'pv', None)],
    'debian12-xen-4.17/xl-list-l.dom0-plus-pv-domu.json': [
        (0, 'Domain-0', 'pv', None),
        (4, 'test-pv-long', 'pv', 'd3cc53a7-2cee-414c-b423-c2f68c15cc54')],
    'debian13-xen-4.20/xl-list-l.dom0-only.trixie.json': [(0, 'Domain-0', 'pv', None)],
}


def test_every_xl_list_long_fixture_has_an_expectation():
    assert sorted(XL_LIST_LONG) == fixture_files(r'xl-list-l')


@pytest.mark.parametrize('name', sorted(XL_LIST_LONG), ids=sorted(XL_LIST_LONG))
def test_parse_xl_list_long(name):
    domains = xl.parse_xl_list_long(fixture(name))
    assert [(d['domid'], d['name'], d['type'], d['uuid']) for d in domains] == XL_LIST_LONG[name]
    dom0 = domains[0]
    assert dom0['config']['b_info']['max_memkb'] == 1048576
    assert dom0['config']['b_info']['sched_params'] == {'sched': 'credit2', 'weight': 256, 'cap': 0}
    # fields at their default are simply missing for dom0
    assert 'disks' not in dom0['config'] and 'uuid' not in dom0['config']['c_info']


def test_parse_xl_list_long_guest_details():
    guest = xl.parse_xl_list_long(fixture('debian12-xen-4.17/xl-list-l.dom0-plus-pv-domu.json'))[1]
    assert guest['config']['disks'][0]['pdev_path'] == '/root/domu/pvgrub.img'
    assert guest['config']['nics'][0]['bridge'] == 'xenbr1'
    assert guest['config']['b_info']['cmdline'].startswith('console=hvc0')
    # xl prints defbools as strings; they are kept as xl prints them
    assert guest['config']['c_info']['run_hotplug_scripts'] == 'True'


def test_parse_xl_list_long_default_markers_become_none():
    text = fixture('debian12-xen-4.17/xl-list-l.dom0-plus-pv-domu.json')
    text = text.replace('"msr_relaxed": "False"', '"msr_relaxed": "<default>"')
    text = text.replace('"format": "raw"', '"format": "<default>"')
    guest = xl.parse_xl_list_long(text)[1]
    assert guest['config']['b_info']['arch_x86'] == {'msr_relaxed': None}
    assert guest['config']['disks'][0]['format'] is None
    assert guest['config']['disks'][0]['vdev'] == 'xvda'


@pytest.mark.parametrize('text', ['', '\n', '[\n\n]\n', '[]'], ids=['empty', 'newline', 'yajl-empty', 'compact-empty'])
def test_parse_xl_list_long_no_domains(text):
    assert xl.parse_xl_list_long(text) == []


def test_parse_xl_list_long_one_object_and_errors():
    one = xl.parse_xl_list_long('{"domid": 3, "config": {"c_info": {"name": "g", "type": "pvh"}}}')
    assert one == [{'domid': 3, 'name': 'g', 'type': 'pvh', 'uuid': None,
                    'config': {'c_info': {'name': 'g', 'type': 'pvh'}}}]
    with pytest.raises(XenGuardError, match='SXP'):
        xl.parse_xl_list_long('(domain\n\t(domid 0)\n)')
    with pytest.raises(XenGuardError, match='Cannot parse the JSON'):
        xl.parse_xl_list_long('[{"domid": 0,')
    with pytest.raises(XenGuardError, match='not a list'):
        xl.parse_xl_list_long('"Domain-0"')
    with pytest.raises(XenGuardError, match='not an object'):
        xl.parse_xl_list_long('[1, 2]')


def test_parse_xl_list_verbose_table():
    rows = xl.parse_xl_list(fixture('debian12-xen-4.17/xl-list-v.dom0-plus-pv-domu.txt'))
    assert [(r['name'], r['domid'], r['mem'], r['vcpus'], r['state']) for r in rows] == [
        ('Domain-0', 0, 1024, 2, 'r-----'), ('test-pv-long', 4, 128, 1, '-b----')]
    assert rows[1]['uuid'] == 'd3cc53a7-2cee-414c-b423-c2f68c15cc54'
    assert rows[1]['time'] == 3.1
    assert rows[0]['security_label'] == '-' and rows[0]['reason_code'] == '-'


def test_parse_xl_list_plain_and_context_tables():
    plain = ('Name                                        ID   Mem VCPUs\tState\tTime(s)\n'
             'Domain-0                                     0  1024     2     r-----     109.3\n'
             'my guest                                     7   256     1     -b----       1.0\n')
    rows = xl.parse_xl_list(plain)
    assert [r['name'] for r in rows] == ['Domain-0', 'my guest']
    assert 'uuid' not in rows[0]
    context = ('Name                                        ID   Mem VCPUs\tState\tTime(s)   Security Label\n'
               'Domain-0                                     0   768     2     r-----      20.0'
               ' system_u:system_r:dom0_t\n')
    assert xl.parse_xl_list(context)[0]['security_label'] == 'system_u:system_r:dom0_t'
    assert xl.parse_xl_list('') == []
    with pytest.raises(XenGuardError, match='header'):
        xl.parse_xl_list('Domain-0 0 1024 2 r----- 1.0\n')
    with pytest.raises(XenGuardError, match='Cannot parse xl list line'):
        xl.parse_xl_list(plain.splitlines()[0] + '\nshort 1 2\n')


# ----------------------------------------------------------------------------- xl dmesg

SPEC_LINES = 9
# name: (vendor, enabled, interrupt remapping, queued invalidation, xsm framework,
#        flask param unknown, spec-ctrl lines, cmdline from the log)
XL_DMESG = {
    'debian12-xen-4.17/xl-dmesg.flask-enforcing.txt':
        ('none', False, False, None, 'flask', False, SPEC_LINES, BASE_CMDLINE + ['flask=enforcing']),
    'debian12-xen-4.17/xl-dmesg.flask-permissive-policy-module.txt':
        ('none', False, False, None, 'flask', False, SPEC_LINES, BASE_CMDLINE + ['flask=permissive']),
    'debian12-xen-4.17/xl-dmesg.pc-noiommu.txt':
        ('none', False, False, None, None, False, SPEC_LINES, BASE_CMDLINE),
    'debian12-xen-4.17/xl-dmesg.q35-amd-vi.txt':
        ('amd', True, True, None, None, False, SPEC_LINES, BASE_CMDLINE + ['iommu=1,verbose']),
    # Xen 4.17 at its default log level prints half as much (99 lines instead of 197: no ACPI tables,
    # E820/MTRR details, "*** Building a PV Dom0 ***"...); the IOMMU and spec-ctrl lines stay
    'debian12-xen-4.17/xl-dmesg.q35-vtd-intremap-default-loglvl.txt':
        ('intel', True, True, True, None, False, SPEC_LINES, DEFAULT_LOGLVL_CMDLINE),
    'debian12-xen-4.17/xl-dmesg.q35-vtd-intremap.txt':
        ('intel', True, True, True, None, False, SPEC_LINES, BASE_CMDLINE + ['iommu=1,verbose']),
    'debian12-xen-4.17/xl-dmesg.q35-vtd-no-intremap.txt':
        ('intel', True, False, True, None, False, SPEC_LINES, BASE_CMDLINE + ['iommu=1,verbose']),
    'debian12-xen-4.17/xl-dmesg.stock-xen-flask-param-unknown.txt':
        ('none', False, False, None, None, True, SPEC_LINES, BASE_CMDLINE + ['flask=enforcing']),
    'debian13-xen-4.20/xl-dmesg-head.trixie-xen-4.20.txt':
        ('none', False, False, None, None, False, 0, BASE_CMDLINE),
    'debian13-xen-4.20/xl-dmesg.trixie-xen-4.20.txt':
        ('none', False, False, None, None, False, SPEC_LINES, BASE_CMDLINE),
    'debian13-xen-4.20/xl-dmesg.q35-vtd-intremap-default-loglvl.txt':
        ('intel', True, True, True, None, False, SPEC_LINES, DEFAULT_LOGLVL_CMDLINE),
    'grub-boot/xl-dmesg.bookworm-flask-via-grub.txt':
        ('none', False, False, None, 'flask', False, SPEC_LINES,
         ['console=com1', 'com1=115200,8n1', 'dom0_mem=768M,max:768M', 'loglvl=all', 'guest_loglvl=all',
          'smap=0', 'flask=enforcing']),
}


def test_every_xl_dmesg_fixture_has_an_expectation():
    assert sorted(XL_DMESG) == fixture_files(r'xl-dmesg')


@pytest.mark.parametrize('name', sorted(XL_DMESG), ids=sorted(XL_DMESG))
def test_analyse_dmesg(name):
    vendor, enabled, intremap, qinval, framework, param_unknown, spec_lines, cmdline = XL_DMESG[name]
    text = fixture(name)
    result = xl.analyse_dmesg(text)
    assert result['iommu']['vendor'] == vendor
    assert result['iommu']['enabled'] is enabled
    assert result['iommu']['interrupt_remapping'] is intremap
    assert result['iommu']['queued_invalidation'] is qinval
    assert result['iommu']['disabled_reason'] is None
    assert result['xsm'] == {'framework': framework, 'flask_param_unknown': param_unknown}
    assert result['smt'] == {'enabled': None}
    assert len(result['spec_ctrl']['lines']) == spec_lines
    assert result['spec_ctrl']['disabled'] is False
    assert xl.split_xen_cmdline(xl.dmesg_cmdline(text)) == cmdline
    if spec_lines:
        assert result['spec_ctrl']['lines'][0] == 'Speculative mitigation facilities:'
        assert 'Xen settings: BTI-Thunk: RETPOLINE, SPEC_CTRL: No, Other: BRANCH_HARDEN' in \
            result['spec_ctrl']['lines']
    if enabled:
        assert 'I/O virtualisation enabled' in result['iommu']['lines']
    elif spec_lines:
        assert 'I/O virtualisation disabled' in result['iommu']['lines']


def test_analyse_dmesg_iommu_lines_are_the_relevant_ones():
    result = xl.analyse_dmesg(fixture('debian12-xen-4.17/xl-dmesg.q35-vtd-no-intremap.txt'))
    lines = result['iommu']['lines']
    assert 'Intel VT-d Interrupt Remapping not enabled.' in lines
    assert 'Interrupt remapping disabled' in lines
    assert not any(line.startswith('PCI add device') for line in lines)
    amd = xl.analyse_dmesg(fixture('debian12-xen-4.17/xl-dmesg.q35-amd-vi.txt'))['iommu']['lines']
    assert 'AMD-Vi: IOMMU 0 Enabled.' in amd


def test_analyse_dmesg_prefers_the_given_cmdline():
    text = fixture('debian12-xen-4.17/xl-dmesg.pc-noiommu.txt')
    result = xl.analyse_dmesg(text, cmdline='placeholder smt=0 spec-ctrl=no')
    assert result['smt'] == {'enabled': False}
    assert result['spec_ctrl']['disabled'] is True


@pytest.mark.parametrize('cmdline,enabled', [
    ('smt=0', False), ('smt=false', False), ('no-smt', False), ('smt=1', True), ('smt', True),
    ('smt=on smt=off', False), ('smt=maybe', None), ('', None),
], ids=['zero', 'false', 'no-prefix', 'one', 'bare', 'last-wins', 'nonsense', 'absent'])
def test_analyse_dmesg_smt_from_cmdline(cmdline, enabled):
    assert xl.analyse_dmesg('', cmdline=cmdline)['smt'] == {'enabled': enabled}


@pytest.mark.parametrize('cmdline,disabled', [
    ('spec-ctrl=no', True), ('spec-ctrl=0', True), ('spec-ctrl=off', True), ('spec-ctrl=no-xen', True),
    ('spec-ctrl=xen=0', True), ('spec-ctrl=ibrs=0,ssbd=1', False), ('spec-ctrl=bti-thunk=retpoline', False),
    ('console=com1', False),
], ids=['no', 'zero', 'off', 'no-xen', 'xen-0', 'fine-grained', 'thunk', 'absent'])
def test_spec_ctrl_disabled_by(cmdline, disabled):
    assert xl.analyse_dmesg('', cmdline=cmdline)['spec_ctrl']['disabled'] is disabled


def test_analyse_dmesg_smt_warning_means_smt_on():
    text = ('(XEN) ***************************************************\n'
            '(XEN) Booted on L1TF-vulnerable hardware with SMT/Hyperthreading\n'
            '(XEN) enabled.  Please assess your configuration and choose an\n'
            "(XEN) explicit 'smt=<bool>' setting.  See XSA-273.\n")
    result = xl.analyse_dmesg(text, cmdline='console=com1')
    assert result['smt'] == {'enabled': True}
    assert 'Booted on L1TF-vulnerable hardware with SMT/Hyperthreading' in result['spec_ctrl']['lines']


@pytest.mark.parametrize('line', [
    '(XEN) [VT-D]Disabling IOMMU due to Intel 5500/5520 chipset errata #47 and #53',
    '(XEN) AMD-Vi: Error initialization',
    '(XEN) No southbridge IO-APIC found in IVRS table',
    '(XEN) IOMMU: applying quirk for broken DMAR table',
], ids=['intel-errata', 'amd-error', 'ivrs-southbridge', 'quirk'])
def test_analyse_dmesg_iommu_disabled_reason(line):
    text = line + '\n(XEN) I/O virtualisation disabled\n'
    iommu = xl.analyse_dmesg(text)['iommu']
    assert iommu['disabled_reason'] == line[len('(XEN) '):]
    assert iommu['enabled'] is False


def test_analyse_dmesg_timestamps_xsm_silo_dummy_and_flask_off():
    silo = xl.analyse_dmesg('(XEN) [    0.104512] XSM Framework v1.0.1 initialized\n'
                            '(XEN) [    0.104600] Initialising XSM SILO mode\n')
    assert silo['xsm']['framework'] == 'silo'
    dummy = xl.analyse_dmesg('(XEN) [2026-11-26 10:00:00.123] XSM Framework v1.0.1 initialized\n')
    assert dummy['xsm']['framework'] == 'dummy'
    off = xl.analyse_dmesg('(XEN) XSM Framework v1.0.1 initialized\n(XEN) Flask:  Disabled at boot.\n')
    assert off['xsm']['framework'] == 'dummy'
    late = xl.analyse_dmesg('(XEN) Flask:  Access controls disabled until policy is loaded.\n')
    assert late['xsm']['framework'] == 'flask'
    # the [VT-D] tag is not a timestamp
    vtd = xl.analyse_dmesg('(XEN) [VT-D]Host address width 39\n')
    assert vtd['iommu']['vendor'] == 'intel' and vtd['iommu']['lines'] == ['[VT-D]Host address width 39']


def test_remapping_needs_an_enabled_iommu():
    text = '(XEN) Interrupt remapping enabled\n(XEN) I/O virtualisation disabled\n'
    assert xl.analyse_dmesg(text)['iommu']['interrupt_remapping'] is False


def test_split_xen_cmdline_and_option_lookup():
    tokens = xl.split_xen_cmdline('placeholder  console=com1 iommu=required  smt=0 ')
    assert tokens == ['console=com1', 'iommu=required', 'smt=0']
    assert xl.split_xen_cmdline(None) == []
    assert xl.cmdline_option(tokens, 'iommu') == 'required'
    assert xl.cmdline_option(tokens, 'flask') is None


# ----------------------------------------------------------------------------- xl getenforce

GETENFORCE = {
    'debian12-xen-4.17/xl-getenforce.flask-enforcing.txt': (1, 'enforcing'),
    'debian12-xen-4.17/xl-getenforce.no-xsm.txt': (255, 'disabled'),
    'debian13-xen-4.20/xl-getenforce.trixie-stock.txt': (255, 'disabled'),
    'grub-boot/xl-getenforce.bookworm-flask-via-grub.txt': (1, 'enforcing'),
}


def test_every_getenforce_fixture_has_an_expectation():
    assert sorted(GETENFORCE) == fixture_files(r'xl-getenforce')


@pytest.mark.parametrize('name', sorted(GETENFORCE), ids=sorted(GETENFORCE))
def test_getenforce_mode(name):
    rc, output = recorded(name)
    assert rc == GETENFORCE[name][0]
    assert xl.getenforce_mode(rc, output) == GETENFORCE[name][1]


def test_getenforce_permissive_and_errors():
    assert xl.getenforce_mode(0, 'Permissive\n') == 'permissive'
    with pytest.raises(XenGuardError, match='Failed to get enforcing mode'):
        xl.getenforce_mode(255, 'Failed to get enforcing mode\n')
    with pytest.raises(XenGuardError, match='rc=2'):
        xl.getenforce_mode(2, 'Enforcing')
    with pytest.raises(XenGuardError, match='no output'):
        xl.getenforce_mode(0, '')


# ----------------------------------------------------------------------------- XlRunner

class FakeModule(object):
    """Answers xl commands with recorded output; records what ran."""

    def __init__(self, answers, binaries=('xl',)):
        self.answers = answers
        self.binaries = binaries
        self.ran = []

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return '/usr/sbin/' + name if name in self.binaries else None

    def run_command(self, args, **kwargs):
        self.ran.append((list(args), kwargs))
        return self.answers[tuple(args[1:])]


def test_xlrunner_reads_everything_from_recorded_output():
    rc, out = recorded('debian12-xen-4.17/xl-getenforce.no-xsm.txt')
    module = FakeModule({
        ('info',): (0, fixture('debian12-xen-4.17/xl-info.q35-vtd-intremap.txt'), ''),
        ('dmesg',): (0, fixture('debian12-xen-4.17/xl-dmesg.q35-vtd-intremap.txt'), ''),
        ('getenforce',): (rc, out, ''),
        ('list', '-l'): (0, fixture('debian12-xen-4.17/xl-list-l.dom0-plus-pv-domu.json'), ''),
        ('list', '-l', '4'): (0, fixture('debian12-xen-4.17/xl-list-l.dom0-plus-pv-domu.json'), ''),
    })
    runner = xl.XlRunner(module)
    assert runner.available
    assert 'iommu_hap_pt_share' in runner.info()['virt_caps_list']
    assert 'Intel VT-d Interrupt Remapping enabled.' in runner.dmesg()
    assert runner.getenforce() == 'disabled'
    assert [d['name'] for d in runner.list_long()] == ['Domain-0', 'test-pv-long']
    assert len(runner.list_long(4)) == 2
    # every command ran under the C locale, as an argument list
    for args, kwargs in module.ran:
        assert args[0] == '/usr/sbin/xl'
        assert kwargs['environ_update'] == {'LC_ALL': 'C', 'LANG': 'C'}
    assert runner.record == []


def test_xlrunner_missing_xl_names_the_package():
    with pytest.raises(XenGuardError, match='install the package xen-utils') as err:
        xl.XlRunner(FakeModule({}, binaries=()))
    assert err.value.to_fail_kwargs()['binary'] == 'xl'
    assert not xl.XlRunner(FakeModule({}, binaries=()), required=False).available


def test_xlrunner_failure_carries_stderr():
    stderr = ('xencall: error: Could not obtain handle on privileged command interface: '
              'No such file or directory\nlibxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle\n')
    runner = xl.XlRunner(FakeModule({('info',): (1, '', stderr)}))
    with pytest.raises(XenCommandError) as err:
        runner.info()
    assert 'Could not obtain handle on privileged command interface' in err.value.msg
    assert 'cannot open libxc handle' in err.value.msg
    assert err.value.rc == 1 and err.value.stderr == stderr
    assert err.value.to_fail_kwargs()['cmd'] == ['/usr/sbin/xl', 'info']


def test_xlrunner_domain_that_does_not_exist():
    module = FakeModule({
        ('list', '-l', 'nosuchguest'): (1, '', 'nosuchguest is an invalid domain identifier (rc=-6)\n'),
        ('list', '-l', '7'): (1, '', "Error: Domain '7' does not exist.\n"),
        ('list', '-l'): (1, '', 'libxl_list_domain failed.\n'),
    })
    runner = xl.XlRunner(module)
    with pytest.raises(XenCommandError, match='Xen domain nosuchguest does not exist'):
        runner.list_long('nosuchguest')
    with pytest.raises(XenCommandError, match="Xen domain 7 does not exist.*Domain '7' does not exist"):
        runner.list_long(7)
    with pytest.raises(XenCommandError, match='libxl_list_domain failed'):
        runner.list_long()


def test_xlrunner_getenforce_failure_is_an_error_with_stderr():
    runner = xl.XlRunner(FakeModule({('getenforce',): (255, '', 'Failed to get enforcing mode\n')}))
    with pytest.raises(XenCommandError, match='Failed to get enforcing mode') as err:
        runner.getenforce()
    assert err.value.rc == 255
