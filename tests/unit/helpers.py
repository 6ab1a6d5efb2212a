# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the unit tests share: reading the recorded lab output in tests/unit/fixtures, and running a
module's main() the way Ansible runs it.

Tests import it as ansible_collections.xenguard.hardening.tests.unit.helpers, which works both under
plain pytest (with the collection root's parent on PYTHONPATH) and under ansible-test units.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import subprocess
import sys

import pytest

from ansible.module_utils.testing import patch_module_args

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')

# The last line of a recorded command that failed: "(exit N)".
_EXIT_LINE = re.compile(r'^\(exit (\d+)\)\s*\Z', re.M)


def fixture_path(*parts):
    """The path of a fixture, given as 'subdir/name' or as separate parts."""
    return os.path.join(FIXTURES, *parts)


def fixture_bytes(*parts):
    """A fixture's bytes, exactly as recorded."""
    with open(fixture_path(*parts), 'rb') as handle:
        return handle.read()


def fixture(*parts):
    """A fixture's text (the recordings are UTF-8, line ends kept as they are)."""
    return fixture_bytes(*parts).decode('utf-8')


def recorded(*parts):
    """(rc, output) of a recorded command; files of failed commands end with an "(exit N)" line."""
    text = fixture(*parts)
    match = _EXIT_LINE.search(text)
    if match:
        return int(match.group(1)), text[:match.start()]
    return 0, text


def fixture_files(pattern='', subdir=None):
    """'subdir/name' of every fixture whose name matches pattern from its start (re.match), sorted;
    in one subdirectory, or in all of them."""
    found = []
    for sub in [subdir] if subdir else sorted(os.listdir(FIXTURES)):
        for name in sorted(os.listdir(os.path.join(FIXTURES, sub))):
            if re.match(pattern, name):
                found.append(sub + '/' + name)
    return found


def run_module(module, capsys, args, check_mode=False, diff=False, **extra_args):
    """Run module.main() with args (plus any internal _ansible_* ones in extra_args) as its module
    arguments, and return the JSON result it printed. main() ends in exit_json or fail_json, both of
    which exit."""
    args = dict(args or {})
    args.update(extra_args)
    if check_mode:
        args['_ansible_check_mode'] = True
    if diff:
        args['_ansible_diff'] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def put_file(root, rel, text=''):
    """Write text to root/rel, making the directories above it; returns the path."""
    path = os.path.join(str(root), rel)
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, 'w') as handle:
        handle.write(text)
    return path


def tpm_tree(root, name='read-tpm.bookworm-swtpm2.json', bound=True):
    """A dom0 tree under root (sysfs, /proc, /lib/modules, modprobe.d) holding what tpm.read_details read on a
    recorded lab host (fixtures/tpm/<name>); bound=False leaves the chip out of /sys/class/tpm, as when dom0's
    driver does not bind it. Returns the recorded raw output."""
    raw = json.loads(fixture('tpm', name))

    def put(rel, text=''):
        return put_file(root, rel, text)

    os.makedirs(os.path.join(str(root), 'sys', 'class', 'tpm'), exist_ok=True)
    for chip, seen in (raw['chips'].items() if bound else []):
        put('sys/class/tpm/%s/tpm_version_major' % chip, (seen['version_major'] or '') + '\n')
        driver = os.path.join(str(root), 'sys', 'bus', 'platform', 'drivers', seen['driver'])
        os.makedirs(driver, exist_ok=True)
        os.makedirs(os.path.join(str(root), 'sys', 'class', 'tpm', chip, 'device'), exist_ok=True)
        os.symlink(driver, os.path.join(str(root), 'sys', 'class', 'tpm', chip, 'device', 'driver'))
    for table in raw['acpi_tables']:
        put('sys/firmware/acpi/tables/' + table, 'TABLE')
    for dev in raw['acpi_devices']:
        os.makedirs(os.path.join(str(root), 'sys', 'bus', 'acpi', 'devices', dev))
    os.makedirs(os.path.join(str(root), 'sys', 'bus', 'acpi', 'devices', 'LNXSYSTM:00'), exist_ok=True)
    put('proc/modules', ''.join('%s 16384 0 - Live 0x0000000000000000\n' % m for m in raw['modules']))
    put('proc/sys/kernel/osrelease', '6.1.0-50-amd64\n')
    put('lib/modules/6.1.0-50-amd64/modules.builtin',
        'kernel/drivers/net/dummy.ko\n' + ''.join('kernel/drivers/char/tpm/%s.ko\n' % m for m in raw['builtin']))
    put('proc/cmdline', raw['cmdline'])
    for path, lines in raw['modprobe'].items():
        put(path.lstrip('/'), '\n'.join(lines) + '\n')
    return raw


# The directory that holds ansible_collections/ (the collection is run from its own copy there).
COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', '..'))


def run_playbook(tmp_path, *args, **options):
    """ansible-playbook with ARGS, run from TMP_PATH with an Ansible home of its own and this collection (or
    the directory ``collections=`` names); ``timeout=`` seconds (120), and any other option is set in its
    environment (ANSIBLE_FORKS='10'). Returns the finished process: stdout holds stderr too, as text."""
    timeout = options.pop('timeout', 120)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=options.pop('collections', COLLECTIONS),
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='false',
               ANSIBLE_HOME=str(tmp_path / '.ansible'), **options)
    return subprocess.run([sys.executable, '-m', 'ansible.cli.playbook'] + list(args), env=env, cwd=str(tmp_path),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, universal_newlines=True,
                          check=False)
