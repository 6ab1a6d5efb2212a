# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The xenstore module against a xenstore loaded from a recorded dom0 listing.

run_command is answered by a small xenstore that starts as the lab's dom0 with one PV guest
(xenstore-ls -f recorded there) and behaves like the xenstore-* tools: xenstore-ls -fp prints
as xenstore_client.c does, xenstore-write un-quotes its value and creates missing parents,
xenstore-rm removes a subtree, xenstore-chmod sets permissions.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xenguard.hardening.plugins.module_utils.xenstore import (
    parse_xenstore_ls,
    quote_value,
    unquote_value,
)
from ansible_collections.xenguard.hardening.plugins.modules import xenstore as xenstore_module
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, run_module

RECORDED = 'debian12-xen-4.17/xenstore-ls-f.dom0-plus-pv-domu.txt'


class Xenstore(object):
    """The store behind the fake xenstore-* tools."""

    def __init__(self):
        tree = parse_xenstore_ls(fixture(RECORDED))
        self.nodes = {'/': {'value': '', 'perms': ['n0']}}
        for path, node in tree.items():
            owner = path.split('/')[3] if path.startswith('/local/domain/') and path.count('/') >= 3 else '0'
            self.nodes[path] = {'value': node['value'], 'perms': ['n%s' % owner] if owner != '0' else ['n0']}
        self.ran = []

    def children(self, path):
        prefix = '/' if path == '/' else path + '/'
        return sorted(p for p in self.nodes if p.startswith(prefix) and p != path)

    def run_command(self, args, **kwargs):
        assert kwargs['environ_update'] == {'LC_ALL': 'C', 'LANG': 'C'}
        tool, argv = os.path.basename(args[0]), list(args[1:])
        self.ran.append([tool] + argv)
        return getattr(self, tool.replace('-', '_'))(argv)

    def xenstore_ls(self, argv):
        assert argv[:2] == ['-f', '-p']
        path = argv[2]
        if path not in self.nodes:
            return 1, '', 'xenstore-ls: xs_directory (%s): No such file or directory\n' % path
        lines = ['%s = "%s"   (%s)\n' % (p, quote_value(self.nodes[p]['value']), ','.join(self.nodes[p]['perms']))
                 for p in self.children(path)]
        return 0, ''.join(lines), ''

    def xenstore_write(self, argv):
        path, value = argv
        parts = path.strip('/').split('/')
        for i in range(1, len(parts)):
            parent = '/' + '/'.join(parts[:i])
            if parent not in self.nodes:
                grand = '/' + '/'.join(parts[:i - 1]) if i > 1 else '/'
                self.nodes[parent] = {'value': '', 'perms': list(self.nodes[grand]['perms'])}
        if path not in self.nodes:
            parent = '/' + '/'.join(parts[:-1]) if len(parts) > 1 else '/'
            self.nodes[path] = {'value': '', 'perms': list(self.nodes[parent]['perms'])}
        self.nodes[path]['value'] = unquote_value(value)
        return 0, '', ''

    def xenstore_rm(self, argv):
        path = argv[0]
        if path not in self.nodes:
            return 1, '', 'xenstore-rm: could not remove path %s\n' % path
        for p in self.children(path) + [path]:
            del self.nodes[p]
        return 0, '', ''

    def xenstore_chmod(self, argv):
        path, perms = argv[0], argv[1:]
        if path not in self.nodes:
            return 1, '', "xenstore-chmod: Error occurred setting permissions on '%s': No such file or directory\n" % path
        self.nodes[path]['perms'] = perms
        return 0, '', ''


@pytest.fixture
def store(monkeypatch):
    store = Xenstore()
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/usr/bin/' + name)
    monkeypatch.setattr(AnsibleModule, 'run_command', lambda self, *a, **k: store.run_command(*a, **k))
    return store


def run(capsys, args, **kwargs):
    """The xenstore module run once on args (check_mode, diff: as run_module takes them)."""
    return run_module(xenstore_module, capsys, args, **kwargs)


def writes(store):
    return [cmd for cmd in store.ran if cmd[0] != 'xenstore-ls']


def test_read_existing_and_missing(capsys, store):
    result = run(capsys, {'path': '/local/domain/4/name', 'state': 'read'})
    assert result['changed'] is False
    assert (result['exists'], result['value'], result['perms']) == (True, 'test-pv-long', ['n4'])
    assert result['commands'] == []
    missing = run(capsys, {'path': '/local/domain/4/nothing/here', 'state': 'read'})
    assert (missing['exists'], missing['value'], missing['perms']) == (False, None, None)
    assert writes(store) == []


def test_create_with_value_and_perms_then_idempotent(capsys, store):
    args = {'path': '/local/domain/0/data/guest-network', 'value': 'isolated', 'perms': ['n0', 'r4']}
    first = run(capsys, args, diff=True)
    assert first['changed'] is True
    assert first['commands'] == ['xenstore-write /local/domain/0/data/guest-network isolated',
                                 'xenstore-chmod /local/domain/0/data/guest-network n0 r4']
    assert store.nodes['/local/domain/0/data/guest-network'] == {'value': 'isolated', 'perms': ['n0', 'r4']}
    assert (first['exists'], first['value'], first['perms']) == (True, 'isolated', ['n0', 'r4'])
    assert first['diff']['before'] == {'exists': False, 'value': None, 'perms': None}
    assert first['diff']['after'] == {'exists': True, 'value': 'isolated', 'perms': ['n0', 'r4']}
    assert first['diff']['before_header'] == '/local/domain/0/data/guest-network'
    store.ran[:] = []
    second = run(capsys, args, diff=True)
    assert second['changed'] is False and second['commands'] == []
    assert second['diff']['before'] == second['diff']['after']
    assert writes(store) == []


def test_check_mode_changes_nothing(capsys, store):
    before = json.dumps(store.nodes, sort_keys=True)
    result = run(capsys, {'path': '/local/domain/0/data/x', 'value': 'v', 'perms': ['n0']}, check_mode=True,
                 diff=True)
    assert result['changed'] is True and result['commands'] == []
    assert result['diff']['after'] == {'exists': True, 'value': 'v', 'perms': ['n0']}
    removal = run(capsys, {'path': '/local/domain/4/device/vif/0', 'state': 'absent'}, check_mode=True)
    assert removal['changed'] is True and removal['exists'] is False
    value_only = run(capsys, {'path': '/local/domain/4/name', 'value': 'renamed'}, check_mode=True)
    assert value_only['changed'] is True and value_only['value'] == 'renamed' and value_only['perms'] == ['n4']
    assert writes(store) == []
    assert json.dumps(store.nodes, sort_keys=True) == before


def test_change_value_keeps_perms(capsys, store):
    result = run(capsys, {'path': '/local/domain/4/name', 'value': 'renamed'})
    assert result['changed'] is True
    assert result['commands'] == ['xenstore-write /local/domain/4/name renamed']
    assert (result['value'], result['perms']) == ('renamed', ['n4'])
    assert run(capsys, {'path': '/local/domain/4/name', 'value': 'renamed'})['changed'] is False


def test_perms_only(capsys, store):
    result = run(capsys, {'path': '/local/domain/4/device/vif/0/mac', 'perms': ['n4', 'R0']})
    assert result['changed'] is True
    assert result['commands'] == ['xenstore-chmod /local/domain/4/device/vif/0/mac n4 r0']
    assert result['value'] == '00:16:3e:00:00:01' and result['perms'] == ['n4', 'r0']
    assert run(capsys, {'path': '/local/domain/4/device/vif/0/mac', 'perms': ['n4', 'r0']})['changed'] is False
    missing = run(capsys, {'path': '/local/domain/4/device/vif/9', 'perms': ['n0']})
    assert missing['failed'] is True and 'does not exist; give value to create it' in missing['msg']


def test_remove_subtree_then_idempotent(capsys, store):
    result = run(capsys, {'path': '/local/domain/0/backend/vif/4', 'state': 'absent'}, diff=True)
    assert result['changed'] is True
    assert result['commands'] == ['xenstore-rm /local/domain/0/backend/vif/4']
    assert not any(p.startswith('/local/domain/0/backend/vif/4') for p in store.nodes)
    assert result['diff']['before']['exists'] is True and result['diff']['after']['exists'] is False
    again = run(capsys, {'path': '/local/domain/0/backend/vif/4', 'state': 'absent'})
    assert again['changed'] is False and again['commands'] == []


@pytest.mark.parametrize('value', ['a\\b', 'two\nlines\tand tab', '-5', u'caf\u00e9', '', 'say "hi"'],
                         ids=['backslash', 'newline-tab', 'leading-dash', 'utf8', 'empty', 'quotes'])
def test_awkward_values_round_trip(capsys, store, value):
    args = {'path': '/local/domain/0/data/awkward', 'value': value}
    first = run(capsys, args)
    assert first['changed'] is True
    assert store.nodes['/local/domain/0/data/awkward']['value'] == value
    assert first['value'] == value
    assert run(capsys, args)['changed'] is False


@pytest.mark.parametrize('args,message', [
    ({'path': 'local/domain/0/x', 'value': 'v'}, 'not absolute'),
    ({'path': '/local/domain/0/bad name', 'value': 'v'}, 'characters xenstore does not allow'),
    ({'path': '/local/domain/0/x/', 'value': 'v'}, 'ends with /'),
    ({'path': '/local//domain', 'state': 'read'}, 'empty component'),
    ({'path': '/local/domain/0/x', 'value': 5}, 'must be a string, got int'),
    ({'path': '/local/domain/0/x', 'value': True}, 'must be a string, got bool'),
    ({'path': '/local/domain/0/x', 'value': ['a']}, 'must be a string, got list'),
    ({'path': '/local/domain/0/x', 'perms': ['x0']}, 'is not one of'),
    ({'path': '/local/domain/0/x', 'state': 'absent', 'value': 'v'}, 'only used with state=present'),
    ({'path': '/local/domain/0/x'}, 'needs value, perms or both'),
    ({'path': '/', 'state': 'absent'}, 'root / cannot be'),
    ({'path': '@releaseDomain', 'perms': ['n0']}, 'not absolute'),
], ids=['relative', 'space', 'trailing-slash', 'double-slash', 'int-value', 'bool-value', 'list-value',
        'bad-perm', 'value-with-absent', 'nothing-to-do', 'root', 'special-node'])
def test_bad_input_fails_before_anything_runs(capsys, store, args, message):
    result = run(capsys, args)
    assert result['failed'] is True
    assert message in result['msg']
    assert store.ran == []


def test_tool_failure_is_reported(capsys, store, monkeypatch):
    monkeypatch.setattr(store, 'xenstore_ls', lambda argv: (1, '', 'xenstore-ls: xs_domain_open: Permission denied\n'))
    result = run(capsys, {'path': '/local/domain/0/name', 'state': 'read'})
    assert result['failed'] is True
    assert 'Permission denied' in result['msg'] and result['rc'] == 1


@pytest.mark.parametrize('path,why', [
    ('/local/domain/0', 'it is the home of domain 0: removing it takes everything the domain has in xenstore'),
    ('/local/domain/4', 'it is the home of domain 4'),
    ('/local/domain/0/backend', 'it is part of the structure of domain 0 (backend holds a whole subtree'),
    ('/local/domain/4/device', 'it is part of the structure of domain 4 (device holds a whole subtree'),
    ('/local/domain', 'it is a node directly below /local, part of the structure the toolstack keeps'),
    ('/local', 'it is the top-level node /local the toolstack keeps its state in'),
    ('/vm', 'it is the top-level node /vm'),
    ('/tool', 'it is the top-level node /tool'),
    ('/libxl', 'it is the top-level node /libxl'),
    ('/libxl/4', 'it is a node directly below /libxl'),
    ('/vm/00000000-0000-0000-0000-000000000000', 'it is a node directly below /vm'),
    ('/tool/xenstored', 'it is a node directly below /tool'),
])
def test_removing_the_structure_is_refused(capsys, store, path, why):
    before = json.dumps(store.nodes, sort_keys=True)
    result = run(capsys, {'path': path, 'state': 'absent'})
    assert result['failed'] is True
    assert result['msg'].startswith('refusing to remove %s: %s' % (path, why))
    assert result['msg'].endswith('Remove the keys below it that you mean instead (for example %s/<key>); '
                                  'nothing was changed' % path)
    assert store.ran == []
    assert json.dumps(store.nodes, sort_keys=True) == before


def test_removing_deeper_keys_is_allowed(capsys, store):
    assert '/local/domain/0/backend/vif/4' in store.nodes
    result = run(capsys, {'path': '/local/domain/0/backend/vif', 'state': 'absent'})
    assert result['changed'] is True and result['exists'] is False
    assert not any(p.startswith('/local/domain/0/backend/vif') for p in store.nodes)
    assert '/local/domain/0/name' in store.nodes


def test_duplicate_permission_entries_are_refused(capsys, store):
    for perms, named in ((['n0', 'r4', 'r4'], 'r4 and r4'), (['n0', 'r4', 'W4'], 'r4 and W4')):
        result = run(capsys, {'path': '/local/domain/0/name', 'perms': perms})
        assert result['failed'] is True
        assert result['msg'] == 'xenstore permissions name domain 4 twice (%s): give each domain once' % named
    assert store.ran == []


def test_reading_the_root_is_refused_up_front(capsys, store):
    result = run(capsys, {'path': '/', 'state': 'read'})
    assert result['failed'] is True
    assert result['msg'] == ('reading the xenstore root / is not supported: its permissions cannot be read '
                             '(xenstore-ls lists the nodes below a path, not the path itself); read a key below '
                             'it, for example /local/domain/0')
    assert store.ran == []
