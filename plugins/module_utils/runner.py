# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""One small runner per binary, and the one exception type modules turn into fail_json.

A CommandRunner finds its binary once (get_bin_path), runs argument lists (never a shell
string) under LC_ALL=C and returns CommandResult tuples. ``run(..., check=True)`` raises
XenCommandError, whose message carries the binary's stderr. Commands that change something
are run with ``write=True``: they are recorded in ``runner.record`` so a module can return
them as ``commands``; in check mode the module simply does not call them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import shlex
from collections import namedtuple

# Which package brings which binary (Debian names; said in the error when a binary is missing).
PACKAGE_HINTS = {
    'xl': 'xen-utils (xen-utils-<version>, installed with xen-system-amd64)',
    'xenstore-read': 'xenstore-utils',
    'xenstore-write': 'xenstore-utils',
    'xenstore-rm': 'xenstore-utils',
    'xenstore-chmod': 'xenstore-utils',
    'xenstore-ls': 'xenstore-utils',
    'xenstore-exists': 'xenstore-utils',
    'xenstore-list': 'xenstore-utils',
    'ip': 'iproute2',
}

C_LOCALE = {'LC_ALL': 'C', 'LANG': 'C'}

CommandResult = namedtuple('CommandResult', ['cmd', 'rc', 'stdout', 'stderr'])


class XenGuardError(Exception):
    """The one error type of the collection: a message plus details for fail_json."""

    def __init__(self, msg, **details):
        super(XenGuardError, self).__init__(msg)
        self.msg = msg
        self.details = details

    def to_fail_kwargs(self):
        kwargs = dict(self.details)
        kwargs['msg'] = self.msg
        return kwargs


class XenCommandError(XenGuardError):
    """A command exited with an unexpected status."""

    def __init__(self, msg, cmd=None, rc=None, stdout='', stderr=''):
        super(XenCommandError, self).__init__(msg, cmd=cmd, rc=rc, stdout=stdout, stderr=stderr)
        self.cmd = cmd
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr


def describe_failure(result, what=None):
    """A one-line message for a failed command, with what the binary said on stderr."""
    said = (result.stderr or '').strip() or (result.stdout or '').strip()
    head = what or ' '.join(result.cmd)
    if said:
        # keep the message short but complete enough to act on
        said = ' | '.join(line.strip() for line in said.splitlines() if line.strip())
        return '%s failed (rc=%s): %s' % (head, result.rc, said)
    return '%s failed (rc=%s) without saying why' % (head, result.rc)


class CommandRunner(object):
    """Run one binary with argument lists under the C locale."""

    def __init__(self, module, binary, required=True):
        self.module = module
        self.binary = binary
        self.path = module.get_bin_path(binary, required=False)
        self.record = []
        if self.path is None and required:
            raise XenGuardError(self.missing_message(binary), binary=binary)

    @staticmethod
    def missing_message(binary):
        hint = PACKAGE_HINTS.get(binary)
        msg = 'Cannot find the %s command on this host' % binary
        if hint:
            msg += '; install the package %s' % hint
        return msg + ' (or is this not a Xen dom0?)'

    @property
    def available(self):
        return self.path is not None

    def run(self, args, check=True, data=None, write=False, ok_rcs=(0,)):
        """Run the binary with ``args`` (a list); return a CommandResult.

        check: raise XenCommandError when rc is not in ok_rcs.
        write: the command changes something; remember it in ``record``.
        """
        if self.path is None:
            raise XenGuardError(self.missing_message(self.binary), binary=self.binary)
        if isinstance(args, (str, bytes)):
            raise XenGuardError('internal error: CommandRunner.run() takes a list of arguments')
        cmd = [self.path] + [str(a) for a in args]
        kwargs = {'environ_update': dict(C_LOCALE)}
        if data is not None:
            kwargs['data'] = data
            kwargs['binary_data'] = True
        # handle_exceptions=False: a binary that cannot be started raises here instead of ending the module
        # from inside run_command (xen_facts reads in two threads, where that would print a second result)
        kwargs['handle_exceptions'] = False
        try:
            rc, stdout, stderr = self.module.run_command(cmd, **kwargs)
        except (IOError, OSError) as exc:
            raise XenGuardError('Cannot run %s: %s' % (' '.join(cmd), exc.strerror or exc), cmd=cmd)
        result = CommandResult(cmd, rc, stdout or '', stderr or '')
        if write:
            self.record.append(' '.join(shlex.quote(a) for a in [self.binary] + [str(a) for a in args]))
        if check and rc not in ok_rcs:
            raise XenCommandError(describe_failure(result), cmd=cmd, rc=rc,
                                  stdout=result.stdout, stderr=result.stderr)
        return result
