# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure parts of the Linux device-model stub domain: ldd/modules.dep/dpkg parsers on recorded output, the
load order, the init, the cpio writer, the build key, and the plan over recorded guest configurations."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import os
import shutil
import subprocess

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import facts as facts_assembly
from ansible_collections.xenguard.hardening.plugins.module_utils import stubdom
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, fixture_bytes


def _configs(*names):
    return dict(('/etc/xen/%s' % name, facts_assembly.config_file('/etc/xen/%s' % name, fixture_bytes('xlcfg', name)))
                for name in names)


def host(*names, caps='pv hvm hap shadow', framework='dummy'):
    return {'info': {'virt_caps': caps, 'xen_major': 4, 'xen_minor': 17}, 'xsm': {'framework': framework},
            'guest_configs': _configs(*names)}


# ------------------------------------------------------------------ parsers

def test_parse_ldd_dynamic_and_static():
    text = fixture('stubdom', 'ldd-ls.txt')
    paths = stubdom.parse_ldd(text)
    assert paths[0] == '/lib/x86_64-linux-gnu/libselinux.so.1'
    assert paths[-1] == '/lib64/ld-linux-x86-64.so.2'
    assert not any('vdso' in p for p in paths)
    assert stubdom.parse_ldd('\tstatically linked\n') == []
    assert stubdom.parse_ldd('\tnot a dynamic executable\n') == []
    assert stubdom.parse_ldd(text + text) == paths  # each once


def test_parse_ldd_of_debians_xen_qemu():
    paths = stubdom.parse_ldd(fixture('stubdom', 'ldd-xen-qemu-system-i386.bookworm.txt'))
    assert len(paths) == 41  # 42 lines, one of them the vdso
    assert '/lib/x86_64-linux-gnu/libxenctrl.so.4.17' in paths and '/lib64/ld-linux-x86-64.so.2' in paths


def test_parse_ldd_missing_library():
    with pytest.raises(stubdom.StubdomError, match='libspice-server.so.1 => not found'):
        stubdom.parse_ldd('\tlibspice-server.so.1 => not found\n')


@pytest.mark.skipif(not shutil.which('ldd') or not os.path.exists('/bin/ls'), reason='needs ldd')
def test_parse_ldd_on_this_machine():
    out = subprocess.run(['ldd', '/bin/ls'], stdout=subprocess.PIPE, check=True).stdout.decode()
    paths = stubdom.parse_ldd(out)
    assert paths and all(os.path.isabs(p) and os.path.exists(p) for p in paths)


def test_module_names():
    assert stubdom.module_name('kernel/drivers/xen/xen-privcmd.ko.xz') == 'xen_privcmd'
    assert stubdom.module_name('kernel/drivers/xen/xenfs/xenfs.ko') == 'xenfs'
    assert stubdom.module_name('kernel/drivers/block/xen-blkfront.ko.zst') == 'xen_blkfront'


def test_load_order_from_recorded_modules_dep():
    # the Xen lines of modules.dep / modules.builtin of Debian 12's 6.1.0-50-amd64 (lab dom0)
    deps = stubdom.parse_modules_dep(fixture('stubdom', 'modules.dep.xen'))
    builtin = stubdom.parse_modules_builtin(fixture('stubdom', 'modules.builtin.xen'))
    order = stubdom.module_load_order(deps, builtin)
    names = [stubdom.module_name(p) for p in order]
    for name in names:  # each after what it depends on
        for dep in deps[name][1]:
            assert names.index(stubdom.module_name(dep)) < names.index(name)
    assert not set(names) & builtin
    wanted = set(m.replace('-', '_') for m in stubdom.MODULES)
    assert wanted - builtin <= set(names)


def test_load_order_dependencies_first_and_builtin_skipped():
    deps = stubdom.parse_modules_dep('a/xenfs.ko: a/xen-privcmd.ko a/lib.ko\na/xen-privcmd.ko: a/lib.ko\n'
                                     'a/lib.ko:\n\nno colon here\n: empty\n')
    order = stubdom.module_load_order(deps, set(), wanted=('xenfs', 'xen-privcmd'))
    assert order == ['a/lib.ko', 'a/xen-privcmd.ko', 'a/xenfs.ko']
    assert stubdom.module_load_order(deps, {'xenfs'}, wanted=('xenfs',)) == []


def test_load_order_errors():
    with pytest.raises(stubdom.StubdomError, match='no module xen-gntalloc'):
        stubdom.module_load_order({}, set(), wanted=('xen-gntalloc',))
    loop = stubdom.parse_modules_dep('a/x.ko: a/y.ko\na/y.ko: a/x.ko\n')
    with pytest.raises(stubdom.StubdomError, match='dependency loop'):
        stubdom.module_load_order(loop, set(), wanted=('x',))


def test_dpkg_parsers():
    owners = stubdom.parse_dpkg_search(fixture('stubdom', 'dpkg-query-S.txt'))
    assert owners['/lib/x86_64-linux-gnu/libc.so.6'] == 'libc6'
    assert owners['/bin/ls'] == 'coreutils'
    assert '/usr/lib/x86_64-linux-gnu/libc.so.6' not in owners
    assert stubdom.parse_dpkg_search('diversion by foo from: /bin/x\nlibfoo1:amd64, libfoo2:amd64: /x\n') == \
        {'/x': 'libfoo1'}
    versions = stubdom.parse_dpkg_versions('libc6\t2.36-9+deb12u4\ncoreutils\t9.1-1\nnothing\n')
    assert versions == {'libc6': '2.36-9+deb12u4', 'coreutils': '9.1-1'}


# ------------------------------------------------------------------ init, cpio, key

def test_init_follows_the_protocol():
    init = stubdom.init_script('/usr/libexec/xen-qemu-system-i386',
                               [('/lib/modules/xen_evtchn.ko', ''), ('/lib/modules/xen_privcmd.ko', 'unrestricted=1')])
    assert init.startswith('#!/bin/sh\n')
    assert 'insmod /lib/modules/xen_evtchn.ko\ninsmod /lib/modules/xen_privcmd.ko unrestricted=1\n' in init
    assert 'xenstore-read "/local/domain/$self/target"' in init
    assert 'xenstore-list "$vm/image/dm-argv"' in init
    assert "'$STUBDOM_RESTORE_INCOMING_ARG'" in init
    assert 'vchan-socket-proxy --mode=server 0 "$dm/qmp-vchan" /run/xenguard-qmp &' in init
    assert '/usr/libexec/xen-qemu-system-i386 "$@" -chardev socket,id=xenguard-qmp,path=/run/xenguard-qmp' in init


@pytest.mark.skipif(not shutil.which('sh'), reason='needs sh')
def test_init_is_valid_shell(tmp_path):
    script = tmp_path / 'init'
    script.write_text(stubdom.init_script('/usr/libexec/q', [('/lib/modules/m.ko', '')]))
    assert subprocess.run(['sh', '-n', str(script)], check=False).returncode == 0


@pytest.mark.skipif(not shutil.which('cpio'), reason='needs cpio')
def test_cpio_newc_is_read_by_cpio(tmp_path):
    data = stubdom.cpio_newc([('bin', 'dir', None), ('bin/busybox', 'file', (0o755, b'\x7fELF...')),
                              ('bin/sh', 'link', 'busybox'), ('init', 'file', (0o755, b'#!/bin/sh\n'))])
    listing = subprocess.run(['cpio', '-itv'], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False).stdout
    assert b'bin/sh -> busybox' in listing and b'init' in listing


def test_cpio_newc_layout():
    data = stubdom.cpio_newc([('init', 'file', (0o755, b'abc'))])
    assert data.startswith(b'070701') and len(data) % 4 == 0
    assert b'TRAILER!!!\0' in data
    assert int(data[14:22], 16) == 0o100755 and int(data[54:62], 16) == 3
    with pytest.raises(ValueError):
        stubdom.cpio_newc([('x', 'fifo', None)])


def test_build_key_and_changes():
    old = stubdom.build_key({'qemu-system-xen': '1:7.2+dfsg-7+deb12u5'}, {'/boot/x': 'aa'}, 'init 1')
    new = stubdom.build_key({'qemu-system-xen': '1:7.2+dfsg-7+deb12u6', 'busybox': '1:1.35.0-4'}, {}, 'init 2')
    assert stubdom.key_changes(old, old) == []
    assert stubdom.key_changes(old, new) == [
        'busybox (none) -> 1:1.35.0-4', 'qemu-system-xen 1:7.2+dfsg-7+deb12u5 -> 1:7.2+dfsg-7+deb12u6',
        '/boot/x aa -> (none)', 'init changed']
    assert stubdom.key_changes(None, new) == ['no image built by this collection is recorded']
    older = dict(old, builder=0)
    assert stubdom.key_changes(older, old) == ['builder 0 -> %d' % stubdom.BUILDER_VERSION]


def test_dm_user_names():
    assert stubdom.dm_user_for('win-build') == 'xen-qemuuser-win-build'
    assert stubdom.dm_user_for('Web.01 Prod') == 'xen-qemuuser-web-01-prod'
    assert len(stubdom.dm_user_for('a' * 60)) == 32
    assert stubdom.dm_user_for('...') is None


# ------------------------------------------------------------------ the plan

OPTIONS = {'mode': 'auto', 'images': True, 'memory': 128, 'seclabel': 'system_u:system_r:dm_dom_t',
           'user_mode': 'per_guest', 'guests': [], 'exclude': []}


def test_plan_stub_domain_for_hvm_guests_only():
    facts = host('hvm-weird-spacing.cfg', 'pv-direct-kernel.cfg', 'driver-domain.cfg')
    plan = stubdom.plan_guests(facts, dict(OPTIONS))
    assert plan['problems'] == [] and plan['untouched'] == []
    # vnc=1: no graphics from a Linux stub domain, so restricted instead
    (guest,) = plan['guests']
    assert guest['path'] == '/etc/xen/hvm-weird-spacing.cfg' and guest['name'] == 'win-build'
    assert guest['how'] == 'restrict' and 'graphics output (vnc)' in guest['why']
    assert guest['settings'] == {'dm_restrict': 1, 'device_model_user': 'xen-qemuuser-win-build'}
    facts['guest_configs']['/etc/xen/hvm-weird-spacing.cfg']['keys']['vnc'] = 0
    (guest,) = stubdom.plan_guests(facts, dict(OPTIONS))['guests']
    assert guest['how'] == 'stubdomain'
    assert guest['settings'] == {'device_model_stubdomain_override': 1, 'device_model_version': 'qemu-xen',
                                 'stubdomain_memory': 128}
    assert guest['remove'] == ['dm_restrict', 'device_model_user']
    assert guest['user'] is None


def test_plan_pending_only_where_the_file_differs():
    facts = host('hvm-weird-spacing.cfg')
    (guest,) = stubdom.plan_guests(facts, dict(OPTIONS))['guests']
    assert guest['pending'] is True
    keys = facts['guest_configs']['/etc/xen/hvm-weird-spacing.cfg']['keys']
    keys.update(guest['settings'])
    (again,) = stubdom.plan_guests(facts, dict(OPTIONS))['guests']
    assert again['settings'] == guest['settings'] and again['pending'] is False
    # a value written as a string in the file is the same setting
    keys['dm_restrict'] = '1'
    assert stubdom.plan_guests(facts, dict(OPTIONS))['guests'][0]['pending'] is False
    keys['dm_restrict'] = 0
    assert stubdom.plan_guests(facts, dict(OPTIONS))['guests'][0]['pending'] is True
    keys['dm_restrict'] = 1
    keys['stubdomain_memory'] = 256
    assert stubdom.plan_guests(facts, dict(OPTIONS))['guests'][0]['pending'] is True


def test_plan_seclabel_only_under_flask():
    facts = host('hardened-guest.cfg', framework='flask')
    (guest,) = stubdom.plan_guests(facts, dict(OPTIONS))['guests']
    assert guest['settings']['device_model_stubdomain_seclabel'] == 'system_u:system_r:dm_dom_t'
    assert 'device_model_stubdomain_seclabel' not in guest['remove']


@pytest.mark.parametrize('change, why', [
    ({'images': False}, 'no stub domain images on this host'),
    ({'mode': 'restrict'}, 'xenguard_stubdom_mode=restrict'),
])
def test_plan_restrict_when_no_stub_domain(change, why):
    options = dict(OPTIONS, **change)
    (guest,) = stubdom.plan_guests(host('hardened-guest.cfg'), options)['guests']
    assert (guest['how'], guest['why']) == ('restrict', why)
    # the device-model label is the flask role's as much as this one's: never removed
    assert guest['remove'] == ['device_model_stubdomain_override', 'stubdomain_memory']


def test_plan_host_without_hvm():
    (guest,) = stubdom.plan_guests(host('hardened-guest.cfg', caps='pv'), dict(OPTIONS))['guests']
    assert guest['how'] == 'restrict' and 'no HVM support' in guest['why']
    facts = host('hardened-guest.cfg')
    facts['info'] = {'virt_caps_list': ['pv', 'hvm']}
    assert stubdom.plan_guests(facts, dict(OPTIONS))['guests'][0]['how'] == 'stubdomain'


def test_plan_range_users():
    (guest,) = stubdom.plan_guests(host('hardened-guest.cfg'), dict(OPTIONS, images=False, user_mode='range'))['guests']
    assert guest['settings'] == {'dm_restrict': 1} and guest['user'] is None


def test_plan_stubdomain_mode_refuses_what_cannot_have_one():
    plan = stubdom.plan_guests(host('hvm-weird-spacing.cfg'), dict(OPTIONS, mode='stubdomain'))
    assert plan['guests'] == []
    assert plan['problems'] == [
        'win-build (/etc/xen/hvm-weird-spacing.cfg) cannot get a stub domain: graphics output (vnc) is not '
        'available from a Linux stub domain; set xenguard_stubdom_mode=auto to restrict its QEMU in dom0 instead']


def test_plan_problems_unreadable_named_not_hvm_unknown():
    facts = host('hardened-guest.cfg', 'pv-direct-kernel.cfg')
    facts['guest_configs']['/etc/xen/broken.cfg'] = {'keys': {}, 'error': '/etc/xen/broken.cfg:1:1: lexical error'}
    plan = stubdom.plan_guests(facts, dict(OPTIONS))
    assert len(plan['problems']) == 1 and 'cannot be read' in plan['problems'][0]
    assert 'xenguard_stubdom_exclude' in plan['problems'][0]
    # excluded: no problem; named guests only
    assert stubdom.plan_guests(facts, dict(OPTIONS, exclude=['broken']))['problems'] == []
    pv_name = facts['guest_configs']['/etc/xen/pv-direct-kernel.cfg']['keys']['name']
    plan = stubdom.plan_guests(facts, dict(OPTIONS, guests=[pv_name, '/etc/xen/nothing.cfg']))
    assert plan['guests'] == []
    assert 'is not an HVM guest' in plan['problems'][0]
    assert plan['problems'][1].startswith('xenguard_stubdom_guests names /etc/xen/nothing.cfg')
    plan = stubdom.plan_guests(facts, dict(OPTIONS, guests=['db1']))
    assert [g['name'] for g in plan['guests']] == ['db1'] and plan['problems'] == []
    no_configs = stubdom.plan_guests({}, OPTIONS)['problems']
    assert no_configs == ['the facts have no guest configurations (xen_facts guest_configs)']


def test_plan_traditional_left_alone_and_shared_users():
    facts = host('hardened-guest.cfg')
    other = copy.deepcopy(facts['guest_configs']['/etc/xen/hardened-guest.cfg'])
    other['keys']['name'] = 'DB1'
    facts['guest_configs']['/etc/xen/other.cfg'] = other
    plan = stubdom.plan_guests(facts, dict(OPTIONS, images=False))
    assert len(plan['guests']) == 1 and 'share the device-model user xen-qemuuser-db1' in plan['problems'][0]
    other['keys']['name'] = '!!!'
    assert 'no device-model user name' in stubdom.plan_guests(facts, dict(OPTIONS, images=False))['problems'][0]
    other['keys']['device_model_version'] = 'qemu-xen-traditional'
    plan = stubdom.plan_guests(facts, dict(OPTIONS))
    assert plan['problems'] == [] and plan['untouched'][0]['path'] == '/etc/xen/other.cfg'


# The record xen_stubdom_image wrote on a Debian 12 lab host (before it recorded directory, kernel and image
# sizes), and dpkg's status file of that host (the stanzas of every package of its key).
PINNED_INIT_SHA256 = '4725f5434acceeb3c93c7f3bb90b591a22f5a9144ecd02a7dc57863d396a38ac'
LAB_RECORD = 'var-lib-xenguard-stubdom-image.bookworm-lab.json'


def _lab_record(**more):
    import json
    record = json.loads(fixture('stubdom', LAB_RECORD))
    record.update(more)
    return record


def _lab_versions():
    status = fixture_bytes('debian12-xen-4.17', 'var-lib-dpkg-status.lab-hardened-excerpt.txt')
    found = facts_assembly.parse_dpkg_status(status, _lab_record()['key']['packages'])
    return dict((name, value['version']) for name, value in found.items())


# size and st_mtime_ns of the images on that host
LAB_STAT = {'kernel': [8222656, 1795988352668830000], 'rootfs': [13054944, 1795988352788830000]}
LAB_MORE = {'dest': '/usr/lib/xen-4.17/boot', 'kernel': '/boot/vmlinuz-6.1.0-50-amd64', 'stat': LAB_STAT}


def test_recorded_image_current_on_the_lab_host():
    versions = _lab_versions()
    # every package of the key is in the host's status file, at the recorded version
    assert set(versions) == set(_lab_record()['key']['packages'])
    got = stubdom.recorded_image(_lab_record(**LAB_MORE), versions, copy.deepcopy(LAB_STAT))
    assert got == {'recorded': True, 'dest': '/usr/lib/xen-4.17/boot', 'kernel': '/boot/vmlinuz-6.1.0-50-amd64',
                   'current': True, 'why': ''}


@pytest.mark.parametrize('record, versions, stat, why', [
    (None, {}, None, 'no image built by this collection is recorded'),
    # the record as the builder wrote it before it kept the directory, kernel and sizes: the module runs once
    ({}, None, LAB_STAT, 'the record does not name the packages, directory, kernel and image sizes and times'),
    (dict(LAB_MORE, key={'source': 'supplied'}), None, LAB_STAT, 'supplied images are checked by their SHA-256'),
    ('builder', None, LAB_STAT, 'built by builder 0, this is %d' % stubdom.BUILDER_VERSION),
    ('files', None, LAB_STAT, 'files no package owns are built in (only xen_stubdom_image hashes them)'),
    # a QEMU security update (and libc6 gone from the status file)
    (LAB_MORE, {'qemu-system-xen': '1:7.2+dfsg-7+deb12u19', 'libc6': None}, LAB_STAT,
     'installed now in another version (or not at all): libc6, qemu-system-xen'),
    (LAB_MORE, None, {'kernel': LAB_STAT['kernel'], 'rootfs': [13054944, 1795988999000000000]},
     'not the size and time recorded: rootfs'),
    (LAB_MORE, None, {'kernel': None, 'rootfs': None}, 'not the size and time recorded: kernel, rootfs'),
], ids=['none', 'old-record', 'supplied', 'builder', 'unowned-files', 'package-update', 'rootfs-touched', 'gone'])
def test_recorded_image_not_current(record, versions, stat, why):
    versions_now = _lab_versions()
    versions_now.update(versions or {})
    versions_now = dict((k, v) for k, v in versions_now.items() if v is not None)
    if record == 'builder':
        record = _lab_record(**LAB_MORE)
        record['key']['builder'] = 0
    elif record == 'files':
        record = _lab_record(**LAB_MORE)
        record['key']['files'] = {'/boot/vmlinuz-custom': 'ab' * 32}
    elif isinstance(record, dict):
        record = _lab_record(**record)
    got = stubdom.recorded_image(record, versions_now, stat)
    assert got['current'] is False and got['why'] == why
    assert got['recorded'] is (record is not None)


def test_the_init_is_pinned_to_the_builder_version():
    """xen_facts trusts a recorded image of this BUILDER_VERSION without building the init again: a change of
    the init must bump BUILDER_VERSION (then update the pin here)."""
    import hashlib
    init = stubdom.init_script('/usr/libexec/xen-qemu-system-i386',
                               [('/lib/modules/xen_evtchn.ko', ''), ('/lib/modules/xen_privcmd.ko', 'unrestricted=1')])
    assert (stubdom.BUILDER_VERSION, hashlib.sha256(init.encode('utf-8')).hexdigest()) == (1, PINNED_INIT_SHA256)


# ------------------------------------------------------------------ the exact bytes and sentences (issue 14)

def newc_header(ino, mode, nlink, size, namesize):
    """A newc header written out field by field: magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
    devminor, rdevmajor, rdevminor, namesize, check."""
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, namesize, 0]
    return ('070701' + ''.join('%08X' % field for field in fields)).encode('ascii')


def test_cpio_newc_bytes_of_a_directory_a_link_and_a_file():
    data = stubdom.cpio_newc([('bin', 'dir', None), ('bin/sh', 'link', 'busybox'),
                              ('init', 'file', (0o104755, b'abc'))])
    assert newc_header(1, 0x41ED, 2, 0, 4) == b'07070100000001000041ED000000000000000000000002' + b'0' * 48 + b'0000000400000000'
    assert data == b''.join([newc_header(1, 0o40755, 2, 0, 4), b'bin\0', b'\0\0',
                             newc_header(2, 0o120777, 1, 7, 7), b'bin/sh\0', b'\0' * 3, b'busybox', b'\0',
                             newc_header(3, 0o104755, 1, 3, 5), b'init\0', b'\0', b'abc', b'\0',
                             newc_header(0, 0, 1, 0, 11), b'TRAILER!!!\0', b'\0' * 3])
    assert len(data) % 4 == 0
    # the file's mode keeps its permission bits only; a data length that is a multiple of 4 gets no padding
    data = stubdom.cpio_newc([('x', 'file', (0o170644, b'abcd'))])
    assert data.startswith(newc_header(1, 0o100644, 1, 4, 2) + b'x\0' + b'abcd' + newc_header(0, 0, 1, 0, 11))


SD_PATH_HINT = 'give an absolute path of letters, digits and _ . + @ / - only.'
SUPPLIED = ('is empty, but xenguard_stubdom_images=supplied needs the image (and its SHA-256 in %s_sha256); or set '
            'xenguard_stubdom_images=build to build it here.')
NOT_SHA = 'not a SHA-256 (64 hex digits); give the output of sha256sum for %s.'
MEMORY_HINT = "give the stub domain memory in MiB, from 64 to 4096 (libxl's default is 128)."
BASE_HINT = 'give the first UID of a free range of 32752 UIDs, for example 131072 (qemu-deprivilege.pandoc).'
GUESTS_HINT = 'give a list of guest names or configuration paths.'


@pytest.mark.parametrize('values, expected', [
    ({'xenguard_stubdom_mode': 'on', 'xenguard_stubdom_images': None, 'xenguard_stubdom_dm_user_mode': 'shared'},
     ["xenguard_stubdom_mode: is the string 'on'; use one of auto, stubdomain, restrict.",
      'xenguard_stubdom_images: is null; use one of build, supplied, none.',
      "xenguard_stubdom_dm_user_mode: is the string 'shared'; use one of per_guest, range."]),
    ({'xenguard_stubdom_kernel': '/srv/k k', 'xenguard_stubdom_rootfs': 5, 'xenguard_stubdom_firmware_dir': '/usr/lib/..'},
     ["xenguard_stubdom_kernel: is the string '/srv/k k'; " + SD_PATH_HINT,
      'xenguard_stubdom_rootfs: is the number 5; ' + SD_PATH_HINT,
      "xenguard_stubdom_firmware_dir: is the string '/usr/lib/..'; " + SD_PATH_HINT]),
    ({'xenguard_stubdom_firmware_dir': '/usr/../etc'},
     ["xenguard_stubdom_firmware_dir: is the string '/usr/../etc'; " + SD_PATH_HINT]),
    ({'xenguard_stubdom_images': 'supplied'},
     ['xenguard_stubdom_kernel: ' + SUPPLIED % 'xenguard_stubdom_kernel',
      'xenguard_stubdom_kernel_sha256: is null, ' + NOT_SHA % 'xenguard_stubdom_kernel',
      'xenguard_stubdom_rootfs: ' + SUPPLIED % 'xenguard_stubdom_rootfs',
      'xenguard_stubdom_rootfs_sha256: is null, ' + NOT_SHA % 'xenguard_stubdom_rootfs']),
    ({'xenguard_stubdom_images': 'supplied', 'xenguard_stubdom_kernel': '/srv/k',
      'xenguard_stubdom_kernel_sha256': 'B' * 64, 'xenguard_stubdom_rootfs': '/srv/r',
      'xenguard_stubdom_rootfs_sha256': 'b' * 63},
     ["xenguard_stubdom_rootfs_sha256: is the string '%s', " % ('b' * 63) + NOT_SHA % 'xenguard_stubdom_rootfs']),
    ({'xenguard_stubdom_build_packages': 'qemu', 'xenguard_stubdom_busybox_package': 'Busybox'},
     ["xenguard_stubdom_build_packages: is the string 'qemu'; give a list of Debian package names.",
      "xenguard_stubdom_busybox_package: is the string 'Busybox'; give a Debian package name, for example "
      "busybox-static."]),
    ({'xenguard_stubdom_build_packages': ['qemu-system-x86', 'A'], 'xenguard_stubdom_busybox_package': None},
     ['xenguard_stubdom_build_packages: is a list; give a list of Debian package names.',
      'xenguard_stubdom_busybox_package: is null; give a Debian package name, for example busybox-static.']),
    ({'xenguard_stubdom_build_packages': [3]}, ['xenguard_stubdom_build_packages: is a list; give a list of Debian '
                                                'package names.']),
    ({'xenguard_stubdom_memory': 63, 'xenguard_stubdom_dm_user_range_base': 999},
     ['xenguard_stubdom_memory: is the number 63; ' + MEMORY_HINT,
      'xenguard_stubdom_dm_user_range_base: is the number 999; ' + BASE_HINT]),
    ({'xenguard_stubdom_memory': 4097, 'xenguard_stubdom_dm_user_range_base': 2 ** 31 - 32751},
     ['xenguard_stubdom_memory: is the number 4097; ' + MEMORY_HINT,
      'xenguard_stubdom_dm_user_range_base: is the number 2147450897; ' + BASE_HINT]),
    ({'xenguard_stubdom_memory': 'big', 'xenguard_stubdom_dm_user_range_base': None},
     ["xenguard_stubdom_memory: is the string 'big'; " + MEMORY_HINT,
      'xenguard_stubdom_dm_user_range_base: is null; ' + BASE_HINT]),
    ({'xenguard_stubdom_seclabel': 'dm_dom_t'},
     ["xenguard_stubdom_seclabel: is the string 'dm_dom_t'; give a FLASK label user:role:type, for example "
      "system_u:system_r:dm_dom_t."]),
    ({'xenguard_stubdom_seclabel': 3},
     ['xenguard_stubdom_seclabel: is the number 3; give a FLASK label user:role:type, for example '
      'system_u:system_r:dm_dom_t.']),
    ({'xenguard_stubdom_guests': 'web1', 'xenguard_stubdom_exclude': ['web1', '']},
     ["xenguard_stubdom_guests: is the string 'web1'; " + GUESTS_HINT,
      'xenguard_stubdom_exclude: is a list; ' + GUESTS_HINT]),
    ({'xenguard_stubdom_guests': [5], 'xenguard_stubdom_backup': 'maybe'},
     ['xenguard_stubdom_guests: is a list; ' + GUESTS_HINT,
      "xenguard_stubdom_backup: is the string 'maybe', not a boolean; use true or false."]),
    ({'xenguard_stubdom_backup': None}, ['xenguard_stubdom_backup: is null, not a boolean; use true or false.']),
])
def test_input_problems_are_whole_sentences(values, expected):
    assert stubdom.input_problems(values) == expected


@pytest.mark.parametrize('values', [
    {},
    {'xenguard_stubdom_mode': 'auto', 'xenguard_stubdom_images': 'build', 'xenguard_stubdom_dm_user_mode': 'per_guest'},
    {'xenguard_stubdom_mode': 'stubdomain', 'xenguard_stubdom_images': 'none', 'xenguard_stubdom_dm_user_mode': 'range'},
    # restrict mode starts no stub domain: supplied images are not needed
    {'xenguard_stubdom_mode': 'restrict', 'xenguard_stubdom_images': 'supplied'},
    {'xenguard_stubdom_images': 'supplied', 'xenguard_stubdom_kernel': '/srv/k', 'xenguard_stubdom_kernel_sha256': 'B' * 64,
     'xenguard_stubdom_rootfs': '/srv/r', 'xenguard_stubdom_rootfs_sha256': '0' * 64},
    {'xenguard_stubdom_kernel': None, 'xenguard_stubdom_rootfs': '', 'xenguard_stubdom_firmware_dir': '/usr/lib/a..b/'},
    {'xenguard_stubdom_build_packages': ('qemu-system-x86', 'libc6', 'g++-12'), 'xenguard_stubdom_busybox_package': 'bb'},
    {'xenguard_stubdom_memory': 64, 'xenguard_stubdom_dm_user_range_base': 1000},
    {'xenguard_stubdom_memory': '4096', 'xenguard_stubdom_dm_user_range_base': 2 ** 31 - 32752},
    {'xenguard_stubdom_seclabel': 'system_u:system_r:dm_dom_t'}, {'xenguard_stubdom_seclabel': None},
    {'xenguard_stubdom_guests': ('web1', '/etc/xen/db1.cfg'), 'xenguard_stubdom_exclude': [], 'xenguard_stubdom_backup': 'no'},
    {'xenguard_stubdom_backup': False},
])
def test_usable_stubdom_inputs_pass(values):
    assert stubdom.input_problems(values) == []


PLAN_CONFIGS = {
    '/etc/xen/a.cfg': {'keys': {'name': 'alpha', 'type': 'hvm', 'dm_restrict': 1}},
    # xl reads vnc/sdl/spice as numbers: spice='yes' is no graphics, vfb is graphics whatever it holds
    '/etc/xen/b.cfg': {'keys': {'builder': 'hvm', 'sdl': '1', 'vnc': 0, 'spice': 'yes', 'vfb': ['vnc=1'],
                                'device_model_user': 'qemu-b'}},
    '/etc/xen/c.cfg': {'keys': {'name': 'charlie', 'type': 'pv'}},
    '/etc/xen/dd.cfg': {'keys': {'type': 'hvm', 'driver_domain': '1'}},
    '/etc/xen/vtpm-x.cfg': {'keys': {'type': 'hvm', 'kernel': '/usr/lib/xen/boot/vtpm-stubdom.gz'}},
    '/etc/xen/err.cfg': {'keys': {}, 'error': '/etc/xen/err.cfg:1:1: lexical error'},
    '/etc/xen/junk.cfg': 'not a mapping',
    '/etc/xen/trad.cfg': {'keys': {'type': 'hvm', 'device_model_version': 'qemu-xen-traditional'}},
    # xl refuses type="HVM" (xl_parse.c: Invalid domain type): no HVM guest to plan
    '/etc/xen/upper.cfg': {'keys': {'type': 'HVM'}},
    '/etc/xen/nameless.cfg': {'keys': {'type': 'hvm', 'stubdomain_memory': 256, 'device_model_version': 'qemu-xen',
                                       'device_model_stubdomain_override': '1',
                                       'device_model_stubdomain_seclabel': 'u:r:t'}},
    '/etc/xen/skip.cfg': {'keys': {'name': 'skipme', 'type': 'hvm'}},
    '/etc/xen/skip2.cfg': {'keys': {'type': 'hvm'}},
}
PLAN_FACTS = {'info': {'virt_caps': 'pv hvm'}, 'xsm': {'framework': 'flask'}, 'guest_configs': PLAN_CONFIGS}
PLAN_OPTIONS = {'mode': 'auto', 'images': True, 'memory': None, 'seclabel': 'u:r:t',
                'exclude': ['skipme', '/etc/xen/skip2.cfg']}
STUB_SETTINGS = {'device_model_stubdomain_override': 1, 'device_model_version': 'qemu-xen', 'stubdomain_memory': 256,
                 'device_model_stubdomain_seclabel': 'u:r:t'}
ALPHA = {'path': '/etc/xen/a.cfg', 'name': 'alpha', 'how': 'stubdomain', 'why': 'stub domain images installed',
         'user': None, 'settings': STUB_SETTINGS, 'remove': ['dm_restrict', 'device_model_user'], 'pending': True}


def test_the_whole_plan_of_every_kind_of_configuration():
    assert stubdom.plan_guests(PLAN_FACTS, PLAN_OPTIONS) == {
        'problems': ['the guest configuration /etc/xen/err.cfg cannot be read: /etc/xen/err.cfg:1:1: lexical error; '
                     'fix it (xl create -n /etc/xen/err.cfg shows the problem) or leave it out with '
                     'xenguard_stubdom_exclude'],
        'guests': [
            ALPHA,
            {'path': '/etc/xen/b.cfg', 'name': 'b', 'how': 'restrict',
             'why': 'graphics output (sdl, vfb) is not available from a Linux stub domain', 'user': 'qemu-b',
             'settings': {'dm_restrict': 1, 'device_model_user': 'qemu-b'},
             'remove': ['device_model_stubdomain_override', 'stubdomain_memory'], 'pending': True},
            # already as planned: a re-run changes nothing
            {'path': '/etc/xen/nameless.cfg', 'name': 'nameless', 'how': 'stubdomain',
             'why': 'stub domain images installed', 'user': None, 'settings': STUB_SETTINGS,
             'remove': ['dm_restrict', 'device_model_user'], 'pending': False}],
        'untouched': [{'path': '/etc/xen/trad.cfg', 'name': 'trad',
                       'why': 'device_model_version="qemu-xen-traditional" (neither the Linux stub domain nor '
                              'dm_restrict supports it); move it to qemu-xen'}]}


def test_the_plan_of_named_guests():
    assert stubdom.plan_guests(PLAN_FACTS, dict(PLAN_OPTIONS, guests=['alpha', '/etc/xen/c.cfg', 'ghost'])) == {
        'problems': ['charlie (/etc/xen/c.cfg) is not an HVM guest (type=pv): only HVM guests have a device model; '
                     'remove it from xenguard_stubdom_guests',
                     'xenguard_stubdom_guests names ghost, which is no guest configuration xen_facts read (give a '
                     'path under the config_paths, or a guest name)'],
        'guests': [ALPHA], 'untouched': []}
    plan = stubdom.plan_guests(PLAN_FACTS, dict(PLAN_OPTIONS, images=False, guests=['alpha', 'b']))
    assert plan['problems'] == [] and plan['untouched'] == []
    assert [(g['name'], g['how'], g['why'], g['user'], g['settings']) for g in plan['guests']] == [
        ('alpha', 'restrict', 'no stub domain images on this host', 'xen-qemuuser-alpha',
         {'dm_restrict': 1, 'device_model_user': 'xen-qemuuser-alpha'}),
        ('b', 'restrict', 'no stub domain images on this host', 'qemu-b',
         {'dm_restrict': 1, 'device_model_user': 'qemu-b'})]


def test_parsers_read_on_past_lines_they_skip():
    assert stubdom.parse_ldd('\n\tlinux-vdso.so.1 (0x00007ffd)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 '
                             '(0x00007f10)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f20)\n') == [
        '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']
    assert stubdom.module_name('xenfs.ko') == 'xenfs'
    deps = stubdom.parse_modules_dep('no colon here\n: empty\na/xenfs.ko:\n')
    assert deps == {'xenfs': ('a/xenfs.ko', [])}
    assert stubdom.parse_dpkg_search('libc6, libc6-dev:amd64: /usr/lib/x\n') == {'/usr/lib/x': 'libc6'}
    versions = stubdom.parse_dpkg_versions('libc6:amd64\t2.36-9\nbusybox\t1:1.35.0-4\n')
    assert versions == {'libc6': '2.36-9', 'busybox': '1:1.35.0-4'}


def test_stub_domain_errors_are_whole_sentences():
    with pytest.raises(stubdom.StubdomError) as err:
        stubdom.parse_ldd('\tlibspice-server.so.1 => not found\n')
    assert str(err.value) == ('a library is missing on this host: libspice-server.so.1 => not found; reinstall the '
                              'package of the binary')
    with pytest.raises(stubdom.StubdomError) as err:
        stubdom.module_load_order({}, {'xen_evtchn'}, wanted=('xen-evtchn', 'xen-gntalloc'))
    assert str(err.value) == ('the kernel has no module xen-gntalloc (neither built in nor in modules.dep); the stub '
                              'domain needs it: use a Debian kernel (linux-image-amd64) or run depmod -a')
    with pytest.raises(stubdom.StubdomError) as err:
        stubdom.module_load_order(stubdom.parse_modules_dep('a/x.ko: a/y.ko\na/y.ko: a/x.ko\n'), set(), wanted=('x',))
    assert str(err.value) == 'modules.dep has a dependency loop through a/x.ko; run depmod -a'
    with pytest.raises(ValueError) as err:
        stubdom.cpio_newc([('x', 'fifo', None)])
    assert str(err.value) == "unknown cpio entry kind 'fifo'"


def test_plan_problems_are_whole_sentences_and_the_next_guests_still_planned():
    configs = {'/etc/xen/a.cfg': {'keys': {'name': 'db1', 'type': 'hvm'}},
               '/etc/xen/b.cfg': {'keys': {'name': 'DB1', 'type': 'hvm'}},
               '/etc/xen/c.cfg': {'keys': {'name': '!!!', 'type': 'hvm'}},
               '/etc/xen/d.cfg': {'keys': {'name': 'web1', 'type': 'hvm'}},
               '/etc/xen/e.cfg': {'keys': {'name': 'pv1'}}}
    facts = {'info': {'virt_caps': 'pv'}, 'guest_configs': configs}
    plan = stubdom.plan_guests(facts, {'images': True, 'guests': ['db1', 'DB1', '!!!', 'web1', 'pv1']})
    assert plan['problems'] == [
        '/etc/xen/a.cfg and /etc/xen/b.cfg would share the device-model user xen-qemuuser-db1; each guest needs its '
        'own (qemu-deprivilege.pandoc): set device_model_user in one of them',
        "/etc/xen/c.cfg has a guest name ('!!!') no device-model user name can be made of; set device_model_user in it",
        'pv1 (/etc/xen/e.cfg) is not an HVM guest (type=pv): only HVM guests have a device model; remove it from '
        'xenguard_stubdom_guests']
    assert [(g['name'], g['why'], g['user']) for g in plan['guests']] == [
        ('db1', 'the host has no HVM support (virt_caps)', 'xen-qemuuser-db1'),
        ('web1', 'the host has no HVM support (virt_caps)', 'xen-qemuuser-web1')]
