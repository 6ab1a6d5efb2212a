# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""xenstore checks, the xenstore-ls parser, backends and the client, on recorded output."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import xenstore as xs
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import (
    XenCommandError,
    XenGuardError,
)
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, fixture_files


def with_perms(text, perms='n0'):
    """The recorded `xenstore-ls -f` text as `-fp` prints it: three spaces and (perms) after each
    value (xenstore_client.c do_ls with show_whole_path)."""
    return ''.join('%s   (%s)\n' % (line, perms) for line in text.splitlines() if line)


# ----------------------------------------------------------------------------- xenstore-ls

XENSTORE_LS = {
    'debian12-xen-4.17/xenstore-ls-f.dom0-only.txt': (19, {'vif': [], 'vbd': [], 'vtpm': []}),
    'debian12-xen-4.17/xenstore-ls-f.dom0-plus-pv-domu.txt': (197, {
        'vif': [{'frontend_domid': 4, 'devid': 0, 'backend_domid': 0, 'state': 2, 'type': 'vif',
                 'path': '/local/domain/0/backend/vif/4/0'}],
        'vbd': [{'frontend_domid': 4, 'devid': 51712, 'backend_domid': 0, 'state': 2, 'type': 'vbd',
                 'path': '/local/domain/0/backend/vbd/4/51712'}],
        'vtpm': []}),
}


def test_every_xenstore_ls_fixture_has_an_expectation():
    assert sorted(XENSTORE_LS) == fixture_files(r'xenstore-ls')


@pytest.mark.parametrize('name', sorted(XENSTORE_LS), ids=sorted(XENSTORE_LS))
def test_parse_xenstore_ls_recorded(name):
    count, expected_backends = XENSTORE_LS[name]
    tree = xs.parse_xenstore_ls(fixture(name))
    assert len(tree) == count
    assert tree['/local/domain/0/name'] == {'value': 'Domain-0', 'perms': None}
    assert tree['/tool/xenstored']['value'] == '/usr/lib/xen-4.17/bin/oxenstored'
    assert tree['/local']['value'] == ''
    assert tree['/@introduceDomain'] == {'value': '', 'perms': None}
    assert xs.backends(tree) == expected_backends


@pytest.mark.parametrize('name', sorted(XENSTORE_LS), ids=sorted(XENSTORE_LS))
def test_parse_xenstore_ls_with_perms(name):
    plain = xs.parse_xenstore_ls(fixture(name))
    tree = xs.parse_xenstore_ls(with_perms(fixture(name), 'n0,r4'))
    assert sorted(tree) == sorted(plain)
    assert all(node['perms'] == ['n0', 'r4'] for node in tree.values())
    assert all(tree[p]['value'] == plain[p]['value'] for p in plain)


def test_parse_xenstore_ls_values_with_spaces_quotes_and_escapes():
    text = ('/vm/d3cc/image/cmdline = "console=hvc0 rdinit=/bin/busybox -- sleep 1000000"   (n0,r4)\n'
            '/a/quoted = "say "hi" (twice)"   (n0)\n'
            '/a/escaped = "tab\\there\\nnew\\\\back\\x7fdel\\001one\\xc3\\xa9"   (b0)\n'
            '/a/empty = ""   (n4,r0)\n'
            '/a/noperms = "x"\n')
    tree = xs.parse_xenstore_ls(text)
    assert tree['/vm/d3cc/image/cmdline'] == {
        'value': 'console=hvc0 rdinit=/bin/busybox -- sleep 1000000', 'perms': ['n0', 'r4']}
    assert tree['/a/quoted'] == {'value': 'say "hi" (twice)', 'perms': ['n0']}
    assert tree['/a/escaped']['value'] == u'tab\there\nnew\\back\x7fdel\x01one\u00e9'
    assert tree['/a/empty'] == {'value': '', 'perms': ['n4', 'r0']}
    assert tree['/a/noperms'] == {'value': 'x', 'perms': None}


def test_parse_xenstore_ls_unreadable_nodes():
    text = ('/local/domain/2/foo/three:\n\n'
            '/local/domain/2/foo/four: (Permission denied)  (n0,r2)\n'
            '/local/domain/2/foo/five:   (n0)\n')
    tree = xs.parse_xenstore_ls(text)
    assert tree['/local/domain/2/foo/three'] == {'value': None, 'perms': None}
    assert tree['/local/domain/2/foo/four'] == {'value': None, 'perms': ['n0', 'r2']}
    assert tree['/local/domain/2/foo/five'] == {'value': None, 'perms': ['n0']}


def test_parse_xenstore_ls_needs_full_paths():
    # plain `xenstore-ls` (no -f) indents names and truncates long values
    with pytest.raises(XenGuardError, match='line 2 .*-f'):
        xs.parse_xenstore_ls('local = ""\n domain = ""\n'.replace('local', '/local'))
    assert xs.parse_xenstore_ls('') == {}


def test_backends_of_a_driver_domain_and_other_kinds():
    tree = xs.parse_xenstore_ls(with_perms(fixture('debian12-xen-4.17/xenstore-ls-f.dom0-plus-pv-domu.txt')))
    tree.update(xs.parse_xenstore_ls(
        '/local/domain/7/backend/vif/9/1 = ""   (n7,r9)\n'
        '/local/domain/7/backend/vif/9/1/state = "4"   (n7,r9)\n'
        '/local/domain/0/backend/qdisk/9/768 = ""   (n0,r9)\n'
        '/local/domain/0/backend/vtpm/9/0 = ""   (n0,r9)\n'
        '/local/domain/0/backend/vtpm/9/0/state = "garbage"   (n0,r9)\n'
        '/local/domain/0/backend/console/9/0 = ""   (n0,r9)\n'))
    found = xs.backends(tree)
    assert [(b['frontend_domid'], b['devid'], b['backend_domid'], b['state']) for b in found['vif']] == [
        (4, 0, 0, 2), (9, 1, 7, 4)]
    assert [(b['type'], b['frontend_domid'], b['state']) for b in found['vbd']] == [
        ('vbd', 4, 2), ('qdisk', 9, None)]
    assert found['vtpm'] == [{'frontend_domid': 9, 'devid': 0, 'backend_domid': 0, 'state': None,
                              'type': 'vtpm', 'path': '/local/domain/0/backend/vtpm/9/0'}]


# ----------------------------------------------------------------------------- quoting

@pytest.mark.parametrize('value,quoted', [
    ('plain value', 'plain value'),
    ('back\\slash', 'back\\\\slash'),
    ('tab\tnl\ncr\r', 'tab\\tnl\\ncr\\r'),
    ('\x01\x07\x08\x1f', '\\001\\007\\x08\\x1f'),
    (u'caf\u00e9', 'caf\\xc3\\xa9'),
    ('-1', '\\x2d1'),
    ('', ''),
], ids=['plain', 'backslash', 'whitespace', 'control', 'utf8', 'leading-dash', 'empty'])
def test_quote_value_and_back(value, quoted):
    assert xs.quote_value(value) == quoted
    assert xs.unquote_value(quoted) == value


def test_unquote_value_odd_escapes():
    assert xs.unquote_value('a\\qb') == 'aqb'          # unknown escape: the character itself
    assert xs.unquote_value('x\\xzz') == 'xxzz'        # \x without hex digits
    assert xs.unquote_value('end\\') == 'end\\'        # a lone trailing backslash stays
    assert xs.unquote_value('\\101\\7') == 'A\x07'     # up to three octal digits


# ----------------------------------------------------------------------------- input checks

@pytest.mark.parametrize('path', [
    '/', '/local/domain/0/name', '/local/domain/4/device/vif/0/backend-id', '/vm/d3cc53a7-2cee-414c',
    '/tool/xenstored', '/a_b/@c',
], ids=['root', 'name', 'dash', 'uuid', 'tool', 'underscore-at'])
def test_validate_path_accepts(path):
    assert xs.validate_path(path) == path


@pytest.mark.parametrize('path,message', [
    ('local/domain/0', 'not absolute'),
    ('/local/domain/0/na me', "characters xenstore does not allow: ' '"),
    ('/local/domain/0/a.b', "'.'"),
    ('/local/domain/*', "'\\*'"),
    ('/local//domain', r'empty component \(//\)'),
    ('/local/domain/', 'ends with /'),
    ('/' + 'a' * 3072, 'at most 3072'),
    ('/' + 'a' * 2048, 'at most 2048'),
    ('@introduceDomain', 'not absolute'),
    ('', 'not absolute'),
], ids=['relative', 'space', 'dot', 'star', 'double-slash', 'trailing-slash', 'too-long-abs',
        'too-long-rel', 'special-not-allowed', 'empty'])
def test_validate_path_rejects(path, message):
    with pytest.raises(XenGuardError, match=message):
        xs.validate_path(path)


def test_validate_path_domain_home_and_specials():
    long_below_home = '/local/domain/12/' + 'a' * 2048
    assert xs.validate_path(long_below_home) == long_below_home
    assert xs.validate_path('@releaseDomain', allow_special=True) == '@releaseDomain'
    with pytest.raises(XenGuardError, match='not absolute'):
        xs.validate_path('@someOtherWatch', allow_special=True)
    with pytest.raises(XenGuardError, match='must be a string, got int'):
        xs.validate_path(42)


@pytest.mark.parametrize('value', [1, True, None, 1.5, ['a'], {'a': 1}],
                         ids=['int', 'bool', 'none', 'float', 'list', 'dict'])
def test_validate_value_rejects_non_strings(value):
    with pytest.raises(XenGuardError, match='must be a string.*quote it'):
        xs.validate_value(value)


def test_validate_value_and_perms_accept():
    assert xs.validate_value('') == ''
    assert xs.validate_perms(['n0', 'R4', ' b7 ']) == ['n0', 'r4', 'b7']


@pytest.mark.parametrize('perms,message', [
    ([], 'non-empty list'),
    ('n0', 'non-empty list'),
    (['x0'], "'x0' is not one of"),
    (['r'], "'r' is not one of"),
    (['r70000'], 'is not one of'),
    ([0], 'must be a string'),
    (['n0'] * 17, 'at most 16'),
], ids=['empty', 'string', 'letter', 'no-domid', 'domid-too-big', 'int', 'too-many'])
def test_validate_perms_rejects(perms, message):
    with pytest.raises(XenGuardError, match=message):
        xs.validate_perms(perms)


def test_parent_of():
    assert xs.parent_of('/local/domain/0') == '/local/domain'
    assert xs.parent_of('/tool') == '/'
    assert xs.parent_of('/') is None


# ----------------------------------------------------------------------------- the client

class FakeModule(object):
    """Answers xenstore-* commands from a table; records what ran."""

    def __init__(self, answers, binaries=None):
        self.answers = answers
        self.binaries = binaries
        self.ran = []

    def get_bin_path(self, name, required=False, opt_dirs=None):
        if self.binaries is not None and name not in self.binaries:
            return None
        return '/usr/bin/' + name

    def run_command(self, args, **kwargs):
        assert kwargs['environ_update'] == {'LC_ALL': 'C', 'LANG': 'C'}
        key = (os.path.basename(args[0]),) + tuple(args[1:])
        self.ran.append(key)
        return self.answers[key]


DOMU_LS = fixture('debian12-xen-4.17/xenstore-ls-f.dom0-plus-pv-domu.txt')


def subtree(text, parent):
    prefix = parent.rstrip('/') + '/'
    return ''.join(line + '\n' for line in text.splitlines() if line.startswith(prefix))


def test_client_reads():
    module = FakeModule({
        ('xenstore-read', '/local/domain/4/name'): (0, 'test-pv-long\n', ''),
        ('xenstore-read', '/local/domain/4/odd'): (0, 'a\\\\b\\n\n', ''),
        ('xenstore-read', '/local/domain/4/nope'): (1, '', "xenstore-read: couldn't read path /local/domain/4/nope\n"),
        ('xenstore-read', '/local/domain/4/broken'): (1, '', 'xenstore-read: xs_domain_open: Permission denied\n'),
        ('xenstore-exists', '/local/domain/4'): (0, '', ''),
        ('xenstore-exists', '/local/domain/5'): (1, '', ''),
        ('xenstore-ls', '-f', '-p', '/local/domain'): (0, with_perms(subtree(DOMU_LS, '/local/domain')), ''),
    })
    client = xs.XenstoreClient(module)
    assert client.read('/local/domain/4/name') == 'test-pv-long'
    assert client.read('/local/domain/4/odd') == 'a\\b\n'
    assert client.read('/local/domain/4/nope') is None
    with pytest.raises(XenCommandError, match='Permission denied'):
        client.read('/local/domain/4/broken')
    assert client.exists('/local/domain/4') is True
    assert client.exists('/local/domain/5') is False
    tree = client.ls('/local/domain')
    assert tree['/local/domain/4/vm']['value'] == '/vm/d3cc53a7-2cee-414c-b423-c2f68c15cc54'
    assert len(xs.backends(tree)['vif']) == 1
    assert client.record == []


def test_client_stat():
    module = FakeModule({
        ('xenstore-ls', '-f', '-p', '/local/domain/4/device/vif/0'): (
            0, with_perms(subtree(DOMU_LS, '/local/domain/4/device/vif/0'), 'n4,r0'), ''),
        ('xenstore-ls', '-f', '-p', '/local/domain/9'): (
            1, '', 'xenstore-ls: xs_directory (/local/domain/9): No such file or directory\n'),
        ('xenstore-ls', '-f', '-p', '/local/domain/0'): (
            1, '', 'xenstore-ls: xs_directory (/local/domain/0): Permission denied\n'),
    })
    client = xs.XenstoreClient(module)
    assert client.stat('/local/domain/4/device/vif/0/mac') == {
        'exists': True, 'value': '00:16:3e:00:00:01', 'perms': ['n4', 'r0']}
    assert client.stat('/local/domain/4/device/vif/0/nope') == {'exists': False, 'value': None, 'perms': None}
    assert client.stat('/local/domain/9/x') == {'exists': False, 'value': None, 'perms': None}
    with pytest.raises(XenCommandError, match='Permission denied'):
        client.stat('/local/domain/0/x')
    with pytest.raises(XenGuardError, match='root'):
        client.stat('/')


def test_client_writes_are_quoted_and_recorded():
    module = FakeModule({
        ('xenstore-write', '/local/domain/0/data/x', 'two words\\n'): (0, '', ''),
        ('xenstore-write', '/local/domain/0/data/n', '\\x2d5'): (0, '', ''),
        ('xenstore-chmod', '/local/domain/0/data/x', 'n0', 'r4'): (0, '', ''),
        ('xenstore-chmod', '@releaseDomain', 'n0', 'r7'): (0, '', ''),
        ('xenstore-rm', '/local/domain/0/data/x'): (0, '', ''),
        ('xenstore-rm', '/local/domain/0/data/gone'): (1, '', 'xenstore-rm: could not remove path /local/domain/0/data/gone\n'),
    })
    client = xs.XenstoreClient(module)
    client.write('/local/domain/0/data/x', 'two words\n')
    client.write('/local/domain/0/data/n', '-5')
    client.chmod('/local/domain/0/data/x', ['n0', 'R4'])
    client.chmod('@releaseDomain', ['n0', 'r7'])
    client.rm('/local/domain/0/data/x')
    assert client.record == [
        "xenstore-write /local/domain/0/data/x 'two words\\n'",
        "xenstore-write /local/domain/0/data/n '\\x2d5'",
        'xenstore-chmod /local/domain/0/data/x n0 r4',
        'xenstore-chmod @releaseDomain n0 r7',
        'xenstore-rm /local/domain/0/data/x',
    ]
    with pytest.raises(XenCommandError, match='could not remove path'):
        client.rm('/local/domain/0/data/gone')
    # bad input never reaches a command
    ran = len(module.ran)
    with pytest.raises(XenGuardError, match='must be a string'):
        client.write('/local/domain/0/data/x', 5)
    with pytest.raises(XenGuardError, match='not absolute'):
        client.rm('local')
    with pytest.raises(XenGuardError, match='not one of'):
        client.chmod('/local/domain/0/data/x', ['q1'])
    assert len(module.ran) == ran


def test_client_missing_tools_name_the_package():
    client = xs.XenstoreClient(FakeModule({}, binaries=()))
    with pytest.raises(XenGuardError, match='xenstore-ls.*install the package xenstore-utils'):
        client.ls('/')


# ----------------------------------------------------------------------------- held by no test before
# (make mutation MUTATE=xenstore: each of these was a surviving mutant)

@pytest.mark.parametrize('path,reason', [
    ('/', 'it is the xenstore root'),
    ('/local/domain/3', 'it is the home of domain 3: removing it takes everything the domain has in xenstore'),
    ('/local/domain/3/device', 'it is part of the structure of domain 3 (device holds a whole subtree the '
                               'toolstack and the drivers use)'),
    ('/local', 'it is the top-level node /local the toolstack keeps its state in'),
    ('/vm', 'it is the top-level node /vm the toolstack keeps its state in'),
    ('/tool', 'it is the top-level node /tool the toolstack keeps its state in'),
    ('/libxl', 'it is the top-level node /libxl the toolstack keeps its state in'),
    ('/local/domain', 'it is a node directly below /local, part of the structure the toolstack keeps'),
    ('/vm/d3cc53a7-2cee-414c-b423-c2f68c15cc54',
     'it is a node directly below /vm, part of the structure the toolstack keeps'),
    ('/libxl/4', 'it is a node directly below /libxl, part of the structure the toolstack keeps'),
    ('/tool/xenstored', 'it is a node directly below /tool, part of the structure the toolstack keeps'),
])
def test_removal_refused_names_why(path, reason):
    assert xs.removal_refused(path) == reason


@pytest.mark.parametrize('path', [
    '/local/domain/3/data/mykey',  # deeper keys of a domain may go
    '/vm/d3cc53a7-2cee-414c-b423-c2f68c15cc54/image',
    '/libxl/4/dm-version',
    '/localx', '/vmstate/x',  # names that only start like a structure root
    '/mine',
])
def test_removal_allowed_below_the_structure(path):
    assert xs.removal_refused(path) is None


def test_validate_path_messages_and_limits():
    with pytest.raises(XenGuardError, match="^xenstore path must be a string, got int$"):
        xs.validate_path(1)
    with pytest.raises(XenGuardError, match=r"^xenstore path 'local' is not absolute: it must start with /$"):
        xs.validate_path('local')
    with pytest.raises(XenGuardError) as err:
        xs.validate_path('/a b.c')
    assert err.value.msg == ("xenstore path '/a b.c' has characters xenstore does not allow: ' ' '.' "
                             "(only letters, digits and - / _ @)")
    with pytest.raises(XenGuardError, match=r"^xenstore path '/a//b' has an empty component \(//\)$"):
        xs.validate_path('/a//b')
    with pytest.raises(XenGuardError, match="^xenstore path '/a/' ends with /$"):
        xs.validate_path('/a/')
    # XENSTORE_ABS_PATH_MAX is allowed by the absolute limit (the relative one is what stops it)
    longest = '/' + 'a' * (xs.ABS_PATH_MAX - 1)
    with pytest.raises(XenGuardError, match=r'^xenstore path is 3072 characters long \(below the domain home\)'):
        xs.validate_path(longest)
    with pytest.raises(XenGuardError, match='^xenstore path is 3073 characters long; xenstore allows at most 3072$'):
        xs.validate_path(longest + 'a')
    assert xs.validate_path('/x' + 'a' * 2046) is not None  # XENSTORE_REL_PATH_MAX itself
    with pytest.raises(XenGuardError, match=r'^xenstore path is 2049 characters long \(below the domain home\); '
                                            'xenstore allows at most 2048$'):
        xs.validate_path('/x' + 'a' * 2047)
    # the special watch nodes only when allowed, each of them
    for node in ('@introduceDomain', '@releaseDomain'):
        assert xs.validate_path(node, allow_special=True) == node
    with pytest.raises(XenGuardError, match=r"^xenstore value must be a string, got int 1: quote it in YAML$"):
        xs.validate_value(1)


def test_validate_perms_limits_and_messages():
    most = ['n0'] + ['r%d' % d for d in range(1, xs.MAX_PERMS)]
    assert xs.validate_perms(most) == most  # MAX_PERMS entries are allowed
    with pytest.raises(XenGuardError, match='^xenstore-chmod takes at most 16 permissions, got 17$'):
        xs.validate_perms(most + ['r99'])
    assert xs.validate_perms(['n0', 'r65535']) == ['n0', 'r65535']  # the highest domid
    with pytest.raises(XenGuardError, match="^xenstore permission 'r65536' is not one of n<domid>, r<domid>, "
                                            "w<domid>, b<domid>$"):
        xs.validate_perms(['n0', 'r65536'])
    with pytest.raises(XenGuardError, match=r'^xenstore permission 1 must be a string like "r1"$'):
        xs.validate_perms(['n0', 1])
    with pytest.raises(XenGuardError, match=r'^xenstore perms must be a non-empty list like \["n0", "r1"\]$'):
        xs.validate_perms([])
    # the owner entry may name a domain the later entries name too; a later one twice is refused
    assert xs.validate_perms(['n1', 'r1', 'w2']) == ['n1', 'r1', 'w2']
    with pytest.raises(XenGuardError, match=r'^xenstore permissions name domain 2 twice \(r2 and W2\): give each '
                                            'domain once$'):
        xs.validate_perms(['n0', 'r1', 'r2', 'W2'])


def test_quoting_edges():
    # '~' (0x7e) is printable, DEL (0x7f) is not
    assert xs.quote_value('~') == '~'
    assert xs.quote_value('\x7f') == '\\x7f'
    assert xs.unquote_value('a\\\\b') == 'a\\b'
    # \x takes at most two hex digits, an octal escape at most three digits
    assert xs.unquote_value('\\x414') == 'A4'
    assert xs.unquote_value('\\1014') == 'A4'
    assert xs.unquote_value('\\08') == '\x008'
