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


# The whole sentences a user reads, one case per branch of the check (the mutation round of issue 14).
PATH_HINT = ('give an absolute path of letters, digits and _ . + @ / - only (no spaces, quotes, shell characters '
             'or ..).')
NOT_BOOL = 'not a boolean; use true or false.'
MGR_EXAMPLE = '{path: /srv/xen-images/vtpmmgr-stubdom.gz, sha256: <its 64 hex digits, from sha256sum>}'
MGR_NOT_SET = ('xenguard_vtpm_manager_image: is not set, and the role needs vtpmmgr-stubdom.gz: build the vTPM '
               'manager stub domain (Xen source: make -C stubdom vtpmmgr-stubdom; installed as '
               '/usr/lib/xen/boot/vtpmmgr-stubdom.gz) from the Xen source of this Xen release (Debian does not ship '
               'it), put it on the controller and give ' + MGR_EXAMPLE + '.')
VTPM_NOT_SET = ('xenguard_vtpm_vtpm_image: is not set, and the role needs vtpm-stubdom.gz: build the vTPM stub '
                'domain (Xen source: make -C stubdom vtpm-stubdom; installed as /usr/lib/xen/boot/vtpm-stubdom.gz) '
                'from the Xen source of this Xen release (Debian does not ship it), put it on the controller and give '
                '{path: /srv/xen-images/vtpm-stubdom.gz, sha256: <its 64 hex digits, from sha256sum>}.')
NAME_HINT = ("give the guest's domain name (letters, digits, _ . -, at most 59, starting with a letter or digit): "
             "its vTPM domain is named vtpm-<name>.")
SECLABEL_HINT = ('give a FLASK label user:role:type of your policy (for example system_u:system_r:vtpm_t), or leave '
                 'it empty.')
EXTRA_HINT = ('give a list of vtpmmgr options, one word each without spaces or quotes (for example '
              '["owner_auth=well-known"]).')


@pytest.mark.parametrize('values, expected', [
    ({'xenguard_vtpm_manage': 'maybe', 'xenguard_vtpm_start': 2, 'xenguard_vtpm_backup': None},
     ["xenguard_vtpm_manage: is the string 'maybe', " + NOT_BOOL,
      'xenguard_vtpm_start: is the number 2, ' + NOT_BOOL,
      'xenguard_vtpm_backup: is null, ' + NOT_BOOL]),
    ({'xenguard_vtpm_dom0_tpm': 'unbind'},
     ["xenguard_vtpm_dom0_tpm: is the string 'unbind'; use locality_split (the manager at its own TPM locality) or "
      "blacklist (dom0 keeps off the TPM)."]),
    ({'xenguard_vtpm_manager_locality': 0},
     ["xenguard_vtpm_manager_locality: is 0, the locality Linux in dom0 uses: with xenguard_vtpm_dom0_tpm: "
      "locality_split give 2 (Xen's recommendation) or 1, 3, 4."]),
    ({'xenguard_vtpm_manager_locality': 5},
     ['xenguard_vtpm_manager_locality: is the number 5; give a TPM locality, a whole number from 0 to 4.']),
    ({'xenguard_vtpm_manager_locality': 'two'},
     ["xenguard_vtpm_manager_locality: is the string 'two'; give a TPM locality, a whole number from 0 to 4."]),
    ({'xenguard_vtpm_tpm2': 'maybe'},
     ["xenguard_vtpm_tpm2: is the string 'maybe'; use auto (from the host's TPM version), true or false."]),
    ({'xenguard_vtpm_manager_memory': 0, 'xenguard_vtpm_domain_memory': 1025, 'xenguard_vtpm_manager_disk_mib': True,
      'xenguard_vtpm_disk_mib': '-1'},
     ['xenguard_vtpm_manager_memory: is the number 0; give MiB of memory, a whole number from 1 to 1024.',
      'xenguard_vtpm_domain_memory: is the number 1025; give MiB of memory, a whole number from 1 to 1024.',
      'xenguard_vtpm_manager_disk_mib: is a boolean (True); give MiB of disk, a whole number from 1 to 1024.',
      "xenguard_vtpm_disk_mib: is the string '-1'; give MiB of disk, a whole number from 1 to 1024."]),
    ({'xenguard_vtpm_state_dir': '/var/lib/x y', 'xenguard_vtpm_image_dir': 'srv',
      'xenguard_vtpm_config_dir': '/etc/xen/..'},
     ["xenguard_vtpm_state_dir: is the string '/var/lib/x y'; " + PATH_HINT,
      "xenguard_vtpm_image_dir: is the string 'srv'; " + PATH_HINT,
      "xenguard_vtpm_config_dir: is the string '/etc/xen/..'; " + PATH_HINT]),
    ({'xenguard_vtpm_state_dir': '/srv/../etc'}, ["xenguard_vtpm_state_dir: is the string '/srv/../etc'; " + PATH_HINT]),
    ({'xenguard_vtpm_manager_name': 'vtpm mgr'},
     ["xenguard_vtpm_manager_name: is the string 'vtpm mgr'; give a domain name of letters, digits, _ . - (for "
      "example vtpmmgr)."]),
    ({'xenguard_vtpm_manager_name': 5},
     ['xenguard_vtpm_manager_name: is the number 5; give a domain name of letters, digits, _ . - (for example '
      'vtpmmgr).']),
    ({'xenguard_vtpm_manager_seclabel': 'vtpmmgr_t', 'xenguard_vtpm_vtpm_seclabel': 7},
     ["xenguard_vtpm_manager_seclabel: is the string 'vtpmmgr_t'; " + SECLABEL_HINT,
      'xenguard_vtpm_vtpm_seclabel: is the number 7; ' + SECLABEL_HINT]),
    ({'xenguard_vtpm_manager_extra': 'owner_auth=x'},
     ["xenguard_vtpm_manager_extra: is the string 'owner_auth=x'; " + EXTRA_HINT]),
    ({'xenguard_vtpm_manager_extra': ['owner_auth=a b']}, ['xenguard_vtpm_manager_extra: is a list; ' + EXTRA_HINT]),
    ({'xenguard_vtpm_manager_extra': ['tpmlocality=0', 'tpm2=1', 'tpmiomem=0xfed40000', 'owner_auth=x']},
     ['xenguard_vtpm_manager_extra: sets tpmlocality=0, tpm2=1, tpmiomem=0xfed40000, which the role writes itself '
      'from xenguard_vtpm_manager_locality and xenguard_vtpm_tpm2: remove it.']),
    ({'xenguard_vtpm_guests': 'web1'},
     ["xenguard_vtpm_guests: is the string 'web1'; give a list of guests, each {name: web1, config: "
      "/etc/xen/web1.cfg}."]),
    # a bad entry is reported and the next ones are still read
    ({'xenguard_vtpm_guests': ['web1', dict(GUEST, uid='x', vm='y')]},
     ["xenguard_vtpm_guests[0]: is the string 'web1'; give a mapping such as {name: web1, config: /etc/xen/web1.cfg}.",
      'xenguard_vtpm_guests[1]: has the keys uid, vm, which the role does not know (known: name, config, uuid, disk, '
      'state, delete_disk, adopt_disk).']),
    ({'xenguard_vtpm_guests': [{'name': 'web 1', 'config': 'web1.cfg', 'uuid': 5, 'disk': '/srv/a b', 'state': 'gone',
                                'delete_disk': 'sure', 'adopt_disk': 3}]},
     ["xenguard_vtpm_guests[0].name: is the string 'web 1'; " + NAME_HINT,
      "xenguard_vtpm_guests[0].config: is the string 'web1.cfg'; " + PATH_HINT,
      'xenguard_vtpm_guests[0].uuid: is the number 5, not a UUID; give one as uuidgen prints it (8-4-4-4-12 '
      'hexadecimal digits), or leave it out and the role keeps the one it made.',
      "xenguard_vtpm_guests[0].disk: is the string '/srv/a b'; " + PATH_HINT,
      "xenguard_vtpm_guests[0].state: is the string 'gone'; use present or absent.",
      "xenguard_vtpm_guests[0].delete_disk: is the string 'sure', " + NOT_BOOL,
      'xenguard_vtpm_guests[0].adopt_disk: is the number 3, ' + NOT_BOOL]),
    ({'xenguard_vtpm_guests': [{'config': '/etc/xen/web1.cfg'}]}, ['xenguard_vtpm_guests[0].name: is null; ' + NAME_HINT]),
    ({'xenguard_vtpm_guests': [{'name': 'web1'}]},
     ["xenguard_vtpm_guests[0].config: is missing; give the path of the guest's xl configuration file, for example "
      "/etc/xen/web1.cfg."]),
    ({'xenguard_vtpm_guests': [dict(GUEST, delete_disk=True)]},
     ["xenguard_vtpm_guests[0].delete_disk: is true while state is the string 'present': a vTPM disk is only deleted "
      "when its vTPM is removed (state: absent) and delete_disk: true is given as well."]),
    # disks compare as given, UUIDs whatever their case
    ({'xenguard_vtpm_guests': [dict(GUEST, disk='/srv/a.img', uuid='6C3FF5F1-8D58-4FED-B00D-A5EA9A817F7F'),
                               {'name': 'web2', 'config': '/etc/xen/web2.cfg', 'disk': '/srv/a.img',
                                'uuid': '6c3ff5f1-8d58-4fed-b00d-a5ea9a817f7f'}]},
     ["xenguard_vtpm_guests[1].disk: is '/srv/a.img', as in xenguard_vtpm_guests[0]: every guest needs its own vTPM "
      "disk.",
      "xenguard_vtpm_guests[1].uuid: is '6c3ff5f1-8d58-4fed-b00d-a5ea9a817f7f', as in xenguard_vtpm_guests[0]: every "
      "guest needs its own vTPM uuid."]),
    ({'xenguard_vtpm_guests': [GUEST, dict(GUEST, config='/etc/xen/other.cfg')]},
     ["xenguard_vtpm_guests[1].name: is 'web1', as in xenguard_vtpm_guests[0]: every guest needs its own vTPM name."]),
    ({'xenguard_vtpm_manager_name': 'vtpm-web1', 'xenguard_vtpm_guests': [GUEST]},
     ["xenguard_vtpm_guests: names the manager domain vtpm-web1 as a guest or a guest's vTPM: give the manager "
      "another name."]),
    # the manager's default name
    ({'xenguard_vtpm_guests': [{'name': 'vtpmmgr', 'config': '/etc/xen/v.cfg'}]},
     ["xenguard_vtpm_guests: names the manager domain vtpmmgr as a guest or a guest's vTPM: give the manager "
      "another name."]),
    ({'xenguard_vtpm_manage': True}, [MGR_NOT_SET]),
    ({'xenguard_vtpm_manage': True, 'xenguard_vtpm_manager_image': '', 'xenguard_vtpm_guests': [GUEST]},
     [MGR_NOT_SET, VTPM_NOT_SET]),
    ({'xenguard_vtpm_manager_image': '/srv/vtpmmgr-stubdom.gz',
      'xenguard_vtpm_vtpm_image': {'path': 'https://example.org/vtpm-stubdom.gz', 'sha256': 'abc', 'url': 1, 'md5': 2}},
     ["xenguard_vtpm_manager_image: is the string '/srv/vtpmmgr-stubdom.gz'; give " + MGR_EXAMPLE + '.',
      'xenguard_vtpm_vtpm_image: has the keys md5, url, which the role does not know; give only path and sha256.',
      "xenguard_vtpm_vtpm_image.path: is the URL 'https://example.org/vtpm-stubdom.gz': the role never downloads "
      "images; download vtpm-stubdom.gz yourself, check it, and give its path on the controller.",
      "xenguard_vtpm_vtpm_image.sha256: is the string 'abc'; give the sha256 of vtpm-stubdom.gz (64 hexadecimal "
      "digits, as sha256sum prints it): the role copies no image without it."]),
    ({'xenguard_vtpm_manager_image': {'path': 5, 'sha256': SHA},
      'xenguard_vtpm_vtpm_image': {'path': 'srv/vtpm-stubdom.gz', 'sha256': SHA.upper()}},
     ['xenguard_vtpm_manager_image.path: is the number 5; give the absolute path of vtpmmgr-stubdom.gz on the '
      'controller.',
      "xenguard_vtpm_vtpm_image.path: is the string 'srv/vtpm-stubdom.gz'; give the absolute path of vtpm-stubdom.gz "
      "on the controller."]),
    ({'xenguard_vtpm_manager_image': {'sha256': SHA}},
     ['xenguard_vtpm_manager_image.path: is null; give the absolute path of vtpmmgr-stubdom.gz on the controller.']),
])
def test_each_problem_is_one_whole_sentence(values, expected):
    assert vtpm.problems(values) == expected


@pytest.mark.parametrize('values', [
    # the ends of every range
    {'xenguard_vtpm_manager_locality': 4, 'xenguard_vtpm_manager_memory': 1, 'xenguard_vtpm_domain_memory': 1024,
     'xenguard_vtpm_manager_disk_mib': '1024', 'xenguard_vtpm_disk_mib': 1},
    {'xenguard_vtpm_manager_locality': 1, 'xenguard_vtpm_manager_memory': 1024, 'xenguard_vtpm_domain_memory': 1,
     'xenguard_vtpm_manager_disk_mib': 1, 'xenguard_vtpm_disk_mib': 1024},
    # locality 0 is dom0's, which only matters while dom0 keeps its TPM driver
    {'xenguard_vtpm_dom0_tpm': 'blacklist', 'xenguard_vtpm_manager_locality': 0},
    {'xenguard_vtpm_tpm2': 'auto'}, {'xenguard_vtpm_tpm2': False}, {'xenguard_vtpm_tpm2': 'yes'},
    {'xenguard_vtpm_manage': 'no', 'xenguard_vtpm_start': True, 'xenguard_vtpm_backup': 'off'},
    {'xenguard_vtpm_manager_seclabel': 'system_u:system_r:vtpmmgr_t', 'xenguard_vtpm_vtpm_seclabel': None},
    {'xenguard_vtpm_manager_extra': ['owner_auth=well-known', 'tpm2x=1'], 'xenguard_vtpm_manager_name': 'mgr.1'},
    {'xenguard_vtpm_state_dir': '/var/lib/xenguard/vtpm', 'xenguard_vtpm_image_dir': '/srv/a..b',
     'xenguard_vtpm_config_dir': '/etc/xen/'},
    # guest names are case-sensitive domain names; every key the role knows
    {'xenguard_vtpm_guests': [{'name': 'Web1', 'config': '/etc/xen/Web1.cfg', 'disk': '/srv/w1.img', 'adopt_disk': True,
                               'uuid': '6c3ff5f1-8d58-4fed-b00d-a5ea9a817f7f', 'state': 'present', 'delete_disk': False},
                              {'name': 'web1', 'config': '/etc/xen/web1.cfg', 'disk': '/srv/w2.img',
                               'uuid': '6c3ff5f1-8d58-4fed-b00d-a5ea9a817f70'}]},
    # an image not needed may be left out, empty or not
    {'xenguard_vtpm_manager_image': '', 'xenguard_vtpm_vtpm_image': {}},
    {'xenguard_vtpm_manage': True, 'xenguard_vtpm_guests': None,
     'xenguard_vtpm_manager_image': IMAGES['xenguard_vtpm_manager_image']},
    {'xenguard_vtpm_manage': True, 'xenguard_vtpm_guests': [dict(GUEST, state='absent')],
     'xenguard_vtpm_manager_image': IMAGES['xenguard_vtpm_manager_image']},
])
def test_usable_values_at_the_edges_pass(values):
    assert vtpm.problems(values) == []


def test_guest_plan_skips_what_it_cannot_use_and_keeps_directory_names():
    plan = vtpm.guest_plan(['web0', {'config': '/etc/xen/x.cfg'},
                           dict(GUEST, adopt_disk='yes', state='absent')], '/srv/TPMX/', '/etc/X//')
    assert plan == [
        {'name': 'web1', 'config': '/etc/xen/web1.cfg', 'uuid': None, 'disk': '/srv/TPMX/vtpm-web1.img',
         'state': 'absent', 'delete_disk': False, 'adopt_disk': True, 'vtpm_name': 'vtpm-web1',
         'vtpm_config': '/etc/X/vtpm-web1.cfg'}]
    assert vtpm.guest_plan(None, '/srv', '/etc/xen') == []
