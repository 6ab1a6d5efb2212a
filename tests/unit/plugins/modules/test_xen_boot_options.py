# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
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


# --------------------------------------------------------------------------- write safety, odd input

def _sha(path):
    with open(str(path), 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_editing_through_a_link_edits_the_target_and_keeps_the_link(capsys, host, tmp_path):
    real = tmp_path / 'xen.cfg.real'
    real.write_text(DEBIAN_XEN_CFG)
    real.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(str(real), 65534, 65534)
    owner = (real.stat().st_uid, real.stat().st_gid)
    host['cfg'].unlink()
    host['cfg'].symlink_to(real)
    res = run_module(xen_boot_options, capsys, base_args(host, update_grub=False, backup=True))
    assert res['changed'] is True
    assert host['cfg'].is_symlink() and os.readlink(str(host['cfg'])) == str(real)
    assert 'GRUB_CMDLINE_XEN_DEFAULT="smt=0 pv-linear-pt=0 dom0_mem=1024M,max:1024M"\n' in real.read_text()
    st = real.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == owner + (0o640,)
    # the backup is beside the target, outside grub.d (where a *.cfg~ is not sourced anyway)
    assert os.path.dirname(res['backup_file']) == str(tmp_path)
    assert sorted(p.name for p in host['grubd'].iterdir()) == ['xen.cfg']


def test_a_planted_link_at_the_old_temporary_name_is_not_followed(capsys, host, tmp_path):
    """The module once wrote through the fixed name .xen.cfg.xenguard.tmp; a link there must not be followed."""
    victim = tmp_path / 'victim'
    victim.write_text('precious\n')
    (host['grubd'] / '.xen.cfg.xenguard.tmp').symlink_to(victim)
    res = run_module(xen_boot_options, capsys, base_args(host, update_grub=False))
    assert res['changed'] is True
    assert victim.read_text() == 'precious\n'
    assert (host['grubd'] / '.xen.cfg.xenguard.tmp').is_symlink()
    assert 'smt=0' in host['cfg'].read_text()


def test_non_utf8_file_with_diff_succeeds_and_keeps_its_bytes(capsys, host):
    """The issue's reproduction: a Latin-1 comment and -D; update-grub runs once, after a successful write."""
    raw = DEBIAN_XEN_CFG.encode('utf-8') + b'# r\xe9glages locaux\n'
    host['cfg'].write_bytes(raw)
    res = run_module(xen_boot_options, capsys, base_args(host, backup=True), diff=True)
    assert 'failed' not in res and res['changed'] is True and res['update_grub'] is True
    after = host['cfg'].read_bytes()
    assert after.endswith(b'# r\xe9glages locaux\n')
    assert b'GRUB_CMDLINE_XEN_DEFAULT="smt=0 pv-linear-pt=0 dom0_mem=1024M,max:1024M"\n' in after
    assert res['diff']['before'].endswith('# r\\xe9glages locaux\n')
    assert res['diff']['after'] == after.decode('utf-8', 'backslashreplace')
    with open(res['backup_file'], 'rb') as handle:
        assert handle.read() == raw
    assert host['marker'].read_text() == 'ran\n'


def test_non_utf8_byte_in_the_managed_line_is_refused_with_its_offset(capsys, host):
    raw = b'# xen\nGRUB_CMDLINE_XEN_DEFAULT="console=com1 caf\xe9"\n'
    host['cfg'].write_bytes(raw)
    res = run_module(xen_boot_options, capsys, base_args(host, backup=True))
    assert res['failed'] is True
    assert res['msg'] == ('line 2 of %s (the GRUB_CMDLINE_XEN_DEFAULT assignment) holds a byte that is not UTF-8 '
                          '(0xE9 at byte offset 48); the line cannot be rewritten without changing it. Write the '
                          'options in plain ASCII; nothing was changed.' % host['cfg'])
    assert host['cfg'].read_bytes() == raw
    assert sorted(p.name for p in host['grubd'].iterdir()) == ['xen.cfg']
    assert not host['marker'].exists()


@pytest.fixture
def etc_default(tmp_path):
    """/etc/default shaped: grub (the main file) and grub.d/ with Debian's xen.cfg."""
    etc = tmp_path / 'etc-default'
    (etc / 'grub.d').mkdir(parents=True)
    (etc / 'grub').write_text('GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\n')
    (etc / 'grub.d' / 'xen.cfg').write_text(DEBIAN_XEN_CFG)
    return etc


def test_grub_d_file_overriding_the_main_file_is_refused(capsys, host, etc_default):
    """grub-mkconfig sources /etc/default/grub first, then grub.d/*.cfg: any of them overrides the main file."""
    (etc_default / 'grub.d' / 'zz.cfg').write_text('# local\nGRUB_CMDLINE_XEN_DEFAULT="smt=1"\n')
    main = etc_default / 'grub'
    digest = _sha(main)
    res = run_module(xen_boot_options, capsys, base_args(host, path=str(main)))
    assert res['failed'] is True
    assert res['msg'] == ('%s assigns GRUB_CMDLINE_XEN_DEFAULT again (line 2) and is read after %s, so changes '
                          'there would have no effect. Move those options into %s and remove the assignment '
                          'from %s.' % (etc_default / 'grub.d' / 'zz.cfg', main, main,
                                        etc_default / 'grub.d' / 'zz.cfg'))
    assert _sha(main) == digest and not host['marker'].exists()
    # without the override, the main file is edited (Debian's xen.cfg only has the commented example)
    (etc_default / 'grub.d' / 'zz.cfg').unlink()
    res = run_module(xen_boot_options, capsys, base_args(host, path=str(main), update_grub=False))
    assert res['changed'] is True and 'smt=0' in main.read_text()


def test_non_utf8_overriding_file_is_still_detected(capsys, host):
    (host['grubd'] / 'zz-local.cfg').write_bytes(b'# r\xe9glages\nGRUB_CMDLINE_XEN_DEFAULT="smt=1"\n')
    res = run_module(xen_boot_options, capsys, base_args(host, update_grub=False))
    assert res['failed'] is True
    assert res['msg'].startswith('%s assigns GRUB_CMDLINE_XEN_DEFAULT again (line 2)'
                                 % (host['grubd'] / 'zz-local.cfg'))
    assert host['cfg'].read_text() == DEBIAN_XEN_CFG


def test_empty_path_says_so(capsys, host):
    res = run_module(xen_boot_options, capsys, base_args(host, path=''))
    assert res['failed'] is True
    assert res['msg'] == 'path is empty: give the file that holds GRUB_CMDLINE_XEN_DEFAULT'


def test_line_numbers_count_newlines_only(capsys, host):
    """The shell that sources these files splits lines at newlines only; a form feed is not a line end."""
    (host['grubd'] / 'zz-local.cfg').write_bytes(b'# page\x0cbreak\nGRUB_CMDLINE_XEN_DEFAULT="smt=1"\n')
    res = run_module(xen_boot_options, capsys, base_args(host, update_grub=False))
    assert res['failed'] is True
    assert 'assigns GRUB_CMDLINE_XEN_DEFAULT again (line 2)' in res['msg']
