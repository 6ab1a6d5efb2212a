# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CommandRunner and the collection's error types, run against a real AnsibleModule."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.xenguard.hardening.plugins.module_utils.runner import (
    CommandResult,
    CommandRunner,
    XenCommandError,
    XenGuardError,
    describe_failure,
)


@pytest.fixture
def module():
    with patch_module_args({}):
        yield AnsibleModule(argument_spec={}, supports_check_mode=True)


@pytest.fixture
def bindir(tmp_path, monkeypatch):
    """A PATH directory for small stand-in programs."""
    monkeypatch.setenv('PATH', '%s:%s' % (tmp_path, os.environ.get('PATH', '')))
    return tmp_path


def program(bindir, name, script):
    path = bindir / name
    path.write_text('#!/bin/sh\n' + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_runs_an_argument_list_in_the_c_locale(module, bindir):
    path = program(bindir, 'xl', 'echo "LC_ALL=$LC_ALL LANG=$LANG"; for a in "$@"; do echo "[$a]"; done\n')
    runner = CommandRunner(module, 'xl')
    assert runner.path == path and runner.available
    result = runner.run(['list', '-l', 'a guest; rm -rf /'])
    assert isinstance(result, CommandResult)
    assert result.cmd == [path, 'list', '-l', 'a guest; rm -rf /']
    assert result.rc == 0
    # one argument stays one argument: nothing went through a shell
    assert result.stdout.splitlines() == ['LC_ALL=C LANG=C', '[list]', '[-l]', '[a guest; rm -rf /]']
    assert runner.record == []


def test_stdin_data_and_write_record(module, bindir):
    program(bindir, 'xenstore-write', 'cat\n')
    runner = CommandRunner(module, 'xenstore-write')
    result = runner.run(['/local/domain/0/a b', 'x'], data='from stdin', write=True)
    assert result.stdout == 'from stdin'
    assert runner.record == ["xenstore-write '/local/domain/0/a b' x"]


def test_failure_carries_stderr_and_command(module, bindir):
    program(bindir, 'xl', 'echo "libxl: error: cannot open libxc handle" >&2; exit 3\n')
    runner = CommandRunner(module, 'xl')
    with pytest.raises(XenCommandError) as err:
        runner.run(['info'])
    exc = err.value
    assert exc.rc == 3
    assert exc.msg.endswith('failed (rc=3): libxl: error: cannot open libxc handle')
    kwargs = exc.to_fail_kwargs()
    assert kwargs['msg'] == exc.msg
    assert kwargs['rc'] == 3 and kwargs['stderr'].strip() == 'libxl: error: cannot open libxc handle'
    assert kwargs['cmd'][1:] == ['info']
    # check=False hands back the result instead
    assert runner.run(['info'], check=False).rc == 3
    # other exit statuses can be declared fine
    assert runner.run(['info'], ok_rcs=(0, 3)).rc == 3


def test_missing_binary_names_the_package(module, bindir, monkeypatch):
    monkeypatch.setenv('PATH', str(bindir))
    monkeypatch.setattr(module, 'get_bin_path', lambda name, required=False, opt_dirs=None: None)
    with pytest.raises(XenGuardError) as err:
        CommandRunner(module, 'xenstore-ls')
    assert 'xenstore-ls' in err.value.msg and 'xenstore-utils' in err.value.msg
    assert err.value.to_fail_kwargs()['binary'] == 'xenstore-ls'
    with pytest.raises(XenGuardError, match='xen-utils'):
        CommandRunner(module, 'xl')
    lazy = CommandRunner(module, 'xl', required=False)
    assert not lazy.available
    with pytest.raises(XenGuardError, match='Cannot find the xl command'):
        lazy.run(['info'])
    assert 'install' not in CommandRunner.missing_message('frobnicate')


def test_refuses_a_shell_string(module, bindir):
    program(bindir, 'xl', 'exit 0\n')
    with pytest.raises(XenGuardError, match='list of arguments'):
        CommandRunner(module, 'xl').run('info')


def test_describe_failure_without_output():
    result = CommandResult(['/usr/sbin/xl', 'dmesg'], 1, '', '')
    assert describe_failure(result) == '/usr/sbin/xl dmesg failed (rc=1) without saying why'
    noisy = CommandResult(['xl'], 2, 'only stdout\n', '')
    assert describe_failure(noisy, what='xl thing') == 'xl thing failed (rc=2): only stdout'


# (make mutation MUTATE=runner: each of these was a surviving mutant)

@pytest.mark.parametrize('binary,package', [
    ('xl', 'xen-utils (xen-utils-<version>, installed with xen-system-amd64)'),
    ('xenstore-read', 'xenstore-utils'), ('xenstore-write', 'xenstore-utils'), ('xenstore-rm', 'xenstore-utils'),
    ('xenstore-chmod', 'xenstore-utils'), ('xenstore-ls', 'xenstore-utils'), ('xenstore-exists', 'xenstore-utils'),
    ('xenstore-list', 'xenstore-utils'), ('ip', 'iproute2'),
])
def test_missing_message_names_the_package_of_each_binary(binary, package):
    assert CommandRunner.missing_message(binary) == (
        'Cannot find the %s command on this host; install the package %s (or is this not a Xen dom0?)'
        % (binary, package))


def test_missing_binary_is_looked_up_without_failing_the_module(module, bindir, monkeypatch):
    monkeypatch.setenv('PATH', str(bindir))
    # get_bin_path(required=True) would end the module itself, without the collection's message
    assert CommandRunner(module, 'xl', required=False).path is None
    program(bindir, 'xl', 'exit 0\n')
    with pytest.raises(XenGuardError, match=r'^internal error: CommandRunner\.run\(\) takes a list of arguments$'):
        CommandRunner(module, 'xl').run('info')


def test_command_error_carries_what_it_is_given():
    err = XenCommandError('m')
    assert (err.cmd, err.rc, err.stdout, err.stderr) == (None, None, '', '')
    err = XenCommandError('m', cmd=['xl'], rc=1, stdout='o', stderr='e')
    assert (err.cmd, err.rc, err.stdout, err.stderr) == (['xl'], 1, 'o', 'e')
    assert err.to_fail_kwargs() == {'msg': 'm', 'cmd': ['xl'], 'rc': 1, 'stdout': 'o', 'stderr': 'e'}
    assert repr(CommandResult(['xl'], 0, '', '')).startswith('CommandResult(')


def test_failure_message_joins_lines_and_silent_output_is_empty(module, bindir):
    program(bindir, 'xl', 'echo "line one" >&2; echo "  line two  " >&2; exit 1\n')
    program(bindir, 'ip', 'exit 0\n')
    with pytest.raises(XenCommandError) as err:
        CommandRunner(module, 'xl').run(['info'])
    assert err.value.msg.endswith('failed (rc=1): line one | line two')
    result = CommandRunner(module, 'ip').run(['addr'])
    assert (result.stdout, result.stderr) == ('', '')
