# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vtpm_disk: a vTPM disk is created once and never overwritten, read, recreated or deleted by accident."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.xenguard.hardening.plugins.modules import vtpm_disk
from ansible_collections.xenguard.hardening.tests.unit.helpers import run_module

UUID = '6c3ff5f1-8d58-4fed-b00d-a5ea9a817f7f'  # the one real xl create -n read (fixtures/tpm/vtpm-web1.cfg)
SECRET = b'sealed key material \x00\x01\x02' * 100


@pytest.fixture
def state(tmp_path):
    directory = tmp_path / 'vtpm'
    directory.mkdir(mode=0o700)
    return directory


def run(capsys, tmp_path, where, check_mode=False, diff=False, **args):
    base = {'path': str(where / 'vtpm-web1.img'), 'domain': 'vtpm-web1', 'registry': str(where / 'disks.json')}
    base.update(args)
    return run_module(vtpm_disk, capsys, base, check_mode=check_mode, diff=diff,
                      _ansible_remote_tmp=str(tmp_path / 'remote-tmp'))


def registry(state):
    with open(str(state / 'disks.json')) as handle:
        return json.load(handle)['disks']


def test_created_once_then_kept_with_its_uuid(capsys, tmp_path, state):
    disk = state / 'vtpm-web1.img'
    # check mode: the UUID it would make, nothing written
    result = run(capsys, tmp_path, state, check_mode=True, uuid='auto')
    assert (result['changed'], result['action']) == (True, 'created')
    assert not disk.exists() and not (state / 'disks.json').exists()
    result = run(capsys, tmp_path, state, uuid='auto', size_mib=2, diff=True)
    assert (result['changed'], result['action']) == (True, 'created')
    made = result['uuid']
    st = os.stat(str(disk))
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_size == 2 * 1024 * 1024 and st.st_uid == os.geteuid()
    assert disk.read_bytes() == b'\0' * (2 * 1024 * 1024)
    assert registry(state) == {str(disk): {'domain': 'vtpm-web1', 'uuid': made}}
    # the diff is metadata only
    assert result['diff']['before'] == 'absent\n' and 'mode 0600, 2097152 bytes' in result['diff']['after']
    # the vTPM writes its keys; the next runs keep the disk and the UUID, without reading or touching the content
    disk.write_bytes(SECRET)
    for uuid in ('auto', made.upper()):
        result = run(capsys, tmp_path, state, uuid=uuid, diff=True)
        assert (result['changed'], result['action'], result['uuid']) == (False, 'kept', made)
        assert SECRET.decode('latin-1') not in json.dumps(result)
    assert disk.read_bytes() == SECRET
    # another UUID for the same disk would be another vTPM: refused
    result = run(capsys, tmp_path, state, uuid=UUID)
    assert result['failed'] and 'loses its keys' in result['msg'] and made in result['msg']
    assert disk.read_bytes() == SECRET and registry(state)[str(disk)]['uuid'] == made


def test_a_given_uuid_is_kept(capsys, tmp_path, state):
    result = run(capsys, tmp_path, state, uuid=UUID.upper())
    assert result['uuid'] == UUID and registry(state)[str(state / 'vtpm-web1.img')]['uuid'] == UUID
    result = run(capsys, tmp_path, state, uuid='not-a-uuid')
    assert result['failed'] and 'is not a UUID' in result['msg']


def test_a_file_it_did_not_make_is_refused_unread(capsys, tmp_path, state):
    disk = state / 'vtpm-web1.img'
    disk.write_bytes(SECRET)
    os.chmod(str(disk), 0o644)
    for check_mode in (True, False):
        result = run(capsys, tmp_path, state, check_mode=check_mode, uuid='auto')
        assert result['failed'] and 'does not record it as the disk of vtpm-web1' in result['msg']
        assert 'adopt' in result['msg'] and 'Nothing was changed' in result['msg']
    assert disk.read_bytes() == SECRET and stat.S_IMODE(os.stat(str(disk)).st_mode) == 0o644
    assert not (state / 'disks.json').exists()
    # adopt: taken over unchanged, mode put right
    result = run(capsys, tmp_path, state, uuid=UUID, adopt=True)
    assert (result['changed'], result['action']) == (True, 'adopted')
    assert disk.read_bytes() == SECRET and stat.S_IMODE(os.stat(str(disk)).st_mode) == 0o600
    # a mode changed by hand is put back; nothing else
    os.chmod(str(disk), 0o640)
    result = run(capsys, tmp_path, state, uuid='auto')
    assert (result['changed'], result['action'], result['uuid']) == (True, 'fixed', UUID)
    assert stat.S_IMODE(os.stat(str(disk)).st_mode) == 0o600 and disk.read_bytes() == SECRET


def test_other_domains_and_other_kinds_of_file(capsys, tmp_path, state):
    run(capsys, tmp_path, state, uuid='auto')
    result = run(capsys, tmp_path, state, domain='vtpm-db1', uuid='auto')
    assert result['failed'] and 'is the disk of vtpm-web1' in result['msg']
    os.mkdir(str(state / 'dir.img'))
    result = run(capsys, tmp_path, state, path=str(state / 'dir.img'), adopt=True)
    assert result['failed'] and 'is a directory, not a disk image file' in result['msg']
    os.symlink(str(state / 'vtpm-web1.img'), str(state / 'link.img'))
    result = run(capsys, tmp_path, state, path=str(state / 'link.img'), adopt=True)
    assert result['failed'] and 'is a symbolic link' in result['msg']
    result = run(capsys, tmp_path, state, path=str(tmp_path / 'nowhere' / 'x.img'))
    assert result['failed'] and 'directory of' in result['msg']
    result = run(capsys, tmp_path, state, size_mib=0)
    assert result['failed'] and 'size_mib is 0' in result['msg']
    result = run(capsys, tmp_path, state, delete=True)
    assert result['failed'] and 'only read with state absent' in result['msg']


def test_a_registered_disk_that_went_missing_is_not_recreated(capsys, tmp_path, state):
    disk = state / 'vtpm-web1.img'
    made = run(capsys, tmp_path, state, uuid='auto')['uuid']
    disk.unlink()
    result = run(capsys, tmp_path, state, uuid='auto')
    assert result['failed'] and 'the file is gone: its vTPM keys are lost' in result['msg']
    assert not disk.exists()
    # forgotten on purpose, then a new empty vTPM (with a new UUID)
    assert run(capsys, tmp_path, state, state='absent')['action'] == 'forgotten'
    result = run(capsys, tmp_path, state, uuid='auto')
    assert result['action'] == 'created' and result['uuid'] != made


def test_absent_keeps_the_file_unless_delete(capsys, tmp_path, state):
    disk = state / 'vtpm-web1.img'
    run(capsys, tmp_path, state, uuid='auto')
    disk.write_bytes(SECRET)
    # check mode deletes nothing
    result = run(capsys, tmp_path, state, check_mode=True, state='absent', delete=True)
    assert (result['changed'], result['action']) == (True, 'deleted') and disk.read_bytes() == SECRET
    result = run(capsys, tmp_path, state, state='absent', delete=True)
    assert (result['changed'], result['action']) == (True, 'deleted') and not disk.exists()
    assert registry(state) == {}
    assert run(capsys, tmp_path, state, state='absent', delete=True)['action'] == 'none'
    # a file the registry does not know is never deleted
    disk.write_bytes(SECRET)
    result = run(capsys, tmp_path, state, state='absent', delete=True)
    assert result['failed'] and 'is not deleted' in result['msg'] and disk.read_bytes() == SECRET


def test_a_broken_registry_is_not_guessed_around(capsys, tmp_path, state):
    (state / 'disks.json').write_text('{not json')
    result = run(capsys, tmp_path, state, uuid='auto')
    assert result['failed'] and 'cannot be read' in result['msg'] and not (state / 'vtpm-web1.img').exists()
