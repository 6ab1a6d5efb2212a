# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TPM reader: what read_details() finds under a dom0 tree, the tpm fact built from it, the TPM modules
dom0 keeps off and a vTPM manager configuration read as vtpmmgr reads it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import tpm
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, tpm_tree
from ansible_collections.xenguard.hardening.tests.unit.helpers import put_file as put


def chip(root, name, major=None, driver=None):
    """/sys/class/tpm/NAME with its tpm_version_major and a device/driver link when given."""
    base = os.path.join(str(root), 'sys', 'class', 'tpm', name)
    os.makedirs(os.path.join(base, 'device'))
    if major is not None:
        put(root, 'sys/class/tpm/%s/tpm_version_major' % name, major)
    if driver:
        target = os.path.join(str(root), 'sys', 'bus', 'platform', 'drivers', driver)
        os.makedirs(target)
        os.symlink(target, os.path.join(base, 'device', 'driver'))
    return base


def test_read_details_of_the_recorded_host(tmp_path):
    tpm_tree(tmp_path)
    got = tpm.read_details([str(tmp_path / 'sys' / 'class' / 'tpm' / 'tpm0')], str(tmp_path))
    assert got == {
        'chips': {'tpm0': {'version_major': '2', 'driver': 'tpm_tis'}},
        'acpi_tables': ['TPM2'], 'acpi_devices': ['MSFT0101:00'], 'modules': [],
        'builtin': ['tpm', 'tpm_tis_core', 'tpm_tis', 'tpm_crb'], 'modprobe': {},
        'cmdline': 'placeholder root=UUID=4623fd20-6f43-44cb-9067-fb8c515aa8f9 ro console=hvc0 earlyprintk=xen '
                   'net.ifnames=0\n'}


def test_read_details_of_a_tpm_1_2_host_with_modules_and_modprobe_files(tmp_path):
    # a chip with a driver; one bound to xen-tpmfront; one that says nothing (no version, no driver)
    tpm0 = chip(tmp_path, 'tpm0', '1\n', 'tpm_tis')
    tpm1 = chip(tmp_path, 'tpm1', '2', 'vtpm')
    tpm2 = chip(tmp_path, 'tpm2', ' \n')
    tpm3 = chip(tmp_path, 'tpm3')
    put(tmp_path, 'sys/firmware/acpi/tables/TCPA', 'T')
    put(tmp_path, 'sys/firmware/acpi/tables/DSDT', 'T')
    for dev in ('PNP0C31:00', 'IFX0102:01', 'LNXSYSTM:00', 'PNP0A03:00'):
        os.makedirs(os.path.join(str(tmp_path), 'sys', 'bus', 'acpi', 'devices', dev))
    put(tmp_path, 'proc/modules', 'tpm_tis 16384 0 - Live 0x0\nloop 32768 0 - Live 0x0\ntpm 90112 1 tpm_tis, Live 0x0\n'
                                  'xen_tpmfront 16384 0 - Live 0x0\n')
    put(tmp_path, 'proc/sys/kernel/osrelease', '6.12.0-1-amd64\n')
    put(tmp_path, 'lib/modules/6.12.0-1-amd64/modules.builtin',
        'kernel/drivers/char/tpm/tpm.ko\nkernel/drivers/char/random.ko\n  kernel/drivers/char/tpm/tpm_crb.ko  \n')
    put(tmp_path, 'etc/modprobe.d/xenguard-vtpm.conf', '# keeps dom0 off the TPM\n  blacklist tpm_tis  \nblacklist nouveau\n')
    put(tmp_path, 'etc/modprobe.d/other.txt', 'blacklist tpm_crb\n')
    put(tmp_path, 'etc/modprobe.d/empty.conf', 'options snd index=1\n')
    put(tmp_path, 'run/modprobe.d/a.conf', 'install tpm_crb /bin/false\n')
    put(tmp_path, 'lib/modprobe.d/b.conf', 'blacklist tpm_infineon\n')
    put(tmp_path, 'usr/lib/modprobe.d/c.conf', 'blacklist tpm_atmel\n')
    put(tmp_path, 'usr/lib/modprobe.d/d.conf', 'blacklist tpm_nsc\n')
    got = tpm.read_details([tpm0, tpm1, tpm2, tpm3], str(tmp_path))
    assert got == {
        'chips': {'tpm0': {'version_major': '1', 'driver': 'tpm_tis'},
                  'tpm1': {'version_major': '2', 'driver': 'vtpm'},
                  'tpm2': {'version_major': None, 'driver': None},
                  'tpm3': {'version_major': None, 'driver': None}},
        'acpi_tables': ['TCPA'], 'acpi_devices': ['IFX0102:01', 'PNP0C31:00'], 'modules': ['tpm_tis', 'tpm'],
        'builtin': ['tpm', 'tpm_crb'],
        'modprobe': {'/etc/modprobe.d/xenguard-vtpm.conf': ['blacklist tpm_tis'],
                     '/run/modprobe.d/a.conf': ['install tpm_crb /bin/false'],
                     '/lib/modprobe.d/b.conf': ['blacklist tpm_infineon'],
                     '/usr/lib/modprobe.d/c.conf': ['blacklist tpm_atmel'],
                     '/usr/lib/modprobe.d/d.conf': ['blacklist tpm_nsc']},
        'cmdline': None}
    fact = tpm.tpm_fact(dict(got, devices=['/dev/tpm1', '/dev/tpm0', '/dev/tpm0']))
    assert fact == {
        'present': True, 'devices': ['/dev/tpm0', '/dev/tpm1'], 'version': '1.2',
        'chips': [{'name': 'tpm0', 'version': '1.2', 'driver': 'tpm_tis'},
                  {'name': 'tpm1', 'version': '2.0', 'driver': 'vtpm'},
                  {'name': 'tpm2', 'version': None, 'driver': None},
                  {'name': 'tpm3', 'version': None, 'driver': None}],
        'firmware': {'acpi_tables': ['TCPA'], 'acpi_devices': ['IFX0102:01', 'PNP0C31:00']},
        'dom0_driver': {'bound': ['tpm0', 'tpm2', 'tpm3'], 'loaded': ['tpm_tis', 'tpm'], 'builtin': ['tpm', 'tpm_crb'],
                        'blacklisted': ['tpm_atmel', 'tpm_crb', 'tpm_infineon', 'tpm_nsc', 'tpm_tis']}}


def test_read_details_of_a_host_without_a_tpm(tmp_path):
    assert tpm.read_details([], str(tmp_path)) == {
        'chips': {}, 'acpi_tables': [], 'acpi_devices': [], 'modules': [], 'builtin': [], 'modprobe': {},
        'cmdline': None}
    # a kernel release without its modules.builtin
    put(tmp_path, 'proc/sys/kernel/osrelease', '6.1.0-50-amd64\n')
    put(tmp_path, 'proc/cmdline', 'ro quiet\n')
    assert tpm.read_details([], str(tmp_path)) == {
        'chips': {}, 'acpi_tables': [], 'acpi_devices': [], 'modules': [], 'builtin': [], 'modprobe': {},
        'cmdline': 'ro quiet\n'}


def test_the_fact_of_the_recorded_host():
    assert tpm.tpm_fact(json.loads(fixture('tpm', 'read-tpm.bookworm-swtpm2.json'))) == {
        'present': True, 'devices': ['/dev/tpm0', '/dev/tpmrm0'], 'version': '2.0',
        'chips': [{'name': 'tpm0', 'version': '2.0', 'driver': 'tpm_tis'}],
        'firmware': {'acpi_tables': ['TPM2'], 'acpi_devices': ['MSFT0101:00']},
        'dom0_driver': {'bound': ['tpm0'], 'loaded': [], 'builtin': ['tpm', 'tpm_tis_core', 'tpm_tis', 'tpm_crb'],
                        'blacklisted': []}}


@pytest.mark.parametrize('raw, present, version', [
    # an older reader: device nodes and sysfs only
    ({'devices': ['/dev/tpm0']}, True, None),
    ({'sysfs': ['/sys/class/tpm/tpm0']}, True, None),
    ({'devices': [], 'sysfs': []}, False, None),
    ({}, False, None),
    # read_details' keys: a driver kept off shows as ACPI only
    ({'chips': {}, 'acpi_tables': ['TPM2']}, True, '2.0'),
    ({'chips': {}, 'acpi_tables': ['TCPA']}, True, '1.2'),
    ({'chips': {}, 'acpi_devices': ['MSFT0101:00']}, True, '2.0'),
    ({'chips': {}, 'acpi_devices': ['NSC1200:00']}, True, '1.2'),
    ({'chips': {}, 'acpi_devices': ['BCM0102:00']}, True, '1.2'),
    ({'chips': {}, 'acpi_devices': ['BCM0101:00']}, True, '1.2'),
    ({'chips': {}, 'acpi_devices': ['ATM1200:00']}, True, '1.2'),
    ({'chips': {}, 'acpi_devices': ['IFX0102:00']}, True, '1.2'),
    ({'chips': {}, 'acpi_devices': ['ICO0102:00']}, True, '1.2'),
    ({'chips': {}, 'acpi_devices': ['PNP0C31:00']}, True, '1.2'),
    ({'chips': {}, 'acpi_devices': ['PNP0A03:00']}, True, None),
    # the chip's own version wins over ACPI's, ACPI tables over ACPI devices
    ({'chips': {'tpm0': {'version_major': '2', 'driver': 'tpm_crb'}}, 'acpi_tables': ['TCPA']}, True, '2.0'),
    ({'chips': {'tpm0': {'version_major': None, 'driver': 'tpm_tis'}}, 'acpi_tables': ['TCPA'],
      'acpi_devices': ['MSFT0101:00']}, True, '1.2'),
    ({'chips': {}, 'acpi_devices': ['PNP0C31:00', 'MSFT0101:00']}, True, '1.2'),
    # xen-tpmfront's chip is a vTPM, no hardware TPM; nodes alone say nothing once details were read
    ({'chips': {'tpm0': {'version_major': '2', 'driver': 'vtpm'}}, 'devices': ['/dev/tpm0']}, False, None),
    ({'chips': {'tpm0': None}}, True, None),
    ({'chips': {'tpm0': {'version_major': '3', 'driver': 'tpm_tis'}}}, True, None),
    ({'chips': {'tpm0': {'version_major': 1, 'driver': 'tpm_tis'}}}, True, '1.2'),
])
def test_presence_and_version(raw, present, version):
    fact = tpm.tpm_fact(raw)
    assert (fact['present'], fact['version']) == (present, version)


def test_the_fact_without_details_has_no_dom0_driver():
    assert tpm.tpm_fact({'devices': ['/dev/tpmrm0', '/dev/tpm0'], 'sysfs': ['/sys/class/tpm/tpm0']}) == {
        'present': True, 'devices': ['/dev/tpm0', '/dev/tpmrm0'], 'version': None, 'chips': [],
        'firmware': {'acpi_tables': [], 'acpi_devices': []}, 'dom0_driver': None}


def test_the_fact_with_empty_details():
    assert tpm.tpm_fact({'chips': {}, 'modprobe': None, 'cmdline': None}) == {
        'present': False, 'devices': [], 'version': None, 'chips': [],
        'firmware': {'acpi_tables': [], 'acpi_devices': []},
        'dom0_driver': {'bound': [], 'loaded': [], 'builtin': [], 'blacklisted': []}}


@pytest.mark.parametrize('modprobe, cmdline, expected', [
    ({'/etc/modprobe.d/a.conf': ['blacklist tpm-tis  # vtpm', 'blacklist nouveau']}, None, ['tpm_tis']),
    ({'/etc/modprobe.d/a.conf': ['blacklist tpm_crb#vtpm', 'install tpm-tis /bin/false#vtpm']}, None,
     ['tpm_crb', 'tpm_tis']),
    # only /bin/false and /bin/true (or their /usr/bin twins) make an install line a blacklist
    ({'/a': ['install tpm_crb /bin/false', 'install tpm_tis /bin/true', 'install tpm_a /usr/bin/false',
             'install tpm_b /usr/bin/true', 'install tpm_x /sbin/modprobe y', 'install tpm_y']}, '',
     ['tpm_a', 'tpm_b', 'tpm_crb', 'tpm_tis']),
    ({'/a': ['# blacklist tpm_tis_spi', 'blacklist', 'options tpm_tis force=1', 'remove tpm_crb /bin/false']}, None, []),
    ({}, 'root=/dev/sda module_blacklist=tpm_tis_core,,snd modprobe.blacklist=tpm-infineon,tpm_crb tpm_x=1 '
         'module_blacklist', ['tpm_crb', 'tpm_infineon', 'tpm_tis_core']),
    ({}, 'blacklist=tpm_tis module.blacklist=tpm_crb', []),
    (None, None, []),
])
def test_blacklisted(modprobe, cmdline, expected):
    assert tpm.blacklisted(modprobe, cmdline) == expected


def test_manager_locality_of_the_recorded_lab_config():
    from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import XlConfig
    keys = XlConfig.parse(fixture('tpm', 'vtpmmgr.cfg')).as_dict()
    assert tpm.manager_locality(keys) == {'locality': 2, 'tpm2': True, 'base_page': 'fed40', 'pages': ['fed42'],
                                          'localities_mapped': [2], 'problems': []}


@pytest.mark.parametrize('keys, expected', [
    # no extra=, no iomem=: locality 0 at the TIS base, nothing mapped
    ({}, {'locality': 0, 'tpm2': False, 'base_page': 'fed40', 'pages': [], 'localities_mapped': [], 'problems': []}),
    ({'extra': 'tpm2=1', 'iomem': ['fed40,5']},
     {'locality': 0, 'tpm2': True, 'base_page': 'fed40', 'pages': ['fed40', 'fed41', 'fed42', 'fed43', 'fed44'],
      'localities_mapped': [0, 1, 2, 3, 4], 'problems': []}),
    # pages around the five TIS pages are not localities; an @GFN suffix and spaces are read past
    ({'extra': 'tpmlocality=4 tpm2=0', 'iomem': [' fed3f , 7@fed3f ', 'FED44']},
     {'locality': 4, 'tpm2': False, 'base_page': 'fed40',
      'pages': ['fed3f', 'fed40', 'fed41', 'fed42', 'fed43', 'fed44', 'fed45'],
      'localities_mapped': [0, 1, 2, 3, 4], 'problems': []}),
    ({'extra': 'tpmiomem=0xfed50000 tpmlocality=1', 'iomem': 'fed51'},
     {'locality': 1, 'tpm2': False, 'base_page': 'fed50', 'pages': ['fed51'], 'localities_mapped': [1],
      'problems': []}),
    ({'extra': 'tpmlocality=5 tpmlocality=x tpmiomem=fed50000 tpm2=1x', 'iomem': ['zz', 'fed42,1', 5]},
     {'locality': 5, 'tpm2': False, 'base_page': 'fed40', 'pages': ['5', 'fed42'], 'localities_mapped': [2],
      'problems': ['tpmlocality=5 is not a TPM locality (0 to 4)',
                   "iomem entry 'zz' is not IOMEM_START,NUM_PAGES in hexadecimal"]}),
    # NUM_PAGES is hexadecimal: 0x10 pages from fed30 end just below the TIS pages
    ({'iomem': 'fed30,10'},
     {'locality': 0, 'tpm2': False, 'base_page': 'fed40', 'pages': ['fed3%x' % n for n in range(16)],
      'localities_mapped': [], 'problems': []}),
    # a huge count maps at most 1 << 20 pages
    ({'iomem': ['0,fffffffff']},
     {'locality': 0, 'tpm2': False, 'base_page': 'fed40', 'pages': None, 'localities_mapped': [0, 1, 2, 3, 4],
      'problems': []}),
])
def test_manager_locality(keys, expected):
    got = tpm.manager_locality(keys)
    if expected['pages'] is None:
        assert len(got['pages']) == 1 << 20 and got['pages'][-1] == 'fffff'
        expected = dict(expected, pages=got['pages'])
    assert got == expected


def test_read_details_reads_the_hosts_root_by_default_and_keeps_bytes_that_are_not_utf_8(tmp_path):
    assert tpm.read_details([]) == tpm.read_details([], '/')
    put(tmp_path, 'proc/cmdline', '')
    with open(str(tmp_path / 'proc' / 'cmdline'), 'wb') as handle:
        handle.write(b'ro xen_label=\xff\n')
    assert tpm.read_details([], str(tmp_path))['cmdline'] == 'ro xen_label=\udcff\n'


def test_the_fact_reads_the_kernel_command_line():
    fact = tpm.tpm_fact({'chips': {}, 'modprobe': {'/etc/modprobe.d/x.conf': ['blacklist tpm_crb']},
                         'cmdline': 'ro module_blacklist=tpm_tis\n'})
    assert fact['dom0_driver']['blacklisted'] == ['tpm_crb', 'tpm_tis']
