# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import stat

import pytest

from ansible_collections.xenguard.hardening.plugins.modules import xl_domain_config
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture_bytes, run_module

SYSTEM_SBIN = ('/sbin', '/usr/sbin', '/usr/local/sbin')


def _sha(path):
    with open(str(path), 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def run(capsys, tmp_path, args, **kwargs):
    """xl_domain_config run once on args, its tmpdir (where `xl create -n` reads the new text) under tmp_path."""
    return run_module(xl_domain_config, capsys, args, _ansible_remote_tmp=str(tmp_path / 'remote-tmp'),
                      _ansible_keep_remote_files=False, **kwargs)


def _write_script(path, body):
    path.write_text('#!/bin/sh\n' + body)
    path.chmod(0o755)


@pytest.fixture
def no_xl(tmp_path, monkeypatch):
    """A PATH without xl (the module also looks in the sbin directories: skip where one has xl)."""
    if any(os.path.exists(os.path.join(d, 'xl')) for d in SYSTEM_SBIN):
        pytest.skip('this machine has xl in an sbin directory')
    empty = tmp_path / 'empty-bin'
    empty.mkdir()
    monkeypatch.setenv('PATH', str(empty))


@pytest.fixture
def fake_xl(tmp_path, monkeypatch):
    """An xl on PATH that records what it was asked and copies the file it was given."""
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    record = tmp_path / 'xl-args'
    seen = tmp_path / 'xl-saw.cfg'
    _write_script(bindir / 'xl', 'echo "$@" >> %s\ncp "$3" %s\necho "Parsing config from $3" >&2\n'
                  'echo "{}"\nexit 0\n' % (record, seen))
    monkeypatch.setenv('PATH', '%s:%s' % (bindir, os.environ.get('PATH', '')))
    return dict(record=record, seen=seen, bindir=bindir)


@pytest.fixture
def failing_xl(tmp_path, monkeypatch):
    bindir = tmp_path / 'bin-failing'
    bindir.mkdir()
    _write_script(bindir / 'xl', 'echo "Parsing config from $3" >&2\n'
                  'echo "$3:4: config parsing error near \\`x\\x27: lexical error" >&2\n'
                  'echo "Failed to parse config: Invalid argument" >&2\nexit 1\n')
    monkeypatch.setenv('PATH', '%s:%s' % (bindir, os.environ.get('PATH', '')))


@pytest.fixture
def guest(tmp_path):
    path = tmp_path / 'web1.cfg'
    path.write_bytes(fixture_bytes('xlcfg', 'pv-direct-kernel.cfg'))
    path.chmod(0o640)
    return path


def test_set_and_remove_without_validation(capsys, tmp_path, guest):
    before = guest.read_text()
    result = run(capsys, tmp_path, dict(
        path=str(guest), validate=False,
        settings={'kernel': '/usr/lib/grub-xen/grub-x86_64-xen.bin', 'vcpus': 4,
                  'vif': ['mac=00:16:3e:00:00:01,bridge=xenbr1,backend=netdd']},
        remove=['ramdisk', 'extra', 'absent_key']))
    assert result['changed'] is True
    assert result['changed_keys'] == ['kernel', 'vcpus', 'vif', 'ramdisk', 'extra']
    assert result['validated'] is False
    assert result['validation'] == 'not asked (validate=false)'
    after = guest.read_text()
    expected = (before
                .replace('kernel = "/boot/vmlinuz-6.1.0-50-amd64"', 'kernel = "/usr/lib/grub-xen/grub-x86_64-xen.bin"')
                .replace('ramdisk = "/boot/initrd.img-6.1.0-50-amd64"\n', '')
                .replace('extra = "root=/dev/xvda1 console=hvc0 # not a comment"   # this one is\n', '')
                .replace('vcpus  = 2', 'vcpus  = 4')
                .replace("vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr1' ]",
                         "vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr1,backend=netdd' ]"))
    assert after == expected
    assert stat.S_IMODE(guest.stat().st_mode) == 0o640
    assert 'backup_file' not in result


def test_second_run_changes_nothing_and_does_not_write(capsys, tmp_path, guest):
    args = dict(path=str(guest), validate=False, settings={'memory': 2048, 'name': 'web1'}, remove=['maxmem'])
    first = run(capsys, tmp_path, args)
    assert first['changed'] is True and first['changed_keys'] == ['memory', 'maxmem']
    inode, mtime = guest.stat().st_ino, guest.stat().st_mtime_ns
    second = run(capsys, tmp_path, args)
    assert second['changed'] is False
    assert second['changed_keys'] == []
    assert second['validation'] == 'not needed: nothing changed'
    assert (guest.stat().st_ino, guest.stat().st_mtime_ns) == (inode, mtime)


def test_check_mode_writes_nothing_and_shows_the_diff(capsys, tmp_path, guest, fake_xl):
    digest = _sha(guest)
    result = run(capsys, tmp_path, dict(path=str(guest), settings={'bootloader': 'pygrub'}, backup=True),
                 check_mode=True, diff=True)
    assert result['changed'] is True
    assert result['changed_keys'] == ['bootloader']
    assert _sha(guest) == digest
    assert 'backup_file' not in result
    assert result['diff']['before'] == guest.read_text()
    assert result['diff']['after'] == guest.read_text() + 'bootloader = "pygrub"\n'
    assert result['diff']['before_header'] == str(guest)
    # validation is a read: it runs in check mode too
    assert result['validated'] is True
    assert fake_xl['seen'].read_text() == result['diff']['after']


def test_validation_with_xl_on_path(capsys, tmp_path, guest, fake_xl):
    result = run(capsys, tmp_path, dict(path=str(guest), settings={'memory': 512}))
    assert result['changed'] is True
    assert result['validated'] is True
    assert result['validation'] == 'xl create -n accepted the new configuration'
    args = fake_xl['record'].read_text().split()
    assert args[:2] == ['create', '-n']
    assert not os.path.exists(args[2])  # the temporary copy is gone
    assert fake_xl['seen'].read_text() == guest.read_text()
    assert 'memory = 512\n' in guest.read_text()


def test_validation_failure_leaves_the_file_and_reports_stderr(capsys, tmp_path, guest, failing_xl):
    digest = _sha(guest)
    result = run(capsys, tmp_path, dict(path=str(guest), settings={'memory': 512}, backup=True))
    assert result['failed'] is True
    assert result['msg'].startswith('xl rejects the new configuration (the file was not changed): xl create -n '
                                    'failed (rc=1): ')
    assert 'lexical error' in result['msg']
    assert 'Failed to parse config: Invalid argument' in result['stderr']
    assert result['rc'] == 1
    assert _sha(guest) == digest
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith('web1.cfg.')] == []


def test_without_xl_validation_is_skipped_and_said(capsys, tmp_path, guest, no_xl):
    result = run(capsys, tmp_path, dict(path=str(guest), settings={'memory': 512}))
    assert result['changed'] is True
    assert result['validated'] is False
    assert result['validation'] == 'skipped: xl is not on the PATH'


def test_xl_that_cannot_run_here_skips_validation(capsys, tmp_path, guest, monkeypatch):
    bindir = tmp_path / 'bin-noxen'
    bindir.mkdir()
    _write_script(bindir / 'xl', 'echo "xencall: error: Could not obtain handle on privileged command interface" >&2\n'
                  'echo "cannot init xl context" >&2\nexit 1\n')
    monkeypatch.setenv('PATH', '%s:%s' % (bindir, os.environ.get('PATH', '')))
    result = run(capsys, tmp_path, dict(path=str(guest), settings={'memory': 512}))
    assert result['changed'] is True
    assert result['validated'] is False
    assert result['validation'].startswith('skipped: xl cannot run here (xl create -n failed (rc=1): xencall')
    assert 'memory = 512\n' in guest.read_text()


def test_backup_keeps_the_old_text(capsys, tmp_path, guest):
    old = guest.read_bytes()
    result = run(capsys, tmp_path, dict(path=str(guest), validate=False, remove=['disk'], backup=True))
    assert result['changed'] is True
    with open(result['backup_file'], 'rb') as handle:
        assert handle.read() == old
    assert os.path.dirname(result['backup_file']) == str(tmp_path)
    assert b"disk = [" not in guest.read_bytes()
    assert b'# disks: one line each\n\nvif' in guest.read_bytes()


def test_owner_and_mode_are_kept(capsys, tmp_path, guest):
    if os.geteuid() != 0:
        pytest.skip('changing the owner needs root')
    os.chown(str(guest), 65534, 65534)
    guest.chmod(0o600)
    run(capsys, tmp_path, dict(path=str(guest), validate=False, settings={'memory': 1}))
    st = guest.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o600)


def test_crlf_and_non_utf8_bytes_survive(capsys, tmp_path):
    path = tmp_path / 'old.cfg'
    raw = b'# caf\xe9 (latin-1)\r\nname = "old"\r\nmemory = 256\r\n'
    path.write_bytes(raw)
    result = run(capsys, tmp_path, dict(path=str(path), validate=False, settings={'memory': 512}))
    assert result['changed'] is True
    assert path.read_bytes() == raw.replace(b'256', b'512')


def test_missing_file_is_an_error_and_is_not_created(capsys, tmp_path):
    path = tmp_path / 'nope.cfg'
    result = run(capsys, tmp_path, dict(path=str(path), settings={'memory': 512}))
    assert result['failed'] is True
    assert result['msg'] == '%s does not exist; this module edits existing files only (nothing was created)' % path
    assert not path.exists()


def test_directory_is_an_error(capsys, tmp_path):
    result = run(capsys, tmp_path, dict(path=str(tmp_path), settings={'memory': 512}))
    assert result['failed'] is True
    assert 'is not a regular file' in result['msg']


def test_malformed_file_says_line_and_column(capsys, tmp_path):
    path = tmp_path / 'bad.cfg'
    path.write_text('name = "x"\nmemory = 512 * 2\n')
    digest = _sha(path)
    result = run(capsys, tmp_path, dict(path=str(path), settings={'memory': 512}))
    assert result['failed'] is True
    assert result['msg'].startswith('cannot parse %s at line 2, column 14: lexical error' % path)
    assert result['line'] == 2 and result['column'] == 14
    assert _sha(path) == digest


@pytest.mark.parametrize('args,words', [
    (dict(settings={'Memory': 512}), "'Memory' is not a valid xl setting name"),
    (dict(remove=['bad key']), "'bad key' is not a valid xl setting name"),
    (dict(settings={'memory': 1.5}), 'settings.memory is the number 1.5: xl has no fractions'),
    (dict(settings={'memory': None}), 'settings.memory is null: give a string, an integer or a list of them '
                                      '(to remove the key, put it in remove)'),
    (dict(settings={'disk': [{'a': 1}]}), 'settings.disk[0] is a mapping: xl has no mappings'),
    (dict(settings={'memory': -5}), 'settings.memory is -5: xl takes integers from 0 to 9223372036854775807'),
    (dict(settings={'memory': 5}, remove=['memory']), 'keys both in settings and in remove: memory'),
])
def test_bad_input_is_refused_before_anything_changes(capsys, tmp_path, guest, args, words):
    digest = _sha(guest)
    args = dict(args, path=str(guest))
    result = run(capsys, tmp_path, args)
    assert result['failed'] is True
    assert words in result['msg']
    assert _sha(guest) == digest


def test_bad_input_is_refused_even_for_a_missing_file(capsys, tmp_path):
    result = run(capsys, tmp_path, dict(path=str(tmp_path / 'nope.cfg'), settings={'A': 1}))
    assert 'not a valid xl setting name' in result['msg']


def test_edits_xl_conf(capsys, tmp_path):
    path = tmp_path / 'xl.conf'
    original = fixture_bytes('debian12-xen-4.17', 'etc-xen-xl.conf.debian.txt')
    path.write_bytes(original)
    result = run(capsys, tmp_path, dict(path=str(path), validate=False,
                                        settings={'autoballoon': 'off', 'vif.default.backend': 'netdd'}))
    assert result['changed_keys'] == ['autoballoon', 'vif.default.backend']
    assert path.read_bytes() == original + b'autoballoon = "off"\nvif.default.backend = "netdd"\n'


# --------------------------------------------------------------------------- write safety, odd input

def test_editing_through_a_link_edits_the_target_and_keeps_the_link(capsys, tmp_path):
    """/etc/xen/auto/web1.cfg -> ../web1.cfg: the link stays a link and the file it names gets the change."""
    etc = tmp_path / 'xen'
    (etc / 'auto').mkdir(parents=True)
    target = etc / 'web1.cfg'
    target.write_bytes(fixture_bytes('xlcfg', 'pv-direct-kernel.cfg'))
    target.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(str(target), 65534, 65534)
    owner = (target.stat().st_uid, target.stat().st_gid)
    link = etc / 'auto' / 'web1.cfg'
    link.symlink_to('../web1.cfg')
    old = target.read_bytes()
    result = run(capsys, tmp_path, dict(path=str(link), validate=False, settings={'memory': 4096}, backup=True))
    assert result['changed'] is True and result['path'] == str(link)
    assert link.is_symlink() and os.readlink(str(link)) == '../web1.cfg'
    assert b'memory = 4096' in target.read_bytes()
    st = target.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == owner + (0o640,)
    # the backup lies beside the target, not in auto/ where xendomains would start it as a guest
    assert os.path.dirname(result['backup_file']) == str(etc)
    with open(result['backup_file'], 'rb') as handle:
        assert handle.read() == old
    assert sorted(os.listdir(str(etc / 'auto'))) == ['web1.cfg']


def test_non_utf8_file_with_diff_and_backup_succeeds_and_keeps_its_bytes(capsys, tmp_path, no_xl):
    """The reproduction of the issue: a Latin-1 comment, -D, backup: the run must succeed with a valid diff."""
    path = tmp_path / 'g.cfg'
    raw = b'# caf\xe9\nmemory = 512\n'
    path.write_bytes(raw)
    result = run(capsys, tmp_path, dict(path=str(path), settings={'memory': 2048}, backup=True), diff=True)
    assert 'failed' not in result
    assert result['changed'] is True
    assert path.read_bytes() == b'# caf\xe9\nmemory = 2048\n'
    assert result['diff']['before'] == '# caf\\xe9\nmemory = 512\n'
    assert result['diff']['after'] == '# caf\\xe9\nmemory = 2048\n'
    with open(result['backup_file'], 'rb') as handle:
        assert handle.read() == raw


def test_non_utf8_byte_where_xl_wants_syntax_names_line_and_offset(capsys, tmp_path):
    path = tmp_path / 'g.cfg'
    path.write_bytes(b'memory = 512\ncaf\xe9 = 1\n')
    digest = _sha(path)
    result = run(capsys, tmp_path, dict(path=str(path), validate=False, settings={'memory': 2048}))
    assert result['failed'] is True
    assert result['msg'].startswith('cannot parse %s at line 2, column 4: lexical error' % path)
    assert result['msg'].endswith('line 2 holds a byte that is not UTF-8 (0xE9 at byte offset 16 of the file): '
                                  'xl settings are ASCII, so remove or fix that byte')
    result['msg'].encode('utf-8')
    assert _sha(path) == digest


@pytest.mark.parametrize('settings,words', [
    ({'kernel': ['a', 'b']}, 'settings.kernel is a list, but xl reads kernel as a single string or number'),
    ({'memory': 2 ** 70}, 'settings.memory is %d: xl takes integers from 0 to 9223372036854775807' % 2 ** 70),
    ({'vif': [['a'], 'b']}, 'settings.vif[0] is a list: xl reads vif as a flat list of strings and integers'),
    ({'vnuma': [[['deep']]]}, 'settings.vnuma[0][0] is a list: vnuma takes lists of strings and integers, '
                              'nested once at most'),
    ({'disk': ['a', None]}, 'settings.disk[1] is null'),
    ({'disk': 'phy:/dev/vg/web1,xvda,w'}, "settings.disk is a single value, but xl reads disk as a list; give a "
                                          "list, for example ['phy:/dev/vg/web1,xvda,w']"),
    ({'name': {'a': 1}}, 'settings.name is a mapping: xl has no mappings'),
    ({'autoballoon': None}, 'settings.autoballoon is null'),
])
def test_value_types_are_checked_without_xl(capsys, tmp_path, guest, no_xl, settings, words):
    digest = _sha(guest)
    result = run(capsys, tmp_path, dict(path=str(guest), settings=settings, backup=True))
    assert result['failed'] is True
    assert result['msg'].startswith(words)
    assert _sha(guest) == digest
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith('web1.cfg')) == ['web1.cfg']


def test_lists_of_lists_where_xl_reads_them(capsys, tmp_path, guest, no_xl):
    result = run(capsys, tmp_path, dict(path=str(guest), settings={
        'vnuma': [['pnode=0', 'size=512', 'vcpus=0', 'vdistances=10'], ['pnode=0', 'size=512', 'vcpus=1']],
        'memory': 2 ** 63 - 1}))
    assert result['changed'] is True
    assert "vnuma = [ [ 'pnode=0', 'size=512', 'vcpus=0', 'vdistances=10' ], [ 'pnode=0', 'size=512', " \
        "'vcpus=1' ] ]" in guest.read_text()


def test_empty_path_says_so(capsys, tmp_path):
    result = run(capsys, tmp_path, dict(path='', settings={'memory': 1}))
    assert result['failed'] is True
    assert result['msg'] == 'path is empty: give the xl configuration file to edit'
