# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the running xenstore daemon enforces (XG-XS-01), by the rules of Xen's source at 4.17 and 4.20.

Command lines are built from what Xen's launch-xenstore.in passes (--pid-file and XENSTORED_ARGS); the
oxenstored configuration is Xen 4.17.5's oxenstored.conf.in as installed (tests/unit/fixtures/xenstored).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import xenstored
from ansible_collections.xenguard.hardening.plugins.module_utils.controls import evaluate
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture

DEFAULT_CONF = fixture('xenstored', 'oxenstored.conf.xen-4.17-default.txt')
C_417 = '/usr/lib/xen-4.17/bin/xenstored'
C_420 = '/usr/lib/xen-4.20/bin/xenstored'
OX_417 = '/usr/lib/xen-4.17/bin/oxenstored'
PIDFILE = ['--pid-file', '/var/run/xen/xenstored.pid']


@pytest.mark.parametrize('exe,comm,expected', [
    (OX_417, 'xenstored', 'oxenstored'),          # a link named xenstored to oxenstored: the binary decides
    (C_420, 'xenstored', 'xenstored'),
    (None, 'oxenstored', 'oxenstored'),           # exe not readable: the process name
    ('/usr/sbin/oxenstored (deleted)', '', 'oxenstored'),  # upgraded under the running daemon
    ('/usr/sbin/xenstored (deleted)', None, 'xenstored'),
    ('/usr/bin/bash', 'bash', None),
    (None, 'xenstore-watch', None),
])
def test_implementation(exe, comm, expected):
    assert xenstored.implementation(exe, comm) == expected


@pytest.mark.parametrize('exe,version,expected', [
    (C_417, '4.20.1', (4, 17)),                   # Debian's path names the toolstack's release
    ('/usr/sbin/xenstored', '4.20.5-pre', (4, 20)),
    ('/usr/sbin/xenstored', (4, 18), (4, 18)),
    ('/usr/sbin/xenstored', None, None),
    (None, 'garbage', None),
])
def test_release_of(exe, version, expected):
    assert xenstored.release_of(exe, version) == expected


# (release, arguments after argv[0], quotas expected, keep_orphans, how many limits are off, unrecognised)
C_CASES = [
    ((4, 17), PIDFILE, {}, False, 0, []),
    ((4, 20), PIDFILE + ['--no-fork'], {}, False, 0, []),
    ((4, 17), ['-K'], {}, True, 0, []),
    ((4, 20), ['--keep-orphans'], {}, True, 0, []),
    ((4, 20), ['--keep'], {}, True, 0, []),                       # getopt_long takes a unique prefix
    ((4, 20), ['-NK'], {}, True, 0, []),                          # bundled short options
    ((4, 20), ['-T', '-K'], {}, False, 0, []),                    # -K is -T's file name here
    ((4, 20), ['--', '-K'], {}, False, 0, []),                    # after -- nothing is an option
    ((4, 17), ['-Q', 'memory=0'], {'memory': 0}, False, 1, []),
    ((4, 20), ['--quota=memory=0'], {'memory': 0}, False, 1, []),
    ((4, 20), ['-Qmemory=0'], {'memory': 0}, False, 1, []),
    ((4, 20), ['-q', 'memory=0'], {'memory-soft': 0, 'memory': 2621440}, False, 0, []),  # soft: a warning only
    ((4, 20), ['--quot=memory=0'], {'memory': 2621440}, False, 0, ['--quot=memory=0']),  # quota or quota-soft?
    ((4, 17), ['-E', '5000', '-W', '512'], {'nodes': 5000, 'watches': 512}, False, 0, []),
    ((4, 17), ['-E', '12abc'], {'nodes': 12}, False, 0, []),      # 4.17 reads it with strtol
    ((4, 20), ['-E', '12abc'], {'nodes': 1000}, False, 0, []),    # 4.20 refuses it (get_optval_uint)
    ((4, 17), ['-Q', 'nodes=5'], {'nodes': 1000}, False, 0, []),  # 4.17's -Q knows three names only
    ((4, 20), ['-Q', 'nodes=5'], {'nodes': 5}, False, 0, []),
    ((4, 17), ['-Q', 'transaction-nodes=9', '-Q', 'outstanding=3'], {'transaction-nodes': 9, 'outstanding': 3},
     False, 0, []),
    ((4, 20), ['-Q', 'watches=7', '-Q', 'transactions=2', '-Q', 'node-permissions=1', '-Q', 'node-size=99'],
     {'watches': 7, 'transactions': 2, 'node-permissions': 1, 'node-size': 99}, False, 0, []),
    ((4, 17), ['-q', 'outstanding=3'], {}, False, 0, []),         # the soft quota is memory only
    ((4, 20), ['-Q', 'memory'], {}, False, 0, []),                # no '=': refused
    ((4, 20), ['-Q', 'memory=-1'], {}, False, 0, []),
    ((4, 20), ['-Q', 'memory=2147483648'], {}, False, 0, []),     # above INT_MAX: refused
    ((4, 20), ['-Q', 'memory=2147483647'], {'memory': 2147483647}, False, 0, []),
    ((4, 20), ['-Q', 'path-max=99999'], {'path-max': 2048}, False, 0, []),
    ((4, 17), ['-M', '99999'], {'path-max': 2048}, False, 0, []),  # capped at XENSTORE_REL_PATH_MAX
    ((4, 17), ['-S', '-1'], {'node-size': -1}, False, 1, []),     # compared as unsigned: no limit
    ((4, 20), ['-I'], {}, False, 0, ['-I']),                     # --internal-db is gone after 4.18
    ((4, 17), ['-I'], {}, False, 0, []),
    ((4, 19), ['-D'], {}, False, 0, ['-D']),                     # 4.19 dropped -D -P -R -V too
    ((4, 17), ['-X'], {}, False, 0, ['-X']),
    ((4, 18), ['-X'], {}, False, 0, ['-X']),
    ((4, 20), ['-X'], {}, False, 0, ['-X']),
    ((4, 20), ['--bogus', '-K'], {}, True, 0, ['--bogus']),      # an unknown option does not stop the others
    ((4, 20), ['-H', '-K'], {}, True, 0, []),
    ((4, 20), ['-Q', 'outstanding=1', '-Q', 'transaction-nodes=2', '-Q', 'path-max=100'],
     {'outstanding': 1, 'transaction-nodes': 2, 'path-max': 100}, False, 0, []),
    ((4, 17), ['--entry-nb', '1', '--entry-size', '2', '--transaction', '3', '--perm-nb', '4', '--path-max', '5',
               '--watch-nb', '6', '--quota', 'memory=7', '--quota-soft', 'memory=8', '--keep-orphans'],
     {'nodes': 1, 'node-size': 2, 'transactions': 3, 'node-permissions': 4, 'path-max': 5, 'watches': 6,
      'memory': 7, 'memory-soft': 8}, True, 0, []),
    ((4, 20), ['--entry-nb', '1', '--entry-size', '2', '--transaction', '3', '--perm-nb', '4', '--path-max', '5',
               '--watch-nb', '6', '--quota', 'memory=7', '--quota-soft', 'memory=8', '--keep-orphans'],
     {'nodes': 1, 'node-size': 2, 'transactions': 3, 'node-permissions': 4, 'path-max': 5, 'watches': 6,
      'memory': 7, 'memory-soft': 8}, True, 0, []),
    ((4, 18), ['-I'], {}, False, 0, ['-I']),                     # 4.18 dropped -I but kept -D -P -R -V
    ((4, 18), ['-DPRV', '-K'], {}, True, 0, []),
    ((4, 18), ['-Q', 'nodes=5'], {'nodes': 5}, False, 0, []),     # 4.18 has every -Q name
    ((4, 17), ['-E', 'abc'], {'nodes': 0}, False, 0, []),         # strtol of no number: 0
    ((4, 20), ['-:'], {}, False, 0, ['-:']),
    ((4, 20), ['--trace-control', '-K'], {}, False, 0, []),       # its switch, not an option
    ((4, 20), ['--trace', 'x'], {}, False, 0, ['--trace']),      # trace-file or trace-control?
    ((4, 17), ['--entry-nb=200', '-t', '3', '-A', '2', '-S4096'],
     {'nodes': 200, 'transactions': 3, 'node-permissions': 2, 'node-size': 4096}, False, 0, []),
    ((4, 20), ['--transaction'], {}, False, 0, ['--transaction']),  # an argument is missing
    ((4, 20), ['--no-fork=yes'], {}, False, 0, ['--no-fork=yes']),
    ((4, 20), ['-Z'], {}, False, 0, ['-Z']),
    ((4, 20), ['-K', '-T'], {}, True, 0, ['-T']),                 # -T needs its file name
    ((4, 20), ['-H'], {}, False, 0, []),                          # H:: takes an optional argument
    ((4, 20), ['-Hx', '-K'], {}, True, 0, []),
]


@pytest.mark.parametrize('release,args,quotas,keep,off,unrecognised', C_CASES,
                         ids=[' '.join(c[1]) or 'none' for c in C_CASES])
def test_c_xenstored_arguments(release, args, quotas, keep, off, unrecognised):
    state = xenstored.c_xenstored_state(args, release)
    expected = dict(xenstored.C_DEFAULTS, **quotas)
    assert state['quotas'] == expected
    assert state['keep_orphans'] is keep
    assert len(state['off']) == off
    assert state['unrecognised'] == unrecognised
    assert bool(state['dangerous']) is keep


def test_defaults_are_xens():
    # C: xenstored_core.c quota_* (4.17) and domain.c hard_quotas[]/soft_quotas[] (4.20) - the same numbers
    assert xenstored.C_DEFAULTS == {
        'nodes': 1000, 'watches': 128, 'transactions': 10, 'outstanding': 20, 'transaction-nodes': 1024,
        'memory': 2621440, 'node-permissions': 5, 'path-max': 2048, 'node-size': 2048, 'memory-soft': 2097152}
    # OCaml: define.ml, quota.ml, perms.ml (path_max = Xenbus.Partial.xenstore_rel_path_max)
    assert xenstored.OCAML_DEFAULTS == {
        'quota-activate': True, 'quota-maxentity': 1000, 'quota-maxsize': 2048, 'quota-maxwatch': 100,
        'quota-transaction': 10, 'quota-maxrequests': 1024, 'quota-maxoutstanding': 1024,
        'quota-maxwatchevents': 1024, 'quota-path-max': 2048, 'perms-activate': True, 'perms-watch-activate': True}
    assert (xenstored.C_XENSTORED, xenstored.OXENSTORED) == ('xenstored', 'oxenstored')
    assert xenstored.OXENSTORED_CONF == '/etc/xen/oxenstored.conf'


def test_c_xenstored_defaults_are_limits():
    state = xenstored.c_xenstored_state([], (4, 20))
    assert state['rules'] == 'C xenstored 4.18 and later' and state['off'] == []
    assert xenstored.c_xenstored_state([], (4, 17))['rules'] == 'C xenstored 4.17'
    assert xenstored.c_xenstored_state(['-Q', 'bogus=1'], (4, 20))['notes'] == [
        '-Q bogus=1 is not a quota this xenstored accepts (it refuses to start)']


# (oxenstored.conf lines appended to Xen's default file, settings expected, off, dangerous, errors)
OCAML_CASES = [
    ('', {}, 0, 0, 0),
    ('quota-activate = false\n', {'quota-activate': False}, 1, 0, 0),
    ('quota-activate=false\n', {'quota-activate': False}, 1, 0, 0),
    ('quota-activate = false # no quotas\n', {}, 0, 0, 1),       # no comments after a value
    ('quota-activate = FALSE\n', {}, 0, 0, 1),                   # bool_of_string: true or false only
    ('# quota-activate = false\n', {}, 0, 0, 0),
    ('  \tquota-activate = false\n', {'quota-activate': False}, 1, 0, 0),
    ('quota-activate = false\nquota-activate = true\n', {}, 0, 0, 0),  # the last line wins
    ('quota-maxwatch = 0\n', {'quota-maxwatch': 0}, 1, 0, 0),
    ('quota-maxwatch = -1\n', {'quota-maxwatch': -1}, 1, 0, 0),
    ('quota-transaction = 0x0\n', {'quota-transaction': 0}, 1, 0, 0),
    ('quota-maxrequests = -1\n', {'quota-maxrequests': -1}, 1, 0, 0),
    ('quota-maxrequests = 0\n', {'quota-maxrequests': 0}, 0, 0, 0),   # 0 requests per transaction: a limit
    ('quota-maxentity = 1_000_000\n', {'quota-maxentity': 1000000}, 0, 0, 0),
    ('quota-maxentity = 0o17\nquota-maxsize = 0b1\n', {'quota-maxentity': 15, 'quota-maxsize': 1}, 0, 0, 0),
    ('quota-maxentity = 0u42\n', {'quota-maxentity': 42}, 0, 0, 0),
    ('quota-maxentity = lots\n', {}, 0, 0, 1),
    ('perms-activate = false\n', {'perms-activate': False}, 0, 1, 0),
    ('perms-watch-activate = false\n', {'perms-watch-activate': False}, 0, 1, 0),
    ('quota-activate\n', {}, 0, 0, 0),                          # no '=': ignored
    ('not-a-limit = 5\n', {}, 0, 0, 0),
]


@pytest.mark.parametrize('extra,settings,off,dangerous,errors', OCAML_CASES,
                         ids=[c[0].strip() or 'default' for c in OCAML_CASES])
def test_oxenstored_configuration(extra, settings, off, dangerous, errors):
    state = xenstored.oxenstored_state(['--no-fork'], DEFAULT_CONF + extra)
    expected = dict(xenstored.OCAML_DEFAULTS, **settings)
    expected['quota-path-max'] = settings.get('quota-path-max', 1024)  # Xen's file sets 1024
    assert state['quotas'] == expected
    assert (len(state['off']), len(state['dangerous']), len(state['notes'])) == (off, dangerous, errors)


def test_oxenstored_without_its_file_uses_xen_defaults():
    settings, errors = xenstored.parse_oxenstored_conf(None)
    assert settings == xenstored.OCAML_DEFAULTS and errors == []
    assert settings['quota-path-max'] == 2048 and settings['quota-maxwatch'] == 100
    # the file as Xen ships it changes only the path length
    shipped, errors = xenstored.parse_oxenstored_conf(DEFAULT_CONF)
    assert errors == [] and dict(shipped, **{'quota-path-max': 2048}) == xenstored.OCAML_DEFAULTS


@pytest.mark.parametrize('args,path', [
    ([], '/etc/xen/oxenstored.conf'),
    (['--config-file', '/srv/xs.conf'], '/srv/xs.conf'),
    (['--config-file=/srv/xs.conf', '--no-fork'], '/srv/xs.conf'),
    (['--config-file'], '/etc/xen/oxenstored.conf'),
])
def test_oxenstored_config_path(args, path):
    assert xenstored.oxenstored_config_path(args) == path


def _host(daemon):
    return {'is_dom0': True, 'version': '4.17.5', 'info': {}, 'cmdline': [], 'xenstored': daemon}


def _xs01(daemon):
    return [r for r in evaluate(_host(daemon)) if r['id'] == 'XG-XS-01'][0]


def conf_reader(files):
    return lambda path: files.get(path, (None, None))


@pytest.mark.parametrize('exe,argv,files,status,words,problem', [
    # Debian 12 runs oxenstored; Xen's file as shipped: quotas on
    (OX_417, ['oxenstored'] + PIDFILE, {'/etc/xen/oxenstored.conf': (DEFAULT_CONF, None)}, 'pass',
     ['oxenstored (pid 612)', 'quota-maxentity = 1000', 'from /etc/xen/oxenstored.conf'], None),
    (OX_417, ['oxenstored'], {}, 'pass', ['does not exist: Xen\'s compiled-in defaults apply'], None),
    (OX_417, ['oxenstored'], {'/etc/xen/oxenstored.conf': (DEFAULT_CONF + 'quota-activate = false\n', None)},
     'fail', ['quota-activate = false switches'], 'xenstored_quota_off'),
    (OX_417, ['oxenstored'], {'/etc/xen/oxenstored.conf': (None, 'cannot read the file')}, 'unknown',
     ['/etc/xen/oxenstored.conf, which could not be read: cannot read the file'], None),
    (OX_417, ['oxenstored', '--config-file', '/srv/xs.conf'],
     {'/srv/xs.conf': ('perms-activate = false\n', None)}, 'fail', ['checks no node permissions'],
     'xenstored_unsafe_option'),
    (C_420, ['xenstored'] + PIDFILE, {}, 'pass',
     ['nodes=1000, watches=128, transactions=10, outstanding=20, memory=2621440, node-size=2048',
      'quotas changed later with xenstore-control are not seen'], None),
    (C_420, ['xenstored'], {}, 'pass', ["(none: Xen's defaults)"], None),
    (C_420, ['xenstored', '-E', '100000'], {}, 'pass', ["raised above Xen's default: nodes=100000 (default 1000)"],
     None),
    (C_417, ['xenstored', '-K'], {}, 'fail', ['-K (--keep-orphans)', 'privileged domain'], 'xenstored_keep_orphans'),
    (C_420, ['xenstored', '--keep-orphans', '-Q', 'memory=0'], {}, 'fail', ['-K (--keep-orphans)', 'memory=0'],
     'xenstored_keep_orphans'),
    (C_420, ['xenstored', '-Q', 'memory=0'], {}, 'fail', ['memory=0 switches the per-domain memory quota off'],
     'xenstored_quota_off'),
    (C_417, ['xenstored', '-Q', 'nodes=1'], {}, 'pass', ['not a quota this xenstored accepts'], None),
])
def test_xenstored_control(exe, argv, files, status, words, problem):
    daemon = xenstored.daemon_facts(612, exe, 'x', argv, '4.17.5', conf_reader(files))
    result = _xs01(daemon)
    assert result['status'] == status, result['detail']
    for word in words:
        assert word in result['detail']
    assert result['problem'] == problem


def test_xenstored_control_without_a_daemon_or_facts():
    result = _xs01(xenstored.not_found('no xenstored or oxenstored process runs in dom0'))
    assert result['status'] == 'unknown' and result['detail'] == 'no xenstored or oxenstored process runs in dom0'
    assert _xs01({'found': False})['detail'] == 'no xenstore daemon was found in dom0'
    result = _xs01(None)
    assert result['status'] == 'unknown' and 'xenstored' in result['detail'] and 'not gathered' in result['detail']


def test_raised_lists_only_numbers_above_the_default():
    state = xenstored.oxenstored_state([], 'quota-maxsize = 4096\nquota-activate = true\nquota-maxwatch = 1\n')
    assert xenstored.raised(state) == ['quota-maxsize=4096 (default 2048)']
    assert xenstored.raised({}) == []


# Every option of C xenstored as Xen's source declares it (struct option options[] and the getopt string):
# (long name, takes an argument: 0 no, 1 yes, 2 only attached with '=', short letter or None)
C_OPTIONS_417 = [
    ('no-domain-init', 0, 'D'), ('entry-nb', 1, 'E'), ('pid-file', 1, 'F'), ('event', 1, None),
    ('master-domid', 1, None), ('help', 0, 'H'), ('no-fork', 0, 'N'), ('priv-domid', 1, None),
    ('output-pid', 0, 'P'), ('entry-size', 1, 'S'), ('trace-file', 1, 'T'), ('transaction', 1, 't'),
    ('perm-nb', 1, 'A'), ('path-max', 1, 'M'), ('quota', 1, 'Q'), ('quota-soft', 1, 'q'), ('timeout', 1, 'w'),
    ('no-recovery', 0, 'R'), ('internal-db', 2, 'I'), ('keep-orphans', 0, 'K'), ('verbose', 0, 'V'),
    ('watch-nb', 1, 'W'), ('live-update', 0, 'U')]
C_OPTIONS_420 = [
    ('entry-nb', 1, 'E'), ('pid-file', 1, 'F'), ('event', 1, None), ('master-domid', 1, None), ('help', 2, 'H'),
    ('no-fork', 0, 'N'), ('priv-domid', 1, None), ('entry-size', 1, 'S'), ('trace-file', 1, 'T'),
    ('trace-control', 1, None), ('transaction', 1, 't'), ('perm-nb', 1, 'A'), ('path-max', 1, 'M'),
    ('quota', 1, 'Q'), ('quota-soft', 1, 'q'), ('timeout', 1, 'w'), ('keep-orphans', 0, 'K'), ('watch-nb', 1, 'W'),
    ('live-update', 0, 'U')]


@pytest.mark.parametrize('release,options', [((4, 17), C_OPTIONS_417), ((4, 20), C_OPTIONS_420)])
def test_every_c_option_is_read_as_xen_declares_it(release, options):
    for name, takes, letter in options:
        if name == 'help':
            takes = 0  # --help has no argument in options[]; 4.20's getopt string gives -H an optional one
        forms = [['--' + name]] + ([['-' + letter]] if letter else [])
        for form in forms:
            state = xenstored.c_xenstored_state(form + ['-K'], release)
            assert state['unrecognised'] == [], (form, state['unrecognised'])
            # an option taking an argument takes the next word, -K; the others leave it an option
            swallowed = takes == 1 and name != 'keep-orphans'
            assert state['keep_orphans'] is (not swallowed), form
    names = set(o[0] for o in options)
    for gone in set(o[0] for o in C_OPTIONS_417 + C_OPTIONS_420) - names:
        assert xenstored.c_xenstored_state(['--' + gone], release)['unrecognised'] == ['--' + gone]


@pytest.mark.parametrize('args,unrecognised', [
    (['--no-domain-init', '--config-file', '/x', '--no-fork', '--reraise-top-level', '--no-access-log',
      '--pid-file', '/p', '-T', '/t', '--restart', '--live', '--config-test', '--disable-socket', '--help'], []),
    (['--config-file=/x', '-K', '--bogus'], ['-K', '--bogus']),  # oxenstored has no -K (it refuses to start)
])
def test_oxenstored_arguments(args, unrecognised):
    assert xenstored.oxenstored_state(args, None)['unrecognised'] == unrecognised
