# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.xenguard.hardening.plugins.modules import xen_boot_options
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, run_module

DEBIAN_XEN_CFG = fixture('debian12-xen-4.17', 'etc-default-grub.d-xen.cfg.debian.txt')


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A directory tree shaped like a dom0: grub.d/xen.cfg as Debian ships it, /boot/grub, update-grub."""
    grubd = tmp_path / 'etc-default-grub.d'
    grubd.mkdir()
    cfg = grubd / 'xen.cfg'
    cfg.write_text(DEBIAN_XEN_CFG)
    boot = tmp_path / 'boot-grub'
    boot.mkdir()
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    marker = tmp_path / 'update-grub.ran'
    script = bindir / 'update-grub'
    script.write_text('#!/bin/sh\necho ran >> %s\n' % marker)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv('PATH', '%s:%s' % (bindir, os.environ.get('PATH', '')))
    return dict(cfg=cfg, grub_dir=str(boot), marker=marker, grubd=grubd, bindir=bindir)


def base_args(host, **kw):
    args = dict(path=str(host['cfg']), grub_dir=host['grub_dir'],
                options={'smt': 0, 'pv-linear-pt': False, 'dom0_mem': '1024M,max:1024M'})
    args.update(kw)
    return args


def test_sets_options_runs_update_grub_once_and_is_idempotent(capsys, host):
    res = run_module(xen_boot_options, capsys, base_args(host))
    assert res['changed'] is True and res['reboot_required'] is True and res['update_grub'] is True
    assert res['cmdline'] == ['smt=0', 'pv-linear-pt=0', 'dom0_mem=1024M,max:1024M']
    assert res['cmdline_before'] == []
    text = host['cfg'].read_text()
    assert 'GRUB_CMDLINE_XEN_DEFAULT="smt=0 pv-linear-pt=0 dom0_mem=1024M,max:1024M"\n' in text
    assert len(text.splitlines()) == len(DEBIAN_XEN_CFG.splitlines()) + 1
    again = run_module(xen_boot_options, capsys, base_args(host))
    assert again['changed'] is False and again['reboot_required'] is False and again['update_grub'] is False
    assert host['marker'].read_text() == 'ran\n'


def test_keeps_tokens_it_does_not_own(capsys, host):
    host['cfg'].write_text(DEBIAN_XEN_CFG.replace(
        '#GRUB_CMDLINE_XEN_DEFAULT=""', 'GRUB_CMDLINE_XEN_DEFAULT="console=com1 smt=1 smap=0"'))
    res = run_module(xen_boot_options, capsys, base_args(host, update_grub=False))
    assert res['cmdline'] == ['console=com1', 'smt=0', 'smap=0', 'pv-linear-pt=0', 'dom0_mem=1024M,max:1024M']
    assert res['options_changed'] == ['dom0_mem', 'pv-linear-pt', 'smt']
    assert not host['marker'].exists()


def test_check_mode_with_diff_changes_nothing(capsys, host):
    res = run_module(xen_boot_options, capsys, base_args(host), check_mode=True, diff=True)
    assert res['changed'] is True
    assert res['diff']['before'] == DEBIAN_XEN_CFG
    assert 'GRUB_CMDLINE_XEN_DEFAULT="smt=0' in res['diff']['after']
    assert host['cfg'].read_text() == DEBIAN_XEN_CFG
    assert not host['marker'].exists()


def test_bad_value_fails_before_any_change(capsys, host):
    res = run_module(xen_boot_options, capsys, base_args(host, options={'dom0_mem': 'lots', 'smt': 0}))
    assert res['failed'] is True
    assert 'dom0_mem=lots' in res['msg'] and 'nothing was changed' in res['msg']
    assert host['cfg'].read_text() == DEBIAN_XEN_CFG


def test_no_grub_fails_before_any_change(capsys, host, tmp_path):
    res = run_module(xen_boot_options, capsys, base_args(host, grub_dir=str(tmp_path / 'nowhere')))
    assert res['failed'] is True and 'does not boot through GRUB' in res['msg']
    assert host['cfg'].read_text() == DEBIAN_XEN_CFG


def test_no_update_grub_fails_before_any_change(capsys, host, monkeypatch):
    (host['bindir'] / 'update-grub').unlink()
    monkeypatch.setattr(xen_boot_options.CommandRunner, 'available', property(lambda self: False))
    res = run_module(xen_boot_options, capsys, base_args(host))
    assert res['failed'] is True and 'update-grub is not installed' in res['msg']
    assert host['cfg'].read_text() == DEBIAN_XEN_CFG


def test_failing_update_grub_is_reported(capsys, host):
    (host['bindir'] / 'update-grub').write_text('#!/bin/sh\necho "error: out of space" >&2\nexit 1\n')
    res = run_module(xen_boot_options, capsys, base_args(host))
    assert res['failed'] is True and res['rc'] == 1 and 'out of space' in res['stderr']
    assert 'update-grub failed' in res['msg']


def test_later_file_overriding_is_refused(capsys, host):
    (host['grubd'] / 'zz-local.cfg').write_text('GRUB_CMDLINE_XEN_DEFAULT="smt=1"\n')
    res = run_module(xen_boot_options, capsys, base_args(host, update_grub=False))
    assert res['failed'] is True and 'zz-local.cfg' in res['msg']
    assert host['cfg'].read_text() == DEBIAN_XEN_CFG


def test_shell_expansion_is_refused_with_line(capsys, host):
    host['cfg'].write_text('GRUB_CMDLINE_XEN_DEFAULT="$X smt=0"\n')
    res = run_module(xen_boot_options, capsys, base_args(host, update_grub=False))
    assert res['failed'] is True and '(line 1 of' in res['msg']


def test_absent_and_null_remove_and_warn_about_grub_cmdline_xen(capsys, host):
    host['cfg'].write_text('GRUB_CMDLINE_XEN="smt=1"\nGRUB_CMDLINE_XEN_DEFAULT="spec-ctrl=no smt=0 noreboot"\n')
    res = run_module(xen_boot_options, capsys, dict(path=str(host['cfg']), update_grub=False, backup=True,
                                                    options={'spec-ctrl': None}))
    assert res['cmdline'] == ['smt=0', 'noreboot'] and 'backup_file' in res
    res = run_module(xen_boot_options, capsys, dict(path=str(host['cfg']), update_grub=False, state='absent',
                                                    options={'noreboot': True, 'smt': 0}))
    assert res['cmdline'] == [] and res['cmdline_xen'] == ['smt=1']
    assert 'GRUB_CMDLINE_XEN' in json.dumps(res.get('warnings')), res


def test_missing_file_is_created(capsys, host, tmp_path):
    path = tmp_path / 'new' / 'xen.cfg'
    res = run_module(xen_boot_options, capsys, dict(path=str(path), update_grub=False, options={'smt': 0}))
    assert res['changed'] is True
    assert path.read_text() == 'GRUB_CMDLINE_XEN_DEFAULT="smt=0"\n'
    assert oct(path.stat().st_mode & 0o777) == '0o644'
