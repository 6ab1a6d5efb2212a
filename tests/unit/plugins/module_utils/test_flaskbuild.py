# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FLASK build: Kconfig, key, cache and the error paths, with a fake chroot runner.

The fake runner plays debootstrap, apt-get and make: it creates the files they would create in the
chroot directory, and answers with recorded real output where the path depends on it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import time

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import flaskbuild
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import XenGuardError
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture

DEBIAN_CONFIG = fixture('debian12-xen-4.17', 'xen-4.17-amd64.config.debian.txt')
VERSION = '4.17.5+72-g01140da4e8-1'
SECURITY = '4.17.7+13-g2445b30a44-0+deb12u1'
# What apt-get source said on a bookworm chroot for a version whose source the mirror does not serve.
NOT_SERVED = "Reading package lists...\nE: Can not find version '%s' of package 'xen'\n" \
             "E: Unable to find a source package for xen=%s\n" % (SECURITY, SECURITY)
# The end of a failing hypervisor build (what the compiler prints).
MAKE_FAILED = ("  CC      common/sched/core.o\n"
               "common/sched/core.c:42:1: error: unknown type name 'bogus_t'\n"
               "   42 | bogus_t x;\n"
               "make[3]: *** [Rules.mk:246: common/sched/core.o] Error 1\n"
               "make: *** [Makefile:600: xen] Error 2\n")


class FakeChroot(object):
    """Plays the build commands; records them; fails where told."""

    def __init__(self, chroot, served=(VERSION,), make_fails=False, listed=None):
        self.chroot = chroot
        self.served = served
        self.make_fails = make_fails
        self.listed = listed if listed is not None else served
        self.calls = []
        self.fetched = []

    def tree(self, version):
        upstream = version.rsplit('-', 1)[0]
        return os.path.join(self.chroot, 'build', 'xen-%s' % version, 'xen-%s' % upstream)

    def __call__(self, cmd, cwd=None):
        self.calls.append(cmd)
        if cmd[0] == 'debootstrap':
            target = cmd[-2]
            os.makedirs(os.path.join(target, 'etc', 'apt'))
            return 0, 'I: Base system installed successfully.\n'
        script = cmd[-1]
        if script.startswith('rm -rf /build/xen-'):
            shutil.rmtree(os.path.join(self.chroot, script.split()[2].lstrip('/')), ignore_errors=True)
            return 0, ''
        if script.startswith('cd /build/xen-') and 'apt-get source' in script:
            want = script.rsplit('xen=', 1)[1]
            self.fetched.append(want)
            if want not in self.served:
                return 100, NOT_SERVED
            # the source of the served version lands in the work directory of the asked one
            work = script.split()[1]
            tree = os.path.join(self.chroot, work.lstrip('/'), 'xen-%s' % want.rsplit('-', 1)[0], 'xen')
            os.makedirs(tree, exist_ok=True)
            return 0, ''
        if 'for d in xen-*/' in script:
            work = os.path.join(self.chroot, script.split()[1].lstrip('/'))
            return 0, '\n'.join(n + '/' for n in sorted(os.listdir(work))) + '\n'
        if 'apt-cache showsrc' in script:
            return 0, '\n'.join(self.listed) + '\n'
        if 'olddefconfig' in script:
            return 0, ''
        if script.endswith('-j2') or ' -j' in script:
            if self.make_fails:
                return 2, MAKE_FAILED
            tree = os.path.join(self.chroot, script.split()[1].lstrip('/'), 'xen')
            with open(os.path.join(tree, 'xen.gz'), 'wb') as handle:
                handle.write(b'\x1f\x8b fake hypervisor of ' + script.encode())
            return 0, ''
        if 'tools/flask/policy' in script:
            os.makedirs(os.path.join(self.chroot, 'build', 'policy'), exist_ok=True)
            with open(os.path.join(self.chroot, 'build', 'policy', 'xenpolicy-4.17.5'), 'wb') as handle:
                handle.write(b'\x8c\xff\x7c\xf9 fake policy')
            return 0, ''
        return 0, ''


@pytest.fixture
def cache(tmp_path):
    return str(tmp_path / 'cache')


def _build(cache, fake, version=VERSION, **kwargs):
    return flaskbuild.build(cache, 'bookworm', version, DEBIAN_CONFIG, 'http://deb.example.org/debian',
                            'http://deb.example.org/debian-security', jobs=2, run=fake, **kwargs)


def test_xsm_config_turns_debians_config_into_an_xsm_one():
    assert '# CONFIG_XSM is not set' in DEBIAN_CONFIG.splitlines()
    lines = flaskbuild.xsm_config(DEBIAN_CONFIG).splitlines()
    assert '# CONFIG_XSM is not set' not in lines
    for wanted in ('CONFIG_XSM=y', 'CONFIG_XSM_FLASK=y', 'CONFIG_XSM_SILO=y', '# CONFIG_XSM_FLASK_POLICY is not set'):
        assert lines.count(wanted) == 1
    # everything else of the distribution's config is kept, in order
    kept = [line for line in DEBIAN_CONFIG.splitlines() if 'CONFIG_XSM' not in line]
    assert [line for line in lines if 'CONFIG_XSM' not in line] == kept
    # and it is stable: applying it twice changes nothing
    assert flaskbuild.xsm_config('\n'.join(lines)) == '\n'.join(lines) + '\n'


def test_the_key_follows_what_makes_the_bytes_differ():
    config = flaskbuild.xsm_config(DEBIAN_CONFIG)
    key = flaskbuild.build_key('bookworm', VERSION, config)
    assert key.startswith('bookworm-4.17.5+72-g01140da4e8-1-')
    assert key == flaskbuild.build_key('bookworm', VERSION, config)
    assert key != flaskbuild.build_key('bookworm', SECURITY, config)
    assert key != flaskbuild.build_key('bookworm', VERSION, config + 'CONFIG_NR_CPUS=64\n')
    assert key != flaskbuild.build_key('bookworm', VERSION, config, ['--- a/x\n+++ b/x\n'])


def test_a_cold_build_then_nothing_is_compiled_again(cache):
    fake = FakeChroot(os.path.join(cache, 'chroot-bookworm-amd64'))
    first = _build(cache, fake)
    assert first['built'] is True
    steps = [s['step'] for s in first['steps']]
    assert steps[0].startswith('debootstrap bookworm') and steps[-2:] == ['store artifacts', 'remove the build tree']
    assert any(s.startswith('make -C xen -j2') for s in steps)
    assert all(isinstance(s['seconds'], float) for s in first['steps'])
    manifest = first['manifest']
    assert manifest['source_version'] == VERSION
    assert sorted(manifest['sha256']) == sorted([flaskbuild.HYPERVISOR, flaskbuild.POLICY, flaskbuild.CONFIG])
    with open(os.path.join(first['dir'], flaskbuild.CONFIG)) as handle:
        assert 'CONFIG_XSM=y' in handle.read().splitlines()
    # the deb-src entries of the chroot: main suite, updates and security
    with open(os.path.join(cache, 'chroot-bookworm-amd64', 'etc', 'apt', 'sources.list')) as handle:
        sources = handle.read()
    assert 'deb-src http://deb.example.org/debian bookworm main' in sources
    assert 'deb-src http://deb.example.org/debian-security bookworm-security main' in sources
    # the log says what ran and for how long
    with open(os.path.join(cache, 'build.log')) as handle:
        log = handle.read()
    assert 'make -C xen -j2 (hypervisor with XSM) done in' in log
    calls = len(fake.calls)
    second = _build(cache, fake)
    assert (second['built'], second['key'], second['steps']) == (False, first['key'], [])
    assert len(fake.calls) == calls  # nothing ran at all


def test_a_second_key_reuses_the_chroot(cache):
    fake = FakeChroot(os.path.join(cache, 'chroot-bookworm-amd64'))
    _build(cache, fake)
    fake.calls = []
    other = flaskbuild.build(cache, 'bookworm', VERSION, DEBIAN_CONFIG + 'CONFIG_NR_CPUS=64\n',
                             'http://deb.example.org/debian', None, jobs=2, run=fake)
    assert other['built'] is True
    assert not [c for c in fake.calls if c[0] == 'debootstrap']


def test_changed_bytes_are_not_trusted(cache):
    fake = FakeChroot(os.path.join(cache, 'chroot-bookworm-amd64'))
    first = _build(cache, fake)
    with open(os.path.join(first['dir'], flaskbuild.HYPERVISOR), 'ab') as handle:
        handle.write(b'tampered')
    assert flaskbuild.read_manifest(first['dir']) is None
    again = _build(cache, fake)
    assert again['built'] is True
    assert flaskbuild.read_manifest(again['dir'])['sha256'] == first['manifest']['sha256']


def test_source_not_served_falls_back_to_the_branchs_served_version_with_a_warning(cache):
    fake = FakeChroot(os.path.join(cache, 'chroot-bookworm-amd64'), served=(VERSION,))
    result = _build(cache, fake, version=SECURITY)
    assert result['built'] is True
    assert result['manifest']['source_version'] == VERSION
    assert result['manifest']['xen_version'] == SECURITY
    assert len(result['warnings']) == 1
    assert 'the source of xen %s is not served' % SECURITY in result['warnings'][0]
    assert 'built from the served version %s' % VERSION in result['warnings'][0]


def test_no_source_at_all_is_a_clear_error_and_stores_nothing(cache):
    fake = FakeChroot(os.path.join(cache, 'chroot-bookworm-amd64'), served=('4.20.4+63-g7abfd2bce2-0+deb13u1',))
    with pytest.raises(XenGuardError) as err:
        _build(cache, fake, version=SECURITY)
    assert 'no source of Xen 4.17.x for bookworm could be fetched' in err.value.msg
    assert 'no host was changed' in err.value.msg
    assert err.value.details['reason'] == 'no_source'
    assert not os.path.isdir(os.path.join(cache, 'artifacts'))


def test_a_listed_version_whose_files_are_missing_is_not_a_source(cache):
    # measured on Debian 13 behind the lab's mirror: the index lists the installed (security) version as the
    # only one, and its files answer 404; nothing else of the branch is listed
    trixie = '4.20.4+63-g7abfd2bce2-0+deb13u1'
    fake = FakeChroot(os.path.join(cache, 'chroot-trixie-amd64'), served=(), listed=(trixie,))
    with pytest.raises(XenGuardError) as err:
        flaskbuild.build(cache, 'trixie', trixie, DEBIAN_CONFIG, 'http://deb.example.org/debian', run=fake)
    assert 'the index lists %s' % trixie in err.value.msg
    assert fake.fetched == [trixie]  # the same version is not fetched twice


def test_every_listed_version_of_the_branch_is_tried_newest_first(cache):
    older = '4.17.3+10-g091466ba55-1~deb12u1'
    fake = FakeChroot(os.path.join(cache, 'chroot-bookworm-amd64'), served=(older,), listed=(SECURITY, VERSION, older))
    result = _build(cache, fake, version=SECURITY)
    assert fake.fetched == [SECURITY, VERSION, older]
    assert result['manifest']['source_version'] == older


def test_no_fallback_when_not_allowed(cache):
    fake = FakeChroot(os.path.join(cache, 'chroot-bookworm-amd64'), served=(VERSION,))
    with pytest.raises(XenGuardError) as err:
        _build(cache, fake, version=SECURITY, allow_fallback=False)
    assert 'the index lists %s' % VERSION in err.value.msg and 'allow the fallback' in err.value.msg


def test_a_failing_build_says_the_compilers_last_lines(cache):
    fake = FakeChroot(os.path.join(cache, 'chroot-bookworm-amd64'), make_fails=True)
    with pytest.raises(XenGuardError) as err:
        _build(cache, fake)
    assert 'make -C xen (the hypervisor) failed (rc=2)' in err.value.msg
    assert "error: unknown type name 'bogus_t'" in err.value.msg
    assert 'nothing was installed on any host' in err.value.msg
    assert not os.path.isdir(os.path.join(cache, 'artifacts'))


@pytest.mark.parametrize('dist, version, said', [
    ('buster', VERSION, 'distribution \'buster\' is not supported'),
    ('bookworm', '4.20.4+63-g7abfd2bce2-0+deb13u1', 'is not the Xen of bookworm (4.17.x)'),
    ('bookworm', '', 'is not a Debian package version'),
    ('bookworm', '4.17; rm -rf /', 'is not a Debian package version'),
])
def test_bad_inputs_are_refused_before_anything_runs(cache, dist, version, said):
    fake = FakeChroot(os.path.join(cache, 'chroot-bookworm-amd64'))
    with pytest.raises(XenGuardError) as err:
        flaskbuild.build(cache, dist, version, DEBIAN_CONFIG, 'http://deb.example.org/debian', run=fake)
    assert said in err.value.msg
    assert fake.calls == []


def test_an_empty_config_is_refused(cache):
    with pytest.raises(XenGuardError) as err:
        flaskbuild.build(cache, 'bookworm', VERSION, '  \n', 'http://deb.example.org/debian', run=FakeChroot(cache))
    assert '/boot/xen-<version>.config' in err.value.msg


# ----------------------------------------------------------------------------- the mutation round
# (make mutation MUTATE=flaskbuild: the command lines the Builder runs, its messages and the manifest were
# held by no test; each test below pins what a caller sees: the commands, the log, the result, the errors)

MIRROR = 'http://deb.example.org/debian'
SECURITY_MIRROR = 'http://deb.example.org/debian-security'
TREE = '/build/xen-%s/xen-4.17.5+72-g01140da4e8' % VERSION
PACKAGES = '--include=build-essential,bison,flex,python3,checkpolicy,m4,dpkg-dev,xz-utils,ca-certificates'
# 2025-11-29 10:00:00 UTC
EPOCH = 1764410400.0


class Clock(object):
    """Stands in for the time module of flaskbuild: it moves only when a command runs."""

    def __init__(self, now=EPOCH):
        self.now = now

    def time(self):
        return self.now

    def strftime(self, fmt, when=None):
        return time.strftime(fmt, when if when is not None else time.gmtime(self.now))

    def gmtime(self):
        return time.gmtime(self.now)


class Timed(object):
    """A runner that takes `seconds` per command on the clock (`slow`: other seconds for the first command
    whose words hold a key), then does what the inner runner does."""

    def __init__(self, clock, inner, seconds=2.25, slow=None):
        self.clock = clock
        self.inner = inner
        self.seconds = seconds
        self.slow = slow or {}

    def __call__(self, cmd, cwd=None):
        self.clock.now += next((s for k, s in self.slow.items() if k in ' '.join(cmd)), self.seconds)
        return self.inner(cmd, cwd=cwd)


class Failing(FakeChroot):
    """FakeChroot whose command containing `needle` fails with rc 7 and forty numbered lines."""

    OUTPUT = ''.join('line %d\n' % n for n in range(1, 41))

    def __init__(self, chroot, needle, **kwargs):
        super(Failing, self).__init__(chroot, **kwargs)
        self.needle = needle

    def __call__(self, cmd, cwd=None):
        if self.needle in ' '.join(cmd):
            self.calls.append(cmd)
            return 7, self.OUTPUT
        return super(Failing, self).__call__(cmd, cwd=cwd)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(flaskbuild, 'time', fake)
    return fake


def _chroot(cache, distribution='bookworm'):
    return os.path.join(cache, 'chroot-%s-amd64' % distribution)


def _in_chroot(cache, script):
    return ['chroot', _chroot(cache), '/bin/sh', '-ec', script]


def _log_lines(cache):
    with open(os.path.join(cache, 'build.log')) as handle:
        return handle.read().splitlines()


def test_a_cold_build_runs_exactly_these_commands(cache):
    fake = FakeChroot(_chroot(cache))
    patches = ['--- a/x\n+++ b/x\n', '--- a/y\n+++ b/y\n']
    result = _build(cache, fake, patches=patches)
    work = '/build/xen-%s' % VERSION
    assert fake.calls == [
        ['debootstrap', '--variant=minbase', PACKAGES, 'bookworm', _chroot(cache) + '.tmp', MIRROR],
        _in_chroot(cache, 'apt-get update -qq'),
        _in_chroot(cache, 'rm -rf %s && mkdir -p %s' % (work, work)),
        _in_chroot(cache, 'cd %s && rm -rf ./* && apt-get source -qq xen=%s' % (work, VERSION)),
        _in_chroot(cache, 'cd %s && for d in xen-*/; do [ -d "$d/xen" ] && echo "$d"; done' % work),
        _in_chroot(cache, 'cd %s && patch -p1 < /build/patch-0.diff' % TREE),
        _in_chroot(cache, 'cd %s && patch -p1 < /build/patch-1.diff' % TREE),
        _in_chroot(cache, 'cd %s && make -s -C xen olddefconfig' % TREE),
        _in_chroot(cache, 'cd %s && make -C xen -j2' % TREE),
        _in_chroot(cache, 'cd %s && rm -rf /build/policy && mkdir -p /build/policy && '
                          'make -f Makefile.common -C tools/flask/policy FLASK_BUILD_DIR=/build/policy' % TREE),
        _in_chroot(cache, 'rm -rf /build/xen-* /build/policy /build/patch-*'),
    ]
    # the patches are handed to the chroot as the files the patch commands read
    for index, patch in enumerate(patches):
        with open(os.path.join(_chroot(cache), 'build', 'patch-%d.diff' % index)) as handle:
            assert handle.read() == patch
    assert result['key'] == flaskbuild.build_key('bookworm', VERSION, flaskbuild.xsm_config(DEBIAN_CONFIG), patches)
    assert result['dir'] == os.path.join(cache, 'artifacts', result['key'])


def test_a_cold_build_logs_each_step_with_its_seconds_and_returns_them(cache, clock):
    with open(os.path.join(os.makedirs(cache) or cache, 'build.log'), 'w') as handle:
        handle.write('an earlier build\n')
    said = []
    fake = FakeChroot(_chroot(cache))
    result = _build(cache, Timed(clock, fake, slow={'debootstrap': 100.03}), patches=['--- a/x\n+++ b/x\n'],
                    log=said.append)
    key = result['key']
    names = ['debootstrap bookworm build chroot (cold: minutes; cached afterwards)', 'apt-get update',
             'apt-get source xen=%s' % VERSION, 'patch 0', 'make -C xen -j2 (hypervisor with XSM)', 'FLASK policy',
             'store artifacts', 'remove the build tree']
    # debootstrap takes 100.03 s, the other commands 2.25 s each: 1, 3, 1, 2, 1, 0 and 1 per step
    seconds = [100.0, 2.2, 6.8, 2.2, 4.5, 2.2, 0.0, 2.2]
    assert result['steps'] == [{'step': n, 'seconds': s} for n, s in zip(names, seconds)]
    # 100.03 + 9 * 2.25
    assert result['seconds'] == 120.3
    assert result['warnings'] == []
    assert sorted(result) == ['built', 'dir', 'key', 'manifest', 'seconds', 'steps', 'warnings']
    expected = ['building key %s (distribution bookworm, xen %s)' % (key, VERSION)]
    for name, secs in zip(names, ['100.0', '2.2', '6.8', '2.2', '4.5', '2.2', '0.0', '2.2']):
        expected += ['%s ...' % name, '%s done in %s s' % (name, secs)]
    expected.append('key %s built in 120 s' % key)
    lines = _log_lines(cache)
    # the log is appended to, never truncated
    assert lines[0] == 'an earlier build'
    stamps = [line[:11] for line in lines[1:]]
    assert [line[11:] for line in lines[1:]] == expected
    assert stamps[:3] == ['[10:00:00] ', '[10:00:00] ', '[10:01:40] '] and stamps[-1] == '[10:02:00] '
    assert all(re.match(r'^\[10:0[0-2]:[0-9]{2}\] $', stamp) for stamp in stamps)
    # the caller's log function hears every line the file gets
    assert said == lines[1:]
    # the manifest: what was built, from which source, when, and the checksums of the three files
    manifest = result['manifest']
    assert manifest['distribution'] == 'bookworm'
    assert manifest['xen_version'] == VERSION
    assert manifest['source_version'] == VERSION
    assert manifest['key'] == key
    assert manifest['built_at'] == '2025-11-29T10:01:58Z'
    assert [s['step'] for s in flaskbuild.read_manifest(result['dir'])['steps']] == names[:6]
    # the manifest returned is the one stored (its steps end where the file was written)
    assert manifest == flaskbuild.read_manifest(result['dir'])
    for name in (flaskbuild.HYPERVISOR, flaskbuild.POLICY, flaskbuild.CONFIG):
        assert manifest['sha256'][name] == flaskbuild.sha256_file(os.path.join(result['dir'], name))


def test_a_cached_key_is_returned_as_it_was_stored(cache):
    first = _build(cache, FakeChroot(_chroot(cache)))
    second = _build(cache, FakeChroot(_chroot(cache)))
    assert second == {'built': False, 'key': first['key'], 'dir': first['dir'],
                      'manifest': flaskbuild.read_manifest(first['dir']), 'steps': [], 'warnings': []}
    assert second['manifest']['sha256'] == first['manifest']['sha256']


def test_the_artifact_directory_holds_the_three_files_and_the_manifest(cache):
    result = _build(cache, FakeChroot(_chroot(cache)))
    assert sorted(os.listdir(result['dir'])) == ['manifest.json', 'xen-flask.config', 'xen-flask.gz', 'xenpolicy-flask']
    assert flaskbuild.artifact_dir(cache, 'k') == os.path.join(cache, 'artifacts', 'k')
    with open(os.path.join(result['dir'], 'xen-flask.gz'), 'rb') as handle:
        assert handle.read() == b'\x1f\x8b fake hypervisor of cd %s && make -C xen -j2' % TREE.encode()
    with open(os.path.join(result['dir'], 'xenpolicy-flask'), 'rb') as handle:
        assert handle.read() == b'\x8c\xff\x7c\xf9 fake policy'
    with open(os.path.join(result['dir'], 'xen-flask.config')) as handle:
        assert handle.read() == flaskbuild.xsm_config(DEBIAN_CONFIG)
    # the manifest file: sorted keys, one a line, indented by one space
    with open(os.path.join(result['dir'], 'manifest.json')) as handle:
        text = handle.read()
    assert text == json.dumps(json.loads(text), indent=1, sort_keys=True)
    assert text.startswith('{\n "built_at": ')


def test_the_chroot_gets_debootstrap_and_the_three_source_entries(cache):
    os.makedirs(_chroot(cache) + '.tmp')
    with open(os.path.join(_chroot(cache) + '.tmp', 'left-over'), 'w') as handle:
        handle.write('from a build that was interrupted')
    builder = flaskbuild.Builder(cache, 'bookworm', MIRROR, SECURITY_MIRROR, run=FakeChroot(_chroot(cache)))
    assert builder.chroot_ready() is False
    builder.make_chroot()
    assert builder.chroot_ready() is True
    assert sorted(os.listdir(_chroot(cache))) == ['.xenguard-ready', 'etc']
    assert not os.path.exists(_chroot(cache) + '.tmp')
    with open(os.path.join(_chroot(cache), 'etc', 'apt', 'sources.list')) as handle:
        assert handle.read() == ('deb http://deb.example.org/debian bookworm main\n'
                                 'deb-src http://deb.example.org/debian bookworm main\n'
                                 'deb http://deb.example.org/debian bookworm-updates main\n'
                                 'deb-src http://deb.example.org/debian bookworm-updates main\n'
                                 'deb http://deb.example.org/debian-security bookworm-security main\n'
                                 'deb-src http://deb.example.org/debian-security bookworm-security main\n')


def test_trixie_gets_its_own_security_suite_and_none_without_a_security_mirror(cache):
    trixie = '4.20.4+63-g7abfd2bce2-0+deb13u1'
    fake = FakeChroot(_chroot(cache, 'trixie'), served=(trixie,))
    flaskbuild.build(cache, 'trixie', trixie, DEBIAN_CONFIG, MIRROR, SECURITY_MIRROR, jobs=2, run=fake)
    with open(os.path.join(_chroot(cache, 'trixie'), 'etc', 'apt', 'sources.list')) as handle:
        assert handle.read().splitlines()[-1] == 'deb-src http://deb.example.org/debian-security trixie-security main'
    builder = flaskbuild.Builder(cache, 'bookworm', MIRROR, None, run=FakeChroot(_chroot(cache)))
    builder.make_chroot()
    with open(os.path.join(_chroot(cache), 'etc', 'apt', 'sources.list')) as handle:
        assert handle.read() == ('deb http://deb.example.org/debian bookworm main\n'
                                 'deb-src http://deb.example.org/debian bookworm main\n'
                                 'deb http://deb.example.org/debian bookworm-updates main\n'
                                 'deb-src http://deb.example.org/debian bookworm-updates main\n')


def test_the_builders_paths_and_its_number_of_jobs(cache, monkeypatch):
    builder = flaskbuild.Builder(cache, 'trixie', MIRROR, None, jobs=3)
    assert (builder.chroot, builder.log_path, builder.jobs) == (_chroot(cache, 'trixie'), os.path.join(cache, 'build.log'), 3)
    assert (builder.steps, builder.warnings) == ([], [])
    monkeypatch.setattr(os, 'cpu_count', lambda: 6)
    assert flaskbuild.Builder(cache, 'trixie', MIRROR, None).jobs == 6
    monkeypatch.setattr(os, 'cpu_count', lambda: None)
    assert flaskbuild.Builder(cache, 'trixie', MIRROR, None).jobs == 1


@pytest.mark.parametrize('needle, what, tail, step', [
    ('debootstrap', 'debootstrap bookworm (the build chroot)', 25,
     'debootstrap bookworm build chroot (cold: minutes; cached afterwards)'),
    ('apt-get update -qq', 'apt-get update in the build chroot', 25, 'apt-get update'),
    ('mkdir -p /build/xen-', 'preparing the source directory', 25, 'apt-get source xen=%s' % VERSION),
    ('for d in xen-*/', 'finding the unpacked source', 25, 'apt-get source xen=%s' % VERSION),
    ('patch -p1 < /build/patch-1.diff', 'applying patch 1', 25, 'patch 1'),
    ('olddefconfig', 'make -C xen olddefconfig', 25, 'make -C xen -j2 (hypervisor with XSM)'),
    ('make -C xen -j2', 'make -C xen (the hypervisor)', 30, 'make -C xen -j2 (hypervisor with XSM)'),
    ('tools/flask/policy', 'the FLASK policy build (tools/flask/policy)', 30, 'FLASK policy'),
    ('rm -rf /build/xen-* /build/policy', 'removing the build tree', 25, 'remove the build tree'),
])
def test_each_failing_command_says_what_failed_and_its_last_lines(cache, clock, needle, what, tail, step):
    fake = Failing(_chroot(cache), needle)
    with pytest.raises(XenGuardError) as err:
        _build(cache, Timed(clock, fake), patches=['--- a/x\n', '--- a/y\n'])
    last = '\n'.join('line %d' % n for n in range(41 - tail, 41))
    assert err.value.msg == ('%s failed (rc=7); nothing was installed on any host. Its last lines:\n%s\n(full log: %s)'
                             % (what, last, os.path.join(cache, 'build.log')))
    assert err.value.details == {'rc': 7, 'cmd': fake.calls[-1]}
    assert needle in ' '.join(fake.calls[-1])
    lines = _log_lines(cache)
    assert re.match(r'^\[[0-9:]{8}\] %s FAILED after [0-9]+ s$' % re.escape(step), lines[-1])
    # the step that failed took the 2.25 s of each of its commands, not more
    assert int(lines[-1].rsplit(' ', 2)[1]) < 10
    if 'build tree' not in what:
        assert not os.path.isdir(os.path.join(cache, 'artifacts'))


def test_a_failing_step_says_how_long_it_ran(cache, clock):
    fake = Failing(_chroot(cache), 'make -C xen -j2')
    with pytest.raises(XenGuardError):
        _build(cache, Timed(clock, fake, seconds=3.0))
    # olddefconfig and make: two commands of 3 s
    assert _log_lines(cache)[-1][11:] == 'make -C xen -j2 (hypervisor with XSM) FAILED after 6 s'


def test_the_step_wrapper_returns_what_the_step_returned(cache, clock):
    os.makedirs(cache)
    builder = flaskbuild.Builder(cache, 'bookworm', MIRROR, None, run=FakeChroot(_chroot(cache)))

    def slow(a, b):
        clock.now += 1.26
        return a + b

    assert builder.step('adding', slow, 2, 3) == 5
    assert builder.steps == [{'step': 'adding', 'seconds': 1.3}]
    assert [line[11:] for line in _log_lines(cache)] == ['adding ...', 'adding done in 1.3 s']


@pytest.mark.parametrize('drop', ['CONFIG_XSM_SILO=y', '# CONFIG_XSM_FLASK_POLICY is not set'])
def test_a_kconfig_option_olddefconfig_drops_is_an_error(cache, drop):
    fake = FakeChroot(_chroot(cache))
    written = []

    def run(cmd, cwd=None):
        if 'olddefconfig' in cmd[-1]:
            path = os.path.join(_chroot(cache), TREE.lstrip('/'), 'xen', '.config')
            with open(path) as handle:
                text = handle.read()
            written.append(text)
            with open(path, 'w') as handle:
                handle.write('\n'.join(line for line in text.splitlines() if line != drop) + '\n')
            return 0, ''
        return fake(cmd, cwd=cwd)

    with pytest.raises(XenGuardError) as err:
        _build(cache, run)
    assert err.value.msg == 'Kconfig did not keep %s (olddefconfig dropped it); the source may not offer it' % drop
    # what olddefconfig was given: the distribution's config with the XSM options
    assert written == [flaskbuild.xsm_config(DEBIAN_CONFIG)]
    assert not [c for c in fake.calls if ' -j' in c[-1]]


def _trees_listed(cache, listing):
    """The stand-in chroot, with LISTING as what the search for unpacked xen-*/ trees prints."""
    fake = FakeChroot(_chroot(cache))

    def run(cmd, cwd=None):
        if 'for d in xen-*/' in cmd[-1]:
            return 0, listing
        return fake(cmd, cwd=cwd)
    return run


def test_a_source_without_a_xen_tree_is_an_error(cache):
    run = _trees_listed(cache, '\n')
    with pytest.raises(XenGuardError) as err:
        _build(cache, run)
    assert err.value.msg == 'apt-get source xen=%s unpacked no source tree with xen/ in /build/xen-%s' % (VERSION, VERSION)


def test_the_first_unpacked_tree_is_built(cache):
    run = _trees_listed(cache, 'xen-4.17.5/\nxen-4.17.6/\n')
    builder = flaskbuild.Builder(cache, 'bookworm', MIRROR, None, run=run)
    assert builder.fetch_source(VERSION, True) == (VERSION, '/build/xen-%s/xen-4.17.5' % VERSION)


def test_the_fallback_warning_is_one_whole_sentence_and_is_logged(cache):
    fake = FakeChroot(_chroot(cache), served=(VERSION,))
    result = _build(cache, fake, version=SECURITY)
    warning = ("the source of xen %s is not served (apt-get source said: E: Can not find version '%s' of package "
               "'xen' | E: Unable to find a source package for xen=%s); built from the served version %s instead: "
               "the FLASK hypervisor is that version, not the installed one" % (SECURITY, SECURITY, SECURITY, VERSION))
    assert result['warnings'] == [warning]
    assert [line[11:] for line in _log_lines(cache) if 'WARNING' in line] == ['WARNING: ' + warning]
    assert _in_chroot(cache, 'apt-cache showsrc xen | sed -n "s/^Version: //p"') in fake.calls
    work = '/build/xen-%s' % SECURITY
    assert _in_chroot(cache, 'cd %s && rm -rf ./* && apt-get source -qq xen=%s' % (work, VERSION)) in fake.calls
    assert result['manifest']['source_version'] == VERSION


def test_no_source_lists_each_version_once_says_what_was_tried_and_keeps_the_last_output(cache):
    other = '4.17.3+10-g091466ba55-1~deb12u1'
    trixie = '4.20.4+63-g7abfd2bce2-0+deb13u1'
    long_output = 'x' * 3000 + '\n' + NOT_SERVED
    fake = FakeChroot(_chroot(cache), served=(), listed=(SECURITY, '', VERSION, '  ', trixie, VERSION, other))

    def run(cmd, cwd=None):
        rc, out = fake(cmd, cwd=cwd)
        return (rc, long_output) if rc == 100 else (rc, out)

    with pytest.raises(XenGuardError) as err:
        _build(cache, run, version=SECURITY)
    assert fake.fetched == [SECURITY, VERSION, other]
    assert err.value.msg == (
        "no source of Xen 4.17.x for bookworm could be fetched: apt-get source xen=%s failed (E: Can not find "
        "version '%s' of package 'xen' | E: Unable to find a source package for xen=%s); the index lists %s, %s, %s, "
        "%s (tried: %s, %s). Nothing was built and no host was changed. Add a deb-src mirror that serves it "
        "(xenguard_flask_mirror / xenguard_flask_security_mirror)."
        % (SECURITY, SECURITY, SECURITY, SECURITY, VERSION, trixie, other, VERSION, other))
    assert err.value.details == {'reason': 'no_source', 'output': long_output[-2000:]}


def test_a_failing_index_query_says_so(cache):
    fake = Failing(_chroot(cache), 'apt-cache showsrc', served=(VERSION,))
    with pytest.raises(XenGuardError) as err:
        _build(cache, fake, version=SECURITY)
    assert err.value.msg.startswith('apt-cache showsrc xen failed (rc=7); nothing was installed on any host. '
                                    'Its last lines:\nline 16\n')
    assert fake.fetched == [SECURITY]


def test_the_fallback_stops_at_the_first_served_version(cache):
    older = '4.17.3+10-g091466ba55-1~deb12u1'
    fake = FakeChroot(_chroot(cache), served=(VERSION, older), listed=(SECURITY, VERSION, older))
    result = _build(cache, fake, version=SECURITY)
    assert fake.fetched == [SECURITY, VERSION]
    assert result['manifest']['source_version'] == VERSION


def test_no_source_after_one_other_version_tried(cache):
    fake = FakeChroot(_chroot(cache), served=(), listed=(SECURITY, VERSION))
    with pytest.raises(XenGuardError) as err:
        _build(cache, fake, version=SECURITY)
    assert fake.fetched == [SECURITY, VERSION]
    assert 'the index lists %s, %s (tried: %s). Nothing was built' % (SECURITY, VERSION, VERSION) in err.value.msg


def test_no_source_without_the_fallback_and_nothing_listed(cache):
    fake = FakeChroot(_chroot(cache), served=(), listed=())
    with pytest.raises(XenGuardError) as err:
        _build(cache, fake, version=SECURITY, allow_fallback=False)
    assert fake.fetched == [SECURITY]
    assert err.value.msg == (
        "no source of Xen 4.17.x for bookworm could be fetched: apt-get source xen=%s failed (E: Can not find "
        "version '%s' of package 'xen' | E: Unable to find a source package for xen=%s); the index lists no version. "
        "Nothing was built and no host was changed. Add a deb-src mirror that serves it (xenguard_flask_mirror / "
        "xenguard_flask_security_mirror), or allow the fallback to another served version."
        % (SECURITY, SECURITY, SECURITY))
    assert err.value.details == {'reason': 'no_source', 'output': NOT_SERVED}


def test_collect_takes_the_first_xenpolicy_file_and_replaces_an_older_store(cache):
    chroot = _chroot(cache)
    tree = os.path.join(chroot, 'build', 'xen-1', 'xen-4.17.5', 'xen')
    os.makedirs(tree)
    os.makedirs(os.path.join(chroot, 'build', 'policy'))
    for name, data in (('xen.gz', b'hypervisor'), ('.config', b'CONFIG_XSM=y\n')):
        with open(os.path.join(tree, name), 'wb') as handle:
            handle.write(data)
    for name in ('policy.conf', 'xenpolicy-4.17.6', 'xenpolicy-4.17.5'):
        with open(os.path.join(chroot, 'build', 'policy', name), 'w') as handle:
            handle.write(name)
    target = os.path.join(cache, 'artifacts', 'key')
    for stale in (target, target + '.tmp'):
        os.makedirs(stale)
        with open(os.path.join(stale, 'stale'), 'w') as handle:
            handle.write('from before')
    builder = flaskbuild.Builder(cache, 'bookworm', MIRROR, None, run=FakeChroot(chroot))
    manifest = builder.collect('/build/xen-1/xen-4.17.5', target, 'key', {'distribution': 'bookworm'})
    assert sorted(os.listdir(target)) == ['manifest.json', 'xen-flask.config', 'xen-flask.gz', 'xenpolicy-flask']
    assert not os.path.exists(target + '.tmp')
    with open(os.path.join(target, 'xenpolicy-flask')) as handle:
        assert handle.read() == 'xenpolicy-4.17.5'
    assert manifest == {'distribution': 'bookworm', 'key': 'key', 'sha256': {
        'xen-flask.gz': flaskbuild.sha256_file(os.path.join(tree, 'xen.gz')),
        'xenpolicy-flask': flaskbuild.sha256_file(os.path.join(chroot, 'build', 'policy', 'xenpolicy-4.17.5')),
        'xen-flask.config': flaskbuild.sha256_file(os.path.join(tree, '.config'))}}
    assert flaskbuild.read_manifest(target) == manifest


def test_collect_without_a_policy_file_is_an_error(cache):
    chroot = _chroot(cache)
    tree = os.path.join(chroot, 'build', 'xen-1', 'xen-4.17.5', 'xen')
    os.makedirs(tree)
    os.makedirs(os.path.join(chroot, 'build', 'policy'))
    for name in ('xen.gz', '.config', ):
        open(os.path.join(tree, name), 'w').close()
    open(os.path.join(chroot, 'build', 'policy', 'policy.conf'), 'w').close()
    builder = flaskbuild.Builder(cache, 'bookworm', MIRROR, None, run=FakeChroot(chroot))
    with pytest.raises(XenGuardError) as err:
        builder.collect('/build/xen-1/xen-4.17.5', os.path.join(cache, 'artifacts', 'key'), 'key', {})
    assert err.value.msg == 'the policy build wrote no xenpolicy-* file'


def test_read_manifest_without_checksums_and_with_a_file_gone(tmp_path):
    directory = str(tmp_path)
    assert flaskbuild.read_manifest(directory) is None
    with open(os.path.join(directory, 'manifest.json'), 'w') as handle:
        json.dump({'key': 'k'}, handle)
    assert flaskbuild.read_manifest(directory) == {'key': 'k'}
    with open(os.path.join(directory, 'manifest.json'), 'w') as handle:
        json.dump({'key': 'k', 'sha256': {'xen-flask.gz': '0' * 64}}, handle)
    assert flaskbuild.read_manifest(directory) is None


def test_the_builder_runs_commands_itself_streaming_into_the_log(cache, monkeypatch):
    # the build's own environment, whatever the caller's is
    monkeypatch.setenv('LC_ALL', 'de_DE.UTF-8')
    monkeypatch.setenv('LANG', 'de_DE.UTF-8')
    monkeypatch.delenv('DEBIAN_FRONTEND', raising=False)
    os.makedirs(cache)
    builder = flaskbuild.Builder(cache, 'bookworm', MIRROR, None)
    rc, out = builder._run(['sh', '-c', 'echo one; echo two >&2; printf "\\377\\n"; '
                                        'echo "$LC_ALL $LANG $DEBIAN_FRONTEND"; pwd; exit 3'], cwd=cache)
    assert rc == 3
    assert out == 'one\ntwo\n\ufffd\nC C noninteractive\n%s\n' % os.path.realpath(cache)
    with open(os.path.join(cache, 'build.log'), 'rb') as handle:
        assert handle.read() == ('one\ntwo\n\xff\nC C noninteractive\n%s\n' % os.path.realpath(cache)).encode('latin-1')
    with pytest.raises(XenGuardError) as err:
        builder.sh(['sh', '-c', 'echo failed; exit 4'], 'the test command')
    assert err.value.msg.startswith('the test command failed (rc=4); nothing was installed on any host. Its last '
                                    'lines:\nfailed\n(full log: ')
    assert builder.sh(['sh', '-c', 'echo fine'], 'the test command') == 'fine\n'


def test_xsm_config_of_no_config_and_of_options_written_either_way():
    assert flaskbuild.xsm_config(None) == flaskbuild.xsm_config('') == (
        'CONFIG_XSM=y\nCONFIG_XSM_FLASK=y\nCONFIG_XSM_SILO=y\n# CONFIG_XSM_FLASK_POLICY is not set\n')
    text = ('CONFIG_A=y\n  CONFIG_XSM_FLASK_POLICY=y  \n# CONFIG_XSM_SILO is not set\nCONFIG_XSM_FLASK_AVC_STATS=y\n'
            '# CONFIG_XSM: the security modules\n')
    assert flaskbuild.xsm_config(text) == (
        'CONFIG_A=y\nCONFIG_XSM_FLASK_AVC_STATS=y\n# CONFIG_XSM: the security modules\n'
        'CONFIG_XSM=y\nCONFIG_XSM_FLASK=y\nCONFIG_XSM_SILO=y\n# CONFIG_XSM_FLASK_POLICY is not set\n')


def test_the_key_is_stable_across_releases():
    # a changed key makes every cache build again: the digest of these inputs must not move
    config = 'CONFIG_XSM=y\n'
    assert flaskbuild.build_key('bookworm', VERSION, config) == 'bookworm-4.17.5+72-g01140da4e8-1-c900a690510bc699'
    assert flaskbuild.build_key('bookworm', VERSION, config, ['p', 'q']) == 'bookworm-4.17.5+72-g01140da4e8-1-d363b84007adf869'
    assert flaskbuild.build_key('bookworm', VERSION, config, ['p']) == flaskbuild.build_key('bookworm', VERSION, config, [b'p'])
    # characters a directory name should not carry become _
    key = flaskbuild.build_key('bookworm', '1:4.17.3+10-g091466ba55-1~deb12u1', config)
    assert re.match(r'^bookworm-1_4\.17\.3\+10-g091466ba55-1_deb12u1-[0-9a-f]{16}$', key)


@pytest.mark.parametrize('dist, version, msg', [
    ('buster', VERSION, "distribution 'buster' is not supported by the FLASK build: supported are bookworm, trixie. "
                        "Run the flask role only on those hosts, or build the hypervisor yourself."),
    ('bookworm', None, "xen_version None is not a Debian package version (such as 4.17.5+72-g01140da4e8-1): "
                       "pass the source version of the installed Xen packages."),
    ('bookworm', 'v4.17.5', "xen_version 'v4.17.5' is not a Debian package version (such as 4.17.5+72-g01140da4e8-1): "
                            "pass the source version of the installed Xen packages."),
    ('bookworm', '4.170.1-1', "Xen 4.170.1-1 is not the Xen of bookworm (4.17.x): the build uses the distribution's "
                              "own source for the installed version; check the host's packages."),
    ('trixie', '4.17.5-1', "Xen 4.17.5-1 is not the Xen of trixie (4.20.x): the build uses the distribution's "
                           "own source for the installed version; check the host's packages."),
])
def test_the_input_checks_in_whole_sentences(dist, version, msg):
    with pytest.raises(XenGuardError) as err:
        flaskbuild.check_inputs(dist, version)
    assert err.value.msg == msg


@pytest.mark.parametrize('dist, version', [('bookworm', VERSION), ('bookworm', SECURITY), ('trixie', '4.20.0-1'),
                                           ('bookworm', '4.17.3+10-g091466ba55-1~deb12u1')])
def test_versions_of_the_branch_pass(dist, version):
    assert flaskbuild.check_inputs(dist, version) is None


def test_an_empty_config_is_refused_in_a_whole_sentence(cache):
    with pytest.raises(XenGuardError) as err:
        flaskbuild.build(cache, 'bookworm', VERSION, None, MIRROR, run=FakeChroot(cache))
    assert err.value.msg == ('the Xen Kconfig of the installed hypervisor is empty: read /boot/xen-<version>.config '
                             'of the host (Debian installs it with the hypervisor package).')
    assert not os.path.exists(cache)
