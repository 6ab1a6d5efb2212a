# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one way the collection's modules read and write files.

Every writer follows the same order: read the file as bytes (``read``), decide everything (parse,
validate, render the diff with ``display_text``), and only then ``write``. ``write``:

* edits the *target* of a symbolic link (``os.path.realpath``), so a link such as
  ``/etc/xen/auto/web1.cfg -> ../web1.cfg`` stays a link and the file it points to gets the content;
* refuses when the file changed since it was read (someone else edited it meanwhile);
* writes a temporary file created with ``tempfile.mkstemp`` (``O_CREAT|O_EXCL``, mode 0600) in the
  directory of the target, gives it the mode and owner (uid/gid) of the original, flushes it to disk
  (``fsync``), renames it over the target and flushes the directory;
* makes the backup, when asked, the same way (exclusive create, never through a link), before the
  rename;
* on any failure removes its temporary file and raises SafeFileError saying what state the file is in.

Text that is shown (diffs, messages) goes through ``display_text``: bytes that are not UTF-8 are shown
as ``\\xNN`` escapes there, and only there; the file keeps its bytes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import hashlib
import os
import stat
import tempfile
import time

from ansible_collections.xenguard.hardening.plugins.module_utils.runner import XenGuardError


class SafeFileError(XenGuardError):
    """A file could not be read or written safely; ``msg`` says what state the file is in."""


class FileState(object):
    """What ``read`` found: the path asked for, the file it resolves to, its bytes and its stat.

    ``data`` and ``stat`` are None when the file does not exist.
    """

    def __init__(self, path, target, data, st):
        self.path = path
        self.target = target
        self.data = data
        self.stat = st

    @property
    def exists(self):
        return self.data is not None

    @property
    def is_link(self):
        return self.path != self.target


def display_text(data):
    """``data`` (bytes) as text that is always valid UTF-8: undecodable bytes become ``\\xNN``."""
    if data is None:
        return ''
    return data.decode('utf-8', 'backslashreplace')


def display(text):
    """A str that may hold surrogate escapes (bytes read with surrogateescape) as valid UTF-8 text."""
    if not isinstance(text, str):
        return text
    return text.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')


def clean(value):
    """``value`` (a module result) with every string made valid UTF-8 (see ``display``), recursively.

    Ansible refuses a module result that holds invalid UTF-8; bytes read with surrogateescape (file
    contents, command output) would otherwise fail the task after the work was done.
    """
    if isinstance(value, str):
        return display(value)
    if isinstance(value, bytes):
        return display_text(value)
    if isinstance(value, dict):
        return dict((clean(k), clean(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def first_non_utf8(data):
    """(offset, line, byte) of the first byte of ``data`` that is not UTF-8, or None."""
    try:
        data.decode('utf-8')
        return None
    except UnicodeDecodeError as exc:
        offset = exc.start
        return offset, data.count(b'\n', 0, offset) + 1, bytearray(data[offset:offset + 1])[0]


def describe_non_utf8(path, data):
    """A sentence naming the first non-UTF-8 byte of ``data`` (file, line, byte offset), or None."""
    found = first_non_utf8(data)
    if found is None:
        return None
    offset, line, byte = found
    return '%s is not UTF-8: byte 0x%02X at offset %d (line %d)' % (path, byte, offset, line)


def resolve(path):
    """The file that ``path`` names once every symbolic link is followed."""
    if not path:
        raise SafeFileError('path is empty: give the file to edit')
    return os.path.realpath(path)


def read(path, must_exist=True):
    """Read ``path`` (through links) as bytes; returns a FileState.

    Refuses a path that is not a regular file, a link whose target does not exist, and (with
    must_exist) a missing file.
    """
    target = resolve(path)
    if os.path.islink(path) and not os.path.exists(target):
        raise SafeFileError('%s is a symbolic link to %s, which does not exist; fix or remove the link '
                            '(nothing was changed)' % (path, target), path=path, target=target)
    try:
        st = os.stat(target)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise SafeFileError('cannot read %s: %s (nothing was changed)' % (path, exc.strerror), path=path)
        if must_exist:
            raise SafeFileError('%s does not exist; this module edits existing files only (nothing was '
                                'created)' % path, path=path)
        return FileState(path, target, None, None)
    if not stat.S_ISREG(st.st_mode):
        raise SafeFileError('%s is not a regular file%s (nothing was changed)'
                            % (path, '' if target == path else ' (it resolves to %s)' % target),
                            path=path, target=target)
    try:
        with open(target, 'rb') as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise SafeFileError('cannot read %s: %s (nothing was changed)' % (path, exc.strerror or exc),
                            path=path)
    return FileState(path, target, data, st)


def _fsync_dir(directory):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _give_metadata(fd, mode, uid, gid):
    os.fchmod(fd, mode)
    if uid is not None and (uid, gid) != (os.geteuid(), os.getegid()):
        os.fchown(fd, uid, gid)


def _write_fd(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)


def _backup_name(target):
    stamp = time.strftime('%Y-%m-%d@%H:%M:%S', time.localtime())
    return '%s.%d.%s~' % (target, os.getpid(), stamp)


def _make_backup(state):
    """A copy of the original bytes beside the target, created exclusively (never through a link)."""
    st = state.stat
    name = _backup_name(state.target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0)
    fd = os.open(name, flags, 0o600)
    try:
        _give_metadata(fd, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
        _write_fd(fd, state.data)
    except Exception:
        os.close(fd)
        os.unlink(name)
        raise
    os.close(fd)
    return name


def write(state, data, backup=False, new_mode=0o644, module=None):
    """Replace the file of ``state`` (from ``read``) with ``data`` (bytes), safely.

    Returns {target, backup_file}. A missing file (``state.exists`` false) is created with
    ``new_mode`` (its directory must exist). Raises SafeFileError saying what state the file is in.
    """
    if not isinstance(data, bytes):
        raise TypeError('safefile.write wants bytes')
    target = state.target
    directory = os.path.dirname(target) or '.'
    shown = state.path if not state.is_link else '%s (the target of the link %s)' % (target, state.path)

    if state.exists:
        mode = stat.S_IMODE(state.stat.st_mode)
        uid, gid = state.stat.st_uid, state.stat.st_gid
    else:
        mode, uid, gid = new_mode, None, None

    fd, tmp = None, None
    try:
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(target), suffix='.xenguard-tmp',
                                   dir=directory)
        _give_metadata(fd, mode, uid, gid)
        _write_fd(fd, data)
        os.close(fd)
        fd = None
        if module is not None and state.exists:
            _copy_selinux_context(module, target, tmp)
    except (IOError, OSError) as exc:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            _unlink_quietly(tmp)
        raise SafeFileError('cannot write a temporary file in %s for %s: %s; %s was not changed'
                            % (directory, state.path, exc.strerror or exc, shown), path=state.path)

    backup_file = None
    if backup and state.exists:
        try:
            backup_file = _make_backup(state)
        except (IOError, OSError) as exc:
            _unlink_quietly(tmp)
            raise SafeFileError('cannot make the backup of %s in %s: %s; %s was not changed'
                                % (state.path, directory, exc.strerror or exc, shown), path=state.path)

    # the file must still be what was read and decided on
    try:
        current = read(state.path, must_exist=False)
        unchanged = current.target == target and current.data == state.data
    except SafeFileError:
        unchanged = False
    if not unchanged:
        _unlink_quietly(tmp)
        if backup_file:
            _unlink_quietly(backup_file)
        raise SafeFileError('%s changed while this module was deciding what to write (another process '
                            'edited, created, removed or relinked it); nothing was changed, run again'
                            % shown, path=state.path)
    try:
        os.rename(tmp, target)
    except (IOError, OSError) as exc:
        _unlink_quietly(tmp)
        raise SafeFileError('cannot rename the new content over %s: %s; %s was not changed%s'
                            % (target, exc.strerror or exc, shown,
                               ' (the backup %s was made)' % backup_file if backup_file else ''),
                            path=state.path, backup_file=backup_file)
    try:
        _fsync_dir(directory)
    except (IOError, OSError) as exc:
        raise SafeFileError('%s holds the new content, but flushing its directory %s to disk failed: %s; '
                            'after a crash it may hold the old content%s'
                            % (shown, directory, exc.strerror or exc,
                               ' (the backup is %s)' % backup_file if backup_file else ''),
                            path=state.path, backup_file=backup_file)
    return {'target': target, 'backup_file': backup_file}


def restore(state, written):
    """Put the original bytes of ``state`` back after ``write`` (``written`` is what it returned).

    Returns a sentence saying what state the file is in now.
    """
    shown = state.path
    if not state.exists:
        try:
            os.unlink(state.target)
            return '%s was removed again' % shown
        except OSError as exc:
            return '%s was created and could not be removed again (%s)' % (shown, exc.strerror or exc)
    try:
        now = read(state.path)
        write(now, state.data)
    except SafeFileError as exc:
        where = written.get('backup_file')
        return ('%s still holds the new content: restoring it failed (%s)%s'
                % (shown, exc.msg, '; the original is in %s' % where if where else ''))
    return '%s was restored to its original content' % shown


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _copy_selinux_context(module, source, dest):
    """Give ``dest`` the SELinux context of ``source`` when SELinux is on (no-op elsewhere)."""
    try:
        if module.selinux_enabled():
            context = module.selinux_context(source)
            module.set_context_if_different(dest, context, False)
    except Exception:  # pragma: no cover - SELinux is off on the hosts this collection supports
        pass


def sha256_file(path):
    """The SHA-256 of a file's content (hex), read in 1 MiB blocks; None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, 'rb') as handle:
            for block in iter(lambda: handle.read(1 << 20), b''):
                digest.update(block)
    except (IOError, OSError):
        return None
    return digest.hexdigest()
