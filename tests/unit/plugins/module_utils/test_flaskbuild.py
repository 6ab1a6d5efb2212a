# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FLASK build: Kconfig, key, cache and the error paths, with a fake chroot runner.

The fake runner plays debootstrap, apt-get and make: it creates the files they would create in the
chroot directory, and answers with recorded real output where the path depends on it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil

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
