# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vtpm role's input checks and guest plan; the TPM reader's parsers on recorded lab output."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import tpm, vtpm
from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import XlConfig
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, tpm_tree

SHA = 'a' * 64
IMAGES = {'xenguard_vtpm_manager_image': {'path': '/srv/vtpmmgr-stubdom.gz', 'sha256': SHA},
          'xenguard_vtpm_vtpm_image': {'path': '/srv/vtpm-stubdom.gz', 'sha256': SHA}}
GUEST = {'name': 'web1', 'config': '/etc/xen/web1.cfg'}


def problems(**values):
    return vtpm.problems(values)


def test_defaults_and_a_full_set_up_are_usable():
    assert problems() == []
    assert problems(xenguard_vtpm_manage=True, xenguard_vtpm_guests=[GUEST], **IMAGES) == []
    assert problems(xenguard_vtpm_manage='yes', xenguard_vtpm_guests=[dict(GUEST, uuid='6C3FF5F1-8D58-4FED-B00D-A5EA9A817F7F',
                                                                           state='absent', delete_disk=True)],
                    xenguard_vtpm_manager_image=IMAGES['xenguard_vtpm_manager_image']) == []


@pytest.mark.parametrize('values, fragments', [
    ({'xenguard_vtpm_manage': True}, ['xenguard_vtpm_manager_image: is not set', 'vtpmmgr-stubdom.gz',
                                      'make -C stubdom vtpmmgr-stubdom', 'sha256']),
    ({'xenguard_vtpm_manage': True, 'xenguard_vtpm_guests': [GUEST],
      'xenguard_vtpm_manager_image': IMAGES['xenguard_vtpm_manager_image']},
     ['xenguard_vtpm_vtpm_image: is not set', 'vtpm-stubdom.gz']),
    ({'xenguard_vtpm_manage': True, 'xenguard_vtpm_manager_image': {'path': 'https://example.org/vtpmmgr-stubdom.gz',
                                                                    'sha256': SHA}},
     ['never downloads']),
    ({'xenguard_vtpm_manage': True, 'xenguard_vtpm_manager_image': {'path': '/srv/vtpmmgr-stubdom.gz'}},
     ['xenguard_vtpm_manager_image.sha256', 'copies no image without it']),
    ({'xenguard_vtpm_guests': [dict(GUEST, uuid='ac0a5b9e-cbe2-4c07-b43b-1d69e46fb83')]},
     ['xenguard_vtpm_guests[0].uuid', 'not a UUID', 'uuidgen']),
    ({'xenguard_vtpm_guests': [dict(GUEST, delete_disk=True)]}, ['delete_disk: is true while state is', 'absent']),
    ({'xenguard_vtpm_guests': [GUEST, dict(GUEST, config='/etc/xen/other.cfg')]},
     ["xenguard_vtpm_guests[1].name: is 'web1', as in xenguard_vtpm_guests[0]"]),
    ({'xenguard_vtpm_guests': [dict(GUEST, name='web 1; reboot')]}, ['xenguard_vtpm_guests[0].name']),
    ({'xenguard_vtpm_guests': [{'name': 'web1'}]}, ['xenguard_vtpm_guests[0].config: is missing']),
    ({'xenguard_vtpm_guests': [dict(GUEST, uid='x')]}, ['has the keys uid']),
    ({'xenguard_vtpm_guests': 'web1'}, ['give a list of guests']),
    ({'xenguard_vtpm_manager_locality': 0}, ['is 0, the locality Linux in dom0 uses']),
    ({'xenguard_vtpm_manager_locality': 5}, ['a TPM locality, a whole number from 0 to 4']),
    ({'xenguard_vtpm_dom0_tpm': 'unbind'}, ['use locality_split']),
    ({'xenguard_vtpm_manager_extra': ['tpmlocality=0']}, ['which the role writes itself']),
    ({'xenguard_vtpm_manager_extra': ['owner_auth=a b']}, ['one word each']),
    ({'xenguard_vtpm_manager_seclabel': 'vtpmmgr_t'}, ['user:role:type']),
    ({'xenguard_vtpm_state_dir': '/var/lib/x y'}, ['xenguard_vtpm_state_dir', 'no spaces']),
    ({'xenguard_vtpm_manager_name': 'web1', 'xenguard_vtpm_guests': [GUEST]}, ['names the manager domain']),
])
def test_bad_inputs_are_named_with_what_to_do(values, fragments):
    found = ' '.join(vtpm.problems(values))
    for fragment in fragments:
        assert fragment in found, (fragment, found)


def test_guest_plan_fills_in_the_vtpm_domain():
    plan = vtpm.guest_plan([dict(GUEST, uuid='6C3FF5F1-8D58-4FED-B00D-A5EA9A817F7F'),
                            {'name': 'db1', 'config': '/etc/xen/db1.cfg', 'disk': '/srv/db1.img', 'state': 'absent',
                             'delete_disk': 'yes'}], '/var/lib/xenguard/vtpm/', '/etc/xen')
    assert plan == [
        {'name': 'web1', 'config': '/etc/xen/web1.cfg', 'uuid': '6c3ff5f1-8d58-4fed-b00d-a5ea9a817f7f',
         'disk': '/var/lib/xenguard/vtpm/vtpm-web1.img', 'state': 'present', 'delete_disk': False, 'adopt_disk': False,
         'vtpm_name': 'vtpm-web1', 'vtpm_config': '/etc/xen/vtpm-web1.cfg'},
        {'name': 'db1', 'config': '/etc/xen/db1.cfg', 'uuid': None, 'disk': '/srv/db1.img', 'state': 'absent',
         'delete_disk': True, 'adopt_disk': False, 'vtpm_name': 'vtpm-db1', 'vtpm_config': '/etc/xen/vtpm-db1.cfg'}]


def test_read_details_reads_the_recorded_host_back(tmp_path):
    raw = tpm_tree(tmp_path)
    got = tpm.read_details([str(tmp_path / 'sys' / 'class' / 'tpm' / 'tpm0')], str(tmp_path))
    for key in ('chips', 'acpi_tables', 'acpi_devices', 'modules', 'modprobe', 'cmdline'):
        assert got[key] == raw[key], key
    assert sorted(got['builtin']) == sorted(raw['builtin'])


def test_blacklists_as_modprobe_and_the_kernel_read_them():
    assert tpm.blacklisted({'/etc/modprobe.d/a.conf': ['blacklist tpm-tis  # vtpm', 'blacklist nouveau'],
                            '/etc/modprobe.d/b.conf': ['install tpm_crb /bin/false', 'install tpm_x /sbin/modprobe y',
                                                       '# blacklist tpm_tis_spi']},
                           'root=/dev/sda module_blacklist=tpm_tis_core,snd modprobe.blacklist=tpm_infineon') \
        == ['tpm_crb', 'tpm_infineon', 'tpm_tis', 'tpm_tis_core']


def test_manager_locality_of_the_configs_xl_read():
    keys = XlConfig.parse(fixture('tpm', 'vtpmmgr.cfg')).as_dict()
    got = tpm.manager_locality(keys)
    # xl create -n printed iomem start 1043778 (0xfed42), number 1, cmdline "tpmlocality=2 tpm2=1"
    assert 'start": 1043778' in fixture('tpm', 'xl-create-n.vtpmmgr-vtpm.bookworm.txt')
    assert (got['locality'], got['tpm2'], got['pages'], got['localities_mapped']) == (2, True, ['fed42'], [2])
    # Appendix B: all five pages from fed40, locality 0
    got = tpm.manager_locality({'extra': 'tpm2=1', 'iomem': ['fed40,5']})
    assert (got['locality'], got['localities_mapped']) == (0, [0, 1, 2, 3, 4])
    got = tpm.manager_locality({'extra': 'tpmiomem=0xfed50000 tpmlocality=1', 'iomem': 'fed51'})
    assert (got['base_page'], got['localities_mapped']) == ('fed50', [1])
    assert tpm.manager_locality({'iomem': ['zz']})['problems'] == ["iomem entry 'zz' is not IOMEM_START,NUM_PAGES "
                                                                   "in hexadecimal"]


def test_tpm_fact_of_the_recorded_host():
    fact = tpm.tpm_fact(json.loads(fixture('tpm', 'read-tpm.bookworm-swtpm2.json')))
    assert fact['present'] and fact['version'] == '2.0'
    assert fact['dom0_driver']['bound'] == ['tpm0'] and fact['dom0_driver']['blacklisted'] == []
