# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import grubcfg
from ansible_collections.xenguard.hardening.plugins.module_utils.grubcfg import (
    GrubConfigError, XenCfg, merge_tokens, option_value, render_token, split_tokens, validate_option,
    validate_options,
)
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture

DEBIAN_XEN_CFG = fixture('debian12-xen-4.17', 'etc-default-grub.d-xen.cfg.debian.txt')
# The file on a lab host: Debian's, with the lab's assignment in place of the example and
# XEN_OVERRIDE_GRUB_DEFAULT=1 (read from a lab dom0).
LAB_XEN_CFG = fixture('debian12-xen-4.17', 'etc-default-grub.d-xen.cfg.lab.txt')
LAB_TOKENS = ['console=com1', 'com1=115200,8n1', 'smap=0', 'dom0_mem=1024M,max:1024M', 'loglvl=all',
              'guest_loglvl=all']


def lab_cfg():
    return LAB_XEN_CFG


# ---------------------------------------------------------------- the file Debian ships

def test_debian_file_has_no_active_assignment():
    cfg = XenCfg(DEBIAN_XEN_CFG)
    assert cfg.tokens == []
    assert cfg.index is None
    assert cfg.other_tokens == []
    assert DEBIAN_XEN_CFG.splitlines()[cfg.template_index] == '#GRUB_CMDLINE_XEN_DEFAULT=""'


def test_debian_file_untouched_renders_byte_for_byte():
    assert XenCfg(DEBIAN_XEN_CFG).render() == DEBIAN_XEN_CFG


def test_new_assignment_goes_after_debian_example_and_keeps_every_other_line():
    cfg = XenCfg(DEBIAN_XEN_CFG)
    cfg.set_tokens(['smt=0', 'pv-linear-pt=0'])
    out = cfg.render().splitlines()
    src = DEBIAN_XEN_CFG.splitlines()
    at = src.index('#GRUB_CMDLINE_XEN_DEFAULT=""')
    assert out[at + 1] == 'GRUB_CMDLINE_XEN_DEFAULT="smt=0 pv-linear-pt=0"'
    assert out[:at + 1] + out[at + 2:] == src
    # the shell logic Debian ships is still there
    assert 'if [ "$XEN_OVERRIDE_GRUB_DEFAULT" = "1" ]; then' in out


def test_existing_assignment_is_changed_in_place():
    text = lab_cfg()
    cfg = XenCfg(text)
    assert cfg.tokens == LAB_TOKENS
    after = merge_tokens(cfg.tokens, {'smt': 0, 'dom0_mem': '1024M,max:1024M'})
    cfg.set_tokens(after)
    out = cfg.render()
    assert 'GRUB_CMDLINE_XEN_DEFAULT="console=com1 com1=115200,8n1 smap=0 dom0_mem=1024M,max:1024M loglvl=all ' \
           'guest_loglvl=all smt=0"\n' in out
    # only the assignment changed; Debian's comments and shell logic, and the lab's comment, are kept
    changed = [(a, b) for a, b in zip(text.splitlines(), out.splitlines()) if a != b]
    assert len(changed) == 1 and changed[0][0].startswith('GRUB_CMDLINE_XEN_DEFAULT=')
    assert 'XEN_OVERRIDE_GRUB_DEFAULT=1' in out.splitlines()
    assert len(out.splitlines()) == len(text.splitlines())
    assert XenCfg(out).tokens == after


@pytest.mark.parametrize('line, tokens, rendered', [
    ("GRUB_CMDLINE_XEN_DEFAULT='a=1 b'\n", ['a=1', 'b'], "GRUB_CMDLINE_XEN_DEFAULT='a=1 b smt=0'\n"),
    ('GRUB_CMDLINE_XEN_DEFAULT=a=1\n', ['a=1'], 'GRUB_CMDLINE_XEN_DEFAULT="a=1 smt=0"\n'),
    ('export GRUB_CMDLINE_XEN_DEFAULT="a=1"  # ours\n', ['a=1'],
     'export GRUB_CMDLINE_XEN_DEFAULT="a=1 smt=0"  # ours\n'),
    ('GRUB_CMDLINE_XEN_DEFAULT=""', [], 'GRUB_CMDLINE_XEN_DEFAULT="smt=0"'),
])
def test_quoting_styles(line, tokens, rendered):
    cfg = XenCfg(line)
    assert cfg.tokens == tokens
    cfg.set_tokens(tokens + ['smt=0'])
    assert cfg.render() == rendered


def test_last_assignment_wins_and_other_variable_is_reported():
    text = 'GRUB_CMDLINE_XEN="console=vga"\nGRUB_CMDLINE_XEN_DEFAULT="a"\nGRUB_CMDLINE_XEN_DEFAULT="b"\n'
    cfg = XenCfg(text)
    assert cfg.tokens == ['b']
    assert cfg.assignments == 2
    assert cfg.other_tokens == ['console=vga']
    cfg.set_tokens(['c'])
    assert cfg.render() == 'GRUB_CMDLINE_XEN="console=vga"\nGRUB_CMDLINE_XEN_DEFAULT="a"\nGRUB_CMDLINE_XEN_DEFAULT="c"\n'


def test_file_without_example_gets_line_appended():
    cfg = XenCfg('# nothing here')
    cfg.set_tokens(['smt=0'])
    assert cfg.render() == '# nothing here\nGRUB_CMDLINE_XEN_DEFAULT="smt=0"\n'


@pytest.mark.parametrize('text, what', [
    ('GRUB_CMDLINE_XEN_DEFAULT="$GRUB_CMDLINE_XEN_DEFAULT smt=0"\n', 'shell expansion'),
    ('GRUB_CMDLINE_XEN_DEFAULT="`cat /x`"\n', 'shell expansion'),
    ('GRUB_CMDLINE_XEN_DEFAULT="a b\n', 'unterminated'),
    ('GRUB_CMDLINE_XEN_DEFAULT="a b"; echo hi\n', 'unexpected text'),
])
def test_unmanageable_files_are_refused(text, what):
    with pytest.raises(GrubConfigError) as err:
        XenCfg(text)
    assert what in err.value.msg
    assert err.value.line == 1


def test_unsafe_token_is_refused_on_write():
    with pytest.raises(GrubConfigError):
        XenCfg('').set_tokens(['a;reboot'])


# ---------------------------------------------------------------- merging

def test_merge_replaces_owned_tokens_in_place_and_keeps_others():
    before = ['console=com1', 'no-smt', 'smap=0', 'smt=1', 'iommu=1,verbose']
    after = merge_tokens(before, {'smt': 0, 'iommu': 'required,verbose', 'conring_size': '1M'})
    assert after == ['console=com1', 'smt=0', 'smap=0', 'iommu=required,verbose', 'conring_size=1M']


def test_merge_removes_null_and_absent():
    before = ['spec-ctrl=no', 'smt=0', 'sync_console']
    assert merge_tokens(before, {'spec-ctrl': None}) == ['smt=0', 'sync_console']
    assert merge_tokens(before, {'smt': 1, 'sync_console': True}, state='absent') == ['spec-ctrl=no']


def test_merge_is_idempotent():
    opts = {'smt': 0, 'pv': 'no-32', 'dom0_mem': '1G,max:1G', 'ucode': 'scan'}
    once = merge_tokens(LAB_TOKENS, opts)
    assert merge_tokens(once, opts) == once


def test_no_prefix_of_other_option_is_not_owned():
    # ``no-real-mode`` is an option of its own, not the negation of a managed ``real-mode``
    assert merge_tokens(['no-real-mode=1'], {'real-mode': None}) == ['no-real-mode=1']


@pytest.mark.parametrize('name, value, token', [
    ('smt', True, 'smt'), ('smt', False, 'smt=0'), ('smt', 0, 'smt=0'),
    ('ucode', ['scan', 'nmi=0'], 'ucode=scan,nmi=0'), ('conring_size', '1M', 'conring_size=1M'),
    ('pv', [True], 'pv=1'),
])
def test_render_token(name, value, token):
    assert render_token(name, value) == token


def test_option_value_last_wins():
    tokens = split_tokens('placeholder smt no-smt iommu=1 iommu=required')
    assert option_value(tokens, 'smt') is False
    assert option_value(tokens, 'iommu') == 'required'
    assert option_value(tokens, 'pv') is None
    assert option_value(['smt'], 'smt') is True


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize('name, value', [
    ('dom0_mem', '4G,max:4G'), ('dom0_mem', '1024M,max:1024M'), ('dom0_mem', 'min:512M,max:2G,1G'),
    ('dom0_mem', '1G+25%'), ('dom0_mem', '-2G'), ('smt', 0), ('smt', 'off'), ('smt', False),
    ('pv-linear-pt', 0), ('pv', 'no-32'), ('pv', '32=0'), ('ucode', 'scan'), ('ucode', '-1'),
    ('ucode', 'scan,nmi=0'), ('conring_size', '1M'), ('conring_size', 65536), ('iommu', 'required'),
    ('iommu', '1,verbose'), ('iommu', 'quarantine=scratch-page'), ('iommu', 'no-intremap'),
    ('spec-ctrl', 'no'), ('spec-ctrl', 'no-xen'), ('spec-ctrl', 'ibpb-entry'), ('spec-ctrl', 'rsb=no-hvm'),
    ('xpti', 'default'), ('xpti', 'dom0=0,domu=1'), ('console', 'com1,vga'), ('loglvl', 'all/warning'),
    ('sched', 'credit2'), ('dom0_max_vcpus', '1-4'), ('dom0_max_vcpus', 2), ('gnttab', 'max-ver:1'),
    ('smap', 'hvm'), ('watchdog', True), ('com1', '115200,8n1'), ('some_new_option', 'x'),
    ('noreboot', None), ('dom0-iommu', 'strict'), ('pv-l1tf', 'domu=1'), ('bootscrub', 'idle'),
    ('flask', 'enforcing'), ('watchdog_timeout', 30), ('dom0_vcpus_pin', True),
])
def test_valid_options(name, value):
    validate_option(name, value)


@pytest.mark.parametrize('name, value, words', [
    ('dom0_mem', 'lots', '"lots" is not one'),
    ('dom0_mem', '1G,1G', 'given twice'),
    ('dom0_mem', 'max:', 'is not one'),
    ('smt', 'maybe', 'expected a boolean'),
    ('conring_size', 'big', 'expected a size'),
    ('conring_size', '0', 'greater than zero'),
    ('spec-ctrl', 'yes', 'positive overall boolean'),
    ('spec-ctrl', 'A_B', 'not a spec-ctrl sub-option'),
    ('iommu', 'sometimes', 'not a known sub-option'),
    ('pv', '64=0', 'not a known sub-option'),
    ('ucode', 'scan=maybe', 'not a known sub-option'),
    ('console', 'com3', 'not a Xen console'),
    ('loglvl', 'loud', 'expected <level>'),
    ('sched', 'fair', 'expected one of'),
    ('dom0_max_vcpus', 'many', 'expected <n>'),
    ('watchdog_timeout', 'soon', 'expected an integer'),
    ('xpti', 'dom1=0', 'not a known sub-option'),
    ('gnttab', 'max-ver:3', 'not a known sub-option'),
    ('smap', 'pv', 'expected a boolean or one of'),
    ('smt', '0 reboot', 'unsafe'),
    ('console', 'com1;reboot', 'unsafe'),
    ('smt', '', 'value is empty'),
    ('smt', {'a': 1}, 'not a mapping'),
    ('bad name', 1, 'not a valid Xen option name'),
    ('placeholder', True, 'the word GRUB puts first'),
])
def test_invalid_options(name, value, words):
    with pytest.raises(GrubConfigError) as err:
        validate_option(name, value)
    assert words in err.value.msg


def test_conflicting_no_form():
    with pytest.raises(GrubConfigError) as err:
        validate_options({'smt': 0, 'no-smt': True})
    assert 'conflicting' in err.value.msg
    with pytest.raises(GrubConfigError):
        validate_options(['smt'])


def test_overriding_files_and_assignments():
    assert grubcfg.overriding_files('/etc/default/grub.d/xen.cfg',
                                    ['init-select.cfg', 'xen.cfg', 'zz-local.cfg', 'xenguard.txt']) == ['zz-local.cfg']
    assert grubcfg.assigns_variable(DEBIAN_XEN_CFG) == []
    assert grubcfg.assigns_variable('x=1\nGRUB_CMDLINE_XEN_DEFAULT="a"\n') == [2]
    assert grubcfg.bool_word('Enable') is True and grubcfg.bool_word('x') is None
