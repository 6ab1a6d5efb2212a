# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""safefile on real files, real symbolic links and real directories."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import re
import stat

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import safefile
from ansible_collections.xenguard.hardening.plugins.module_utils.safefile import SafeFileError

LATIN1 = b'# caf\xe9\nmemory = 512\n'


def _sha(path):
    with open(str(path), 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _names(directory):
    return sorted(os.listdir(str(directory)))


@pytest.fixture
def linked(tmp_path):
    """/etc/xen shaped: web1.cfg, and auto/web1.cfg a relative link to it (as Debian's xendomains uses)."""
    etc = tmp_path / 'xen'
    auto = etc / 'auto'
    auto.mkdir(parents=True)
    target = etc / 'web1.cfg'
    target.write_bytes(LATIN1)
    target.chmod(0o640)
    link = auto / 'web1.cfg'
    link.symlink_to(os.path.join('..', 'web1.cfg'))
    return dict(etc=etc, auto=auto, target=target, link=link)


def test_write_through_a_link_edits_the_target_and_keeps_the_link(linked):
    state = safefile.read(str(linked['link']))
    assert state.is_link and state.target == str(linked['target'].resolve())
    assert state.data == LATIN1
    out = safefile.write(state, LATIN1.replace(b'512', b'2048'))
    assert os.path.islink(str(linked['link']))
    assert os.readlink(str(linked['link'])) == os.path.join('..', 'web1.cfg')
    assert linked['target'].read_bytes() == b'# caf\xe9\nmemory = 2048\n'
    assert stat.S_IMODE(linked['target'].stat().st_mode) == 0o640
    assert out == {'target': str(linked['target'].resolve()), 'backup_file': None}
    # no temporary file is left in either directory
    assert _names(linked['etc']) == ['auto', 'web1.cfg'] and _names(linked['auto']) == ['web1.cfg']


def test_mode_and_owner_are_kept_and_backup_is_beside_the_target(linked):
    target = linked['target']
    target.chmod(0o604)
    before = target.stat()
    state = safefile.read(str(linked['link']))
    out = safefile.write(state, b'memory = 1\n', backup=True)
    after = target.stat()
    assert (stat.S_IMODE(after.st_mode), after.st_uid, after.st_gid) == \
        (0o604, before.st_uid, before.st_gid)
    assert after.st_ino != before.st_ino  # replaced by rename, not rewritten in place
    backup = out['backup_file']
    assert os.path.dirname(backup) == str(linked['etc'].resolve())
    assert backup.startswith(str(target.resolve()) + '.') and backup.endswith('~')
    with open(backup, 'rb') as handle:
        assert handle.read() == LATIN1
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o604
    assert not os.path.islink(backup)


def test_a_file_changed_after_reading_is_not_overwritten(linked):
    state = safefile.read(str(linked['target']))
    linked['target'].write_bytes(b'memory = 4\n')
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'memory = 5\n', backup=True)
    assert 'changed while this module was deciding what to write' in err.value.msg
    assert 'nothing was changed' in err.value.msg
    assert linked['target'].read_bytes() == b'memory = 4\n'
    # neither the temporary file nor the backup is left behind
    assert _names(linked['etc']) == ['auto', 'web1.cfg']


def test_a_link_turned_elsewhere_after_reading_is_not_followed(linked, tmp_path):
    state = safefile.read(str(linked['link']))
    other = tmp_path / 'other.cfg'
    other.write_bytes(LATIN1)
    linked['link'].unlink()
    linked['link'].symlink_to(other)
    digests = (_sha(linked['target']), _sha(other))
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'x = 1\n')
    assert 'relinked' in err.value.msg
    assert (_sha(linked['target']), _sha(other)) == digests


def test_dangling_link_and_non_files_are_refused(tmp_path):
    dangling = tmp_path / 'dangling.cfg'
    dangling.symlink_to(tmp_path / 'gone.cfg')
    with pytest.raises(SafeFileError) as err:
        safefile.read(str(dangling))
    assert err.value.msg == ('%s is a symbolic link to %s, which does not exist; fix or remove the link '
                             '(nothing was changed)' % (dangling, tmp_path / 'gone.cfg'))
    assert not os.path.lexists(str(tmp_path / 'gone.cfg'))
    with pytest.raises(SafeFileError) as err:
        safefile.read(str(tmp_path))
    assert 'is not a regular file' in err.value.msg
    with pytest.raises(SafeFileError) as err:
        safefile.read(str(tmp_path / 'missing.cfg'))
    assert 'does not exist; this module edits existing files only' in err.value.msg
    with pytest.raises(SafeFileError) as err:
        safefile.read('')
    assert err.value.msg.startswith('path is empty')


def test_new_file_is_created_with_the_mode_asked(tmp_path):
    path = tmp_path / 'xen.cfg'
    state = safefile.read(str(path), must_exist=False)
    assert not state.exists
    out = safefile.write(state, b'GRUB_CMDLINE_XEN_DEFAULT="smt=0"\n', backup=True, new_mode=0o644)
    assert path.read_bytes() == b'GRUB_CMDLINE_XEN_DEFAULT="smt=0"\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert out['backup_file'] is None
    assert _names(tmp_path) == ['xen.cfg']


def test_a_file_created_meanwhile_is_not_overwritten(tmp_path):
    path = tmp_path / 'xen.cfg'
    state = safefile.read(str(path), must_exist=False)
    path.write_bytes(b'someone else\n')
    with pytest.raises(SafeFileError):
        safefile.write(state, b'mine\n')
    assert path.read_bytes() == b'someone else\n'


def test_failure_to_write_the_temporary_file_leaves_the_file(linked, monkeypatch):
    state = safefile.read(str(linked['link']))
    digest = _sha(linked['target'])

    def broken_fsync(fd):
        raise OSError(5, 'Input/output error')
    monkeypatch.setattr(safefile.os, 'fsync', broken_fsync)
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'x = 1\n')
    assert err.value.msg == ('cannot write a temporary file in %s for %s: Input/output error; %s (the target '
                             'of the link %s) was not changed'
                             % (linked['etc'].resolve(), linked['link'], linked['target'].resolve(),
                                linked['link']))
    assert _sha(linked['target']) == digest
    assert _names(linked['etc']) == ['auto', 'web1.cfg']


def test_restore_puts_the_original_back(linked):
    state = safefile.read(str(linked['link']))
    written = safefile.write(state, b'x = 1\n')
    assert safefile.restore(state, written) == '%s was restored to its original content' % linked['link']
    assert linked['target'].read_bytes() == LATIN1
    assert os.path.islink(str(linked['link']))


def test_display_and_clean_make_valid_utf8():
    assert safefile.display_text(LATIN1) == '# caf\\xe9\nmemory = 512\n'
    text = LATIN1.decode('utf-8', 'surrogateescape')
    assert safefile.display(text) == '# caf\\xe9\nmemory = 512\n'
    cleaned = safefile.clean({'diff': {'before': text}, 'cmdline': [text], 'n': 1, 'ok': True})
    assert cleaned == {'diff': {'before': '# caf\\xe9\nmemory = 512\n'}, 'cmdline': ['# caf\\xe9\nmemory = 512\n'],
                       'n': 1, 'ok': True}
    assert safefile.describe_non_utf8('g.cfg', LATIN1) == 'g.cfg is not UTF-8: byte 0xE9 at offset 5 (line 1)'
    assert safefile.describe_non_utf8('g.cfg', 'café\n'.encode('utf-8')) is None


def test_failed_rename_says_the_file_was_not_changed_and_where_the_backup_is(linked, monkeypatch):
    state = safefile.read(str(linked['target']))

    def broken_rename(src, dst):
        raise OSError(16, 'Device or resource busy')
    monkeypatch.setattr(safefile.os, 'rename', broken_rename)
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'x = 1\n', backup=True)
    monkeypatch.undo()
    backup = err.value.details['backup_file']
    assert err.value.msg == ('cannot rename the new content over %s: Device or resource busy; %s was not changed '
                             '(the backup %s was made)' % (linked['target'].resolve(), linked['target'], backup))
    assert linked['target'].read_bytes() == LATIN1
    # only the backup is left beside the file, no temporary file
    assert _names(linked['etc']) == sorted(['auto', 'web1.cfg', os.path.basename(backup)])


def test_failed_directory_flush_says_the_file_holds_the_new_content(linked, monkeypatch):
    state = safefile.read(str(linked['target']))

    def broken_fsync_dir(directory):
        raise OSError(5, 'Input/output error')
    monkeypatch.setattr(safefile, '_fsync_dir', broken_fsync_dir)
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'x = 1\n')
    assert err.value.msg.startswith('%s holds the new content, but flushing its directory' % linked['target'])
    assert linked['target'].read_bytes() == b'x = 1\n'


def test_failed_backup_leaves_the_file(linked, monkeypatch):
    state = safefile.read(str(linked['target']))

    def no_backup(state):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(safefile, '_make_backup', no_backup)
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'x = 1\n', backup=True)
    assert err.value.msg == ('cannot make the backup of %s in %s: No space left on device; %s was not changed'
                             % (linked['target'], linked['etc'].resolve(), linked['target']))
    assert linked['target'].read_bytes() == LATIN1
    assert _names(linked['etc']) == ['auto', 'web1.cfg']


def test_a_backup_name_taken_by_a_link_is_not_followed(linked, tmp_path, monkeypatch):
    victim = tmp_path / 'victim'
    victim.write_bytes(b'precious\n')
    planted = str(linked['target'].resolve()) + '.planted~'
    os.symlink(str(victim), planted)
    monkeypatch.setattr(safefile, '_backup_name', lambda target: planted)
    state = safefile.read(str(linked['target']))
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'x = 1\n', backup=True)
    assert 'cannot make the backup' in err.value.msg
    assert victim.read_bytes() == b'precious\n' and linked['target'].read_bytes() == LATIN1


def test_restore_of_a_created_file_removes_it(tmp_path):
    path = tmp_path / 'new.cfg'
    state = safefile.read(str(path), must_exist=False)
    written = safefile.write(state, b'x = 1\n')
    assert safefile.restore(state, written) == '%s was removed again' % path
    assert not path.exists()


# ----------------------------------------------------------------------------- held by no test before
# (make mutation MUTATE=safefile: each of these was a surviving mutant)

def test_first_non_utf8_counts_lines_from_the_start():
    assert safefile.first_non_utf8(b'\nname = 1\ncaf\xe9\n') == (13, 3, 0xE9)
    assert safefile.first_non_utf8(b'caf\xe9') == (3, 1, 0xE9)
    assert safefile.first_non_utf8(b'plain\n') is None
    assert safefile.display_text(None) == ''
    assert safefile.describe_non_utf8('/etc/xen/a.cfg', b'\n\xff') == \
        '/etc/xen/a.cfg is not UTF-8: byte 0xFF at offset 1 (line 2)'


def test_read_refusals_say_what_the_path_is(tmp_path):
    with pytest.raises(SafeFileError) as err:
        safefile.read(str(tmp_path / 'missing.cfg'))
    assert err.value.msg == ('%s does not exist; this module edits existing files only (nothing was created)'
                             % (tmp_path / 'missing.cfg'))
    with pytest.raises(SafeFileError) as err:
        safefile.read(str(tmp_path))
    assert err.value.msg == '%s is not a regular file (nothing was changed)' % tmp_path
    # a link to a directory: the message names where it leads
    sub = tmp_path / 'dir'
    sub.mkdir()
    link = tmp_path / 'link.cfg'
    link.symlink_to(sub)
    with pytest.raises(SafeFileError) as err:
        safefile.read(str(link))
    assert err.value.msg == '%s is not a regular file (it resolves to %s) (nothing was changed)' % (link, sub)
    # a path through a file: stat fails with ENOTDIR, not "does not exist"
    afile = tmp_path / 'afile'
    afile.write_bytes(b'x')
    with pytest.raises(SafeFileError) as err:
        safefile.read(str(afile / 'below.cfg'))
    assert err.value.msg == 'cannot read %s: Not a directory (nothing was changed)' % (afile / 'below.cfg')


def test_backup_is_private_while_written_and_named_with_pid_and_time(linked):
    state = safefile.read(str(linked['target']))
    out = safefile.write(state, b'new\n', backup=True)
    name = os.path.basename(out['backup_file'])
    assert re.match(r'^web1\.cfg\.%d\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$' % os.getpid(), name), name
    # the backup gets the original's mode
    assert stat.S_IMODE(os.stat(out['backup_file']).st_mode) == 0o640


def test_new_file_default_mode(tmp_path):
    path = tmp_path / 'new.cfg'
    safefile.write(safefile.read(str(path), must_exist=False), b'x\n')
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_file_changed_meanwhile_is_named_and_left(linked):
    state = safefile.read(str(linked['link']))
    linked['target'].write_bytes(b'edited by someone else\n')
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'new\n', backup=True)
    assert err.value.msg == ('%s (the target of the link %s) changed while this module was deciding what to '
                             'write (another process edited, created, removed or relinked it); nothing was '
                             'changed, run again' % (state.target, linked['link']))
    assert linked['target'].read_bytes() == b'edited by someone else\n'
    assert _names(linked['etc']) == ['auto', 'web1.cfg']  # neither a temporary file nor a backup is left


def test_restore_messages(tmp_path, linked):
    # a created file that cannot be removed again (it became a directory)
    path = tmp_path / 'created.cfg'
    state = safefile.read(str(path), must_exist=False)
    written = safefile.write(state, b'x\n')
    path.unlink()
    path.mkdir()
    said = safefile.restore(state, written)
    assert said.startswith('%s was created and could not be removed again (' % path) and 'directory' in said
    # an edited file that is gone when it is to be restored: the backup is named
    state = safefile.read(str(linked['target']))
    written = safefile.write(state, b'new\n', backup=True)
    linked['target'].unlink()
    said = safefile.restore(state, written)
    assert said.startswith('%s still holds the new content: restoring it failed (' % linked['target'])
    assert said.endswith('; the original is in %s' % written['backup_file'])


# ----------------------------------------------------------------------------- the second mutation round
# (each test holds what a surviving mutant of safefile.py changed; the equivalent mutants left are named in
# docs/development.md)

def test_a_read_error_names_the_path_and_the_reason(linked, monkeypatch):
    def broken_open(path, mode='r'):
        raise IOError(5, 'Input/output error')
    monkeypatch.setattr(safefile, 'open', broken_open, raising=False)
    with pytest.raises(SafeFileError) as err:
        safefile.read(str(linked['target']))
    assert err.value.msg == 'cannot read %s: Input/output error (nothing was changed)' % linked['target']
    assert err.value.details == {'path': str(linked['target'])}


def test_an_unchanged_owner_is_not_given_again(linked, monkeypatch):
    # the file belongs to this user already: fchown is not called (it needs privileges the caller may lack)
    owned = []
    monkeypatch.setattr(safefile.os, 'fchown', lambda fd, uid, gid: owned.append((uid, gid)))
    state = safefile.read(str(linked['target']))
    assert (state.stat.st_uid, state.stat.st_gid) == (os.geteuid(), os.getegid())
    safefile.write(state, b'x = 1\n', backup=True)
    assert owned == []


def test_another_owner_is_given_to_the_new_content_and_the_backup(linked, monkeypatch):
    owned = []
    monkeypatch.setattr(safefile.os, 'fchown', lambda fd, uid, gid: owned.append((uid, gid)))
    state = safefile.read(str(linked['target']))
    other = os.stat_result((state.stat.st_mode, 0, 0, 1, 4242, 4343) + tuple(state.stat)[6:])
    state = safefile.FileState(state.path, state.target, state.data, other)
    safefile.write(state, b'x = 1\n', backup=True)
    assert owned == [(4242, 4343), (4242, 4343)]


def test_short_writes_are_continued_until_every_byte_is_written(linked, monkeypatch):
    real_write = os.write
    monkeypatch.setattr(safefile.os, 'write', lambda fd, data: real_write(fd, bytes(data[:3])))
    state = safefile.read(str(linked['target']))
    out = safefile.write(state, b'memory = 4096\nvcpus = 2\n', backup=True)
    monkeypatch.undo()
    assert linked['target'].read_bytes() == b'memory = 4096\nvcpus = 2\n'
    with open(out['backup_file'], 'rb') as handle:
        assert handle.read() == LATIN1


def test_write_wants_bytes(linked):
    state = safefile.read(str(linked['target']))
    with pytest.raises(TypeError) as err:
        safefile.write(state, u'x = 1\n')
    assert str(err.value) == 'safefile.write wants bytes'
    assert linked['target'].read_bytes() == LATIN1


def test_the_temporary_file_is_hidden_beside_the_target_and_named_for_it(linked, monkeypatch):
    renamed = []

    def record_rename(src, dst):
        renamed.append((src, dst))
        raise OSError(16, 'Device or resource busy')
    monkeypatch.setattr(safefile.os, 'rename', record_rename)
    state = safefile.read(str(linked['link']))
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'x = 1\n')
    monkeypatch.undo()
    (src, dst), = renamed
    target = str(linked['target'].resolve())
    assert dst == target and os.path.dirname(src) == os.path.dirname(target)
    assert re.match(r'^\.web1\.cfg\.[^/]+\.xenguard-tmp$', os.path.basename(src))
    # without a backup the message names none
    assert err.value.msg == ('cannot rename the new content over %s: Device or resource busy; %s (the target of '
                             'the link %s) was not changed' % (target, target, linked['link']))
    assert err.value.details['backup_file'] is None
    assert _names(linked['etc']) == ['auto', 'web1.cfg']


def test_the_temporary_file_descriptor_is_closed_when_writing_fails(linked, monkeypatch):
    opened, closed = [], []
    real_mkstemp, real_close = safefile.tempfile.mkstemp, os.close

    def mkstemp(**kwargs):
        fd, name = real_mkstemp(**kwargs)
        opened.append(fd)
        return fd, name

    def close(fd):
        closed.append(fd)
        real_close(fd)

    def broken_fsync(fd):
        raise OSError(5, 'Input/output error')
    monkeypatch.setattr(safefile.tempfile, 'mkstemp', mkstemp)
    monkeypatch.setattr(safefile.os, 'close', close)
    monkeypatch.setattr(safefile.os, 'fsync', broken_fsync)
    state = safefile.read(str(linked['target']))
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'x = 1\n')
    monkeypatch.undo()
    assert len(opened) == 1 and closed == opened
    assert err.value.msg == ('cannot write a temporary file in %s for %s: Input/output error; %s was not changed'
                             % (linked['etc'].resolve(), linked['target'], linked['target']))
    assert _names(linked['etc']) == ['auto', 'web1.cfg'] and linked['target'].read_bytes() == LATIN1


def test_a_file_that_became_a_dangling_link_is_not_written(linked):
    state = safefile.read(str(linked['target']))
    linked['target'].unlink()
    linked['target'].symlink_to('/nonexistent/xenguard-test')
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'x = 1\n')
    assert 'changed while this module was deciding what to write' in err.value.msg
    assert os.path.islink(str(linked['target']))
    assert os.readlink(str(linked['target'])) == '/nonexistent/xenguard-test'


@pytest.mark.parametrize('backup', [False, True], ids=['no-backup', 'backup'])
def test_a_failed_directory_flush_message_in_full(linked, monkeypatch, backup):
    def broken_fsync_dir(directory):
        raise OSError(5, 'Input/output error')
    monkeypatch.setattr(safefile, '_fsync_dir', broken_fsync_dir)
    state = safefile.read(str(linked['target']))
    with pytest.raises(SafeFileError) as err:
        safefile.write(state, b'x = 1\n', backup=backup)
    backup_file = err.value.details['backup_file']
    assert (backup_file is not None) is backup
    assert err.value.msg == ('%s holds the new content, but flushing its directory %s to disk failed: '
                             'Input/output error; after a crash it may hold the old content%s'
                             % (linked['target'], linked['etc'].resolve(),
                                ' (the backup is %s)' % backup_file if backup else ''))


def test_restore_messages_in_full(tmp_path, linked, monkeypatch):
    path = tmp_path / 'created.cfg'
    state = safefile.read(str(path), must_exist=False)
    written = safefile.write(state, b'x\n')

    def busy_unlink(name):
        raise OSError(16, 'Device or resource busy')
    monkeypatch.setattr(safefile.os, 'unlink', busy_unlink)
    assert safefile.restore(state, written) == ('%s was created and could not be removed again (Device or '
                                                'resource busy)' % path)
    monkeypatch.undo()
    # restoring fails and there is no backup: nothing more is said
    state = safefile.read(str(linked['target']))
    written = safefile.write(state, b'new\n')
    linked['target'].unlink()
    said = safefile.restore(state, written)
    assert said == ('%s still holds the new content: restoring it failed (%s does not exist; this module edits '
                    'existing files only (nothing was created))' % (linked['target'], linked['target']))


class SELinuxModule(object):
    """The three AnsibleModule methods safefile uses for SELinux, recording what they are asked."""

    def __init__(self):
        self.calls = []

    def selinux_enabled(self):
        return True

    def selinux_context(self, path):
        self.calls.append(('context', path))
        return ['system_u', 'object_r', 'xen_etc_t', 's0']

    def set_context_if_different(self, path, context, changed):
        self.calls.append(('set', os.path.basename(path).endswith('.xenguard-tmp'), context, changed))
        return changed


def test_the_selinux_context_of_an_existing_file_is_given_to_the_new_content(linked):
    module = SELinuxModule()
    state = safefile.read(str(linked['target']))
    safefile.write(state, b'x = 1\n', module=module)
    assert module.calls == [('context', str(linked['target'].resolve())),
                            ('set', True, ['system_u', 'object_r', 'xen_etc_t', 's0'], False)]


def test_a_new_file_gets_no_copied_selinux_context(tmp_path):
    module = SELinuxModule()
    state = safefile.read(str(tmp_path / 'new.cfg'), must_exist=False)
    safefile.write(state, b'x = 1\n', module=module)
    assert module.calls == []


def test_sha256_file_reads_every_block(tmp_path):
    # three 1 MiB blocks and a tail: the digest is the whole content's (a block dropped would change it)
    data = b'xen' * ((3 << 20) // 3 + 7)
    path = tmp_path / 'image.gz'
    path.write_bytes(data)
    assert safefile.sha256_file(str(path)) == hashlib.sha256(data).hexdigest()
    empty = tmp_path / 'empty'
    empty.write_bytes(b'')
    assert safefile.sha256_file(str(empty)) == hashlib.sha256(b'').hexdigest()
    assert safefile.sha256_file(str(tmp_path / 'missing')) is None
    assert safefile.sha256_file(str(tmp_path)) is None  # a directory cannot be read as a file
