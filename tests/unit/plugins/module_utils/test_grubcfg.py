# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import grubcfg
from ansible_collections.xenguard.hardening.plugins.module_utils.grubcfg import GrubConfigError, XenCfg, merge_tokens
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture

DEBIAN_XEN_CFG = fixture('debian12-xen-4.17', 'etc-default-grub.d-xen.cfg.debian.txt')
# The file on a lab host: Debian's, with the lab's assignment in place of the example and
# XEN_OVERRIDE_GRUB_DEFAULT=1 (read from a lab dom0).
LAB_XEN_CFG = fixture('debian12-xen-4.17', 'etc-default-grub.d-xen.cfg.lab.txt')
LAB_TOKENS = ['console=com1', 'com1=115200,8n1', 'smap=0', 'xsave=0', 'dom0_mem=1024M,max:1024M', 'conring_size=512k',
              'loglvl=all', 'guest_loglvl=all']


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
    assert 'GRUB_CMDLINE_XEN_DEFAULT="console=com1 com1=115200,8n1 smap=0 xsave=0 dom0_mem=1024M,max:1024M ' \
           'conring_size=512k loglvl=all guest_loglvl=all smt=0"\n' in out
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
    ("GRUB_CMDLINE_XEN_DEFAULT='a b\n", 'unterminated'),
    # the escaped quote does not end the value: the whole of a\" b is the value, refused for its backslash
    ('GRUB_CMDLINE_XEN_DEFAULT="a\\" b" # c\n', 'shell expansion (a\\" b)'),
    ('GRUB_CMDLINE_XEN_DEFAULT="a\\""\n', 'shell expansion (a\\")'),
    # a backslash just before the end of an unterminated value does not make it terminated
    ('GRUB_CMDLINE_XEN_DEFAULT="a\\b\n', 'unterminated'),
    ('GRUB_CMDLINE_XEN_DEFAULT="a"\\\n', 'unexpected text'),
    ('GRUB_CMDLINE_XEN_DEFAULT="a b"; echo hi\n', 'unexpected text'),
])
def test_unmanageable_files_are_refused(text, what):
    with pytest.raises(GrubConfigError) as err:
        XenCfg(text)
    assert what in err.value.msg
    assert err.value.line == 1


def test_unsafe_token_is_refused_on_write():
    with pytest.raises(GrubConfigError) as err:
        XenCfg('').set_tokens(['smt=0', 'a;reboot'])
    assert err.value.msg == 'token "a;reboot" holds characters unsafe on a GRUB/shell command line'


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


def test_editor_owns_tokens_by_how_they_are_written():
    assert grubcfg.token_name('no-smt') == 'no-smt'
    assert grubcfg.token_name('dom0_mem=1G,max:1G') == 'dom0_mem'
    assert grubcfg.token_owned_by('no-smt', 'smt') and not grubcfg.token_owned_by('no-smt=1', 'smt')
    # the editor renders through xencmdline (one renderer for the collection)
    assert merge_tokens([], {'ucode': ['scan', 'nmi=0']}) == ['ucode=scan,nmi=0']


def test_overriding_files_and_assignments():
    assert grubcfg.overriding_files('/etc/default/grub.d/xen.cfg',
                                    ['init-select.cfg', 'xen.cfg', 'zz-local.cfg', 'xenguard.txt']) == ['zz-local.cfg']
    assert grubcfg.assigns_variable(DEBIAN_XEN_CFG) == []
    assert grubcfg.assigns_variable('x=1\nGRUB_CMDLINE_XEN_DEFAULT="a"\n') == [2]


@pytest.mark.parametrize('line,tokens,kept', [
    ('GRUB_CMDLINE_XEN_DEFAULT="smt=0"  # was "smt=1"\n', ['smt=0'], '  # was "smt=1"\n'),
    ("GRUB_CMDLINE_XEN_DEFAULT='smt=0 iommu=1' # 'quoted'\n", ['smt=0', 'iommu=1'], " # 'quoted'\n"),
    ('GRUB_CMDLINE_XEN_DEFAULT=smt=0 # bare\n', ['smt=0'], ' # bare\n'),
])
def test_comments_and_quotes_around_the_value(line, tokens, kept):
    cfg = XenCfg(line)
    assert cfg.tokens == tokens
    cfg.set_tokens(['smt=0', 'pv=no-32'])
    assert cfg.render().endswith(kept)
    assert XenCfg(cfg.render()).tokens == ['smt=0', 'pv=no-32']


@pytest.mark.parametrize('line', ["GRUB_CMDLINE_XEN_DEFAULT=''\n", 'GRUB_CMDLINE_XEN_DEFAULT=""\n',
                                  'GRUB_CMDLINE_XEN_DEFAULT=\n'])
def test_empty_quoted_values(line):
    cfg = XenCfg(line)
    assert cfg.tokens == [] and cfg.assignments == 1
    cfg.set_tokens(['smt=0'])
    assert XenCfg(cfg.render()).tokens == ['smt=0']


@pytest.mark.parametrize('text, msg', [
    ('GRUB_CMDLINE_XEN_DEFAULT="a b\n', 'GRUB_CMDLINE_XEN_DEFAULT: unterminated quote in the assignment'),
    ('GRUB_CMDLINE_XEN="a"; x\n', 'GRUB_CMDLINE_XEN: unexpected text after the value ("; x"); the line cannot be '
     'managed safely'),
    ('GRUB_CMDLINE_XEN_DEFAULT="$X"\n', 'GRUB_CMDLINE_XEN_DEFAULT uses shell expansion ($X); it cannot be merged '
     'safely. Write the options literally, for example GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=4G,max:4G smt=0"'),
])
def test_refusal_messages_in_full(text, msg):
    with pytest.raises(GrubConfigError) as err:
        XenCfg(text)
    assert err.value.msg == msg


def test_single_quotes_expand_nothing_and_crlf_lines_are_read():
    # sh: nothing expands inside single quotes, so $ and ` there are plain characters
    assert XenCfg("GRUB_CMDLINE_XEN_DEFAULT='$X smt=0'\n").tokens == ['$X', 'smt=0']
    cfg = XenCfg('GRUB_CMDLINE_XEN_DEFAULT="smt=0 iommu=1"\r\nX=1\r\n')
    assert cfg.tokens == ['smt=0', 'iommu=1']
    cfg.set_tokens(['smt=0'])
    assert cfg.render() == 'GRUB_CMDLINE_XEN_DEFAULT="smt=0"\r\nX=1\r\n'


def test_a_new_assignment_is_double_quoted_and_written_once():
    cfg = XenCfg('# nothing here\n')
    cfg.set_tokens(['smt=0'])
    assert cfg.render() == '# nothing here\nGRUB_CMDLINE_XEN_DEFAULT="smt=0"\n'
    assert cfg.tokens == ['smt=0']
    cfg.set_tokens(['smt=0', 'pv=no-32'])
    assert cfg.render() == '# nothing here\nGRUB_CMDLINE_XEN_DEFAULT="smt=0 pv=no-32"\n'
    assert cfg.tokens == ['smt=0', 'pv=no-32']
