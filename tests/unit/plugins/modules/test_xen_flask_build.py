# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.xenguard.hardening.plugins.module_utils import flaskbuild
from ansible_collections.xenguard.hardening.plugins.modules import xen_flask_build
from ansible_collections.xenguard.hardening.tests.unit.helpers import run_module
from ansible_collections.xenguard.hardening.tests.unit.plugins.module_utils.test_flaskbuild import (
    DEBIAN_CONFIG, VERSION, FakeChroot)


def _args(cache, **extra):
    args = {'distribution': 'bookworm', 'xen_version': VERSION, 'base_config': DEBIAN_CONFIG, 'cache_dir': cache,
            'mirror': 'http://deb.mirror.example/debian', 'security_mirror': 'none'}
    args.update(extra)
    return args


def test_check_mode_says_a_build_would_run_and_builds_nothing(tmp_path, capsys):
    cache = str(tmp_path / 'cache')
    result = run_module(xen_flask_build, capsys, _args(cache), check_mode=True)
    assert result['changed'] is True and result['built'] is False
    assert result['key'].startswith('bookworm-4.17.5+72-g01140da4e8-1-')
    assert 'artifacts' not in result
    assert not os.path.exists(cache)


def test_a_cached_key_compiles_nothing_and_gives_the_checksums(tmp_path, capsys):
    cache = str(tmp_path / 'cache')
    built = flaskbuild.build(cache, 'bookworm', VERSION, DEBIAN_CONFIG, 'http://deb.example.org/debian',
                             run=FakeChroot(os.path.join(cache, 'chroot-bookworm-amd64')))
    result = run_module(xen_flask_build, capsys, _args(cache))
    assert (result['changed'], result['built'], result['key']) == (False, False, built['key'])
    assert result['artifacts']['hypervisor']['sha256'] == built['manifest']['sha256'][flaskbuild.HYPERVISOR]
    assert result['artifacts']['policy']['path'] == os.path.join(built['dir'], flaskbuild.POLICY)
    assert result['source_version'] == VERSION
    # the same in check mode: nothing to do
    again = run_module(xen_flask_build, capsys, _args(cache), check_mode=True)
    assert (again['changed'], again['built']) == (False, False)


def test_a_version_of_another_branch_is_refused(tmp_path, capsys):
    result = run_module(xen_flask_build, capsys, _args(str(tmp_path), xen_version='4.20.4+63-g7abfd2bce2-0+deb13u1'))
    assert result['failed'] is True
    assert 'is not the Xen of bookworm (4.17.x)' in result['msg']


def test_an_unknown_distribution_is_refused(tmp_path, capsys):
    result = run_module(xen_flask_build, capsys, _args(str(tmp_path), distribution='buster'))
    assert result['failed'] is True and 'bookworm, trixie' in result['msg']
