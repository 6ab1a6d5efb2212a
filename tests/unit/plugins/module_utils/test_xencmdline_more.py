# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""More of the Xen command line as Xen reads it: the corners of spec-ctrl=, xpti=, pv-l1tf=, conring_size=
and the integer limits that test_xencmdline.py leaves open. Every expected value comes from Xen's source at
the RELEASE-4.17.0 / RELEASE-4.20.0 tags (the file and function are named next to each group)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import xencmdline as xc


# ---------------------------------------------------------------- integers (grant_table.c parse_gnttab_limit)

@pytest.mark.parametrize('cmdline', ['', 'console=com1', 'gnttab_max_frames=x', 'gnttab_max_frames=12x',
                                     'gnttab_max_framesx=1', 'no-gnttab_max_frames'])
def test_last_integer_is_none_when_nothing_sets_the_option(cmdline):
    """An absent or invalid gnttab_max_frames= leaves Xen's default: grant_table.c parse_gnttab_limit returns
    -EINVAL without assigning when simple_strtoul stops before the end, and kernel.c parse_params hands
    ``no-name`` to the custom parser as "no". The caller must see None ("not set"), not any other value."""
    assert xc.last_integer(cmdline, 'gnttab_max_frames') is None


def test_last_integer_leaves_out_values_above_the_maximum_xen_takes():
    # grant_table.c parse_gnttab_limit refuses "val > INT_MAX" (-ERANGE): the value before it stays
    tokens = 'gnttab_max_frames=128 gnttab_max_frames=2147483648'
    assert xc.last_integer(tokens, 'gnttab_max_frames', maximum=0x7fffffff) == 128
    assert xc.last_integer(tokens + ' gnttab_max_frames=2147483647', 'gnttab_max_frames', maximum=0x7fffffff) == 0x7fffffff
    assert xc.last_integer(tokens, 'gnttab_max_frames') == 2147483648


def test_last_integer_takes_the_last_valid_value():
    """Each valid occurrence assigns (parse_gnttab_limit: simple_strtoul base 0, so 0x hex and 0-octal)."""
    assert xc.last_integer('gnttab_max_frames=0x40 gnttab_max_frames=bad', 'gnttab_max_frames') == 64
    assert xc.last_integer('gnttab_max_frames=32 gnttab_max_frames=010', 'gnttab_max_frames') == 8


# ---------------------------------------------------------------- conring_size (kernel.c assign_integer_param)
# console.c: static uint32_t opt_conring_size; size_param("conring_size", ...). kernel.c parse_params OPT_SIZE
# assigns parse_size_and_unit()'s value through assign_integer_param, which for a uint32 refuses
# "val > UINT32_MAX" (-EOVERFLOW, nothing assigned) and assigns UINT32_MAX itself. console_init_ring then asks
# for get_order_from_bytes(size) pages: a power of two of 4 KiB pages, at least the static 16 KiB ring.

@pytest.mark.parametrize('cmdline,cpus,ring', [
    ('conring_size=4294967295B', None, (1 << 32, 'explicit')),            # UINT32_MAX is assigned: order 20
    ('conring_size=4194303K', None, (1 << 32, 'explicit')),               # 4 GiB - 1 KiB fits a uint32
    ('conring_size=4G', None, (None, 'default')),                         # 2^32 overflows: not assigned
    ('conring_size=4G', 2, (16384, 'default')),                           # default: 2 << (9 + 3), raised to 16 KiB
    ('conring_size=4194304K', 2, (16384, 'default')),                     # the same 2^32, written in KiB
    ('conring_size=1M conring_size=4G', None, (1 << 20, 'explicit')),     # the overflow keeps the earlier 1M
    ('conring_size=4G conring_size=64K', None, (65536, 'explicit')),
])
def test_conring_size_uint32_boundary(cmdline, cpus, ring):
    """conring_size= is a uint32: exactly UINT32_MAX is taken, one byte more is refused and changes nothing."""
    assert xc.conring_bytes(cmdline, cpus) == ring


# ---------------------------------------------------------------- spec-ctrl= (spec_ctrl.c parse_spec_ctrl)
# What "disable_common" sets at RELEASE-4.20.0 (reached by spec-ctrl=no and by spec-ctrl=no-xen / xen=0):
# rsb, verw, ibpb-entry and bhb-entry for pv, hvm and dom0; opt_thunk = THUNK_JMP; opt_bhb_seq = BHB_NONE;
# ibrs, ibpb (opt_ibpb_ctxt_switch), ssbd, l1d-flush, branch-harden, lock-harden, srb-lock, unpriv-mmio,
# gds-mit, div-scrub, bp-spec-reduce all off.

def _common_off(token):
    state = dict((key, (False, token)) for key in (
        'rsb=pv', 'rsb=hvm', 'verw=pv', 'verw=hvm', 'ibpb-entry=pv', 'ibpb-entry=hvm', 'ibpb-entry=dom0',
        'bhb-entry=pv', 'bhb-entry=hvm', 'bhb-entry=dom0', 'ibrs', 'ibpb', 'ssbd', 'l1d-flush', 'branch-harden',
        'lock-harden', 'srb-lock', 'unpriv-mmio', 'gds-mit', 'div-scrub', 'bp-spec-reduce'))
    state['bti-thunk'] = ('jmp', token)
    state['bhb-seq'] = ('none', token)
    return state


@pytest.mark.parametrize('token', ['spec-ctrl=no-xen', 'spec-ctrl=xen=0', 'spec-ctrl=xen=off'])
def test_spec_ctrl_no_xen_is_exactly_disable_common(token):
    """spec-ctrl=no-xen (parse_boolean("xen") == 0 -> goto disable_common): Xen's own protections only;
    the guest settings (msr-sc, eager-fpu) and xpti, pv-l1tf, tsx are left alone."""
    assert xc.spec_ctrl_state(token) == _common_off(token)


def test_spec_ctrl_items_after_no_xen_still_apply():
    """parse_spec_ctrl walks every comma-separated item (do { ... s = ss + 1; } while ( *ss )): an item after
    no-xen turns its setting back on, in the same token."""
    token = 'spec-ctrl=no-xen,ibpb,bti-thunk=retpoline'
    expected = _common_off(token)
    expected['ibpb'] = (True, token)
    expected['bti-thunk'] = ('retpoline', token)
    assert xc.spec_ctrl_state(token) == expected


def test_spec_ctrl_items_after_no_still_apply():
    """The same for the global spec-ctrl=no: a later item of the same token wins over what "no" set."""
    state = xc.spec_ctrl_state('spec-ctrl=no,ibpb,rsb=hvm')
    assert state['ibpb'] == (True, 'spec-ctrl=no,ibpb,rsb=hvm')
    assert state['rsb=hvm'] == (True, 'spec-ctrl=no,ibpb,rsb=hvm')
    assert state['rsb=pv'] == (False, 'spec-ctrl=no,ibpb,rsb=hvm')
    assert state['msr-sc=pv'] == (False, 'spec-ctrl=no,ibpb,rsb=hvm')


@pytest.mark.parametrize('word', ['1', 'on', 'yes', 'true', 'enable'])
def test_spec_ctrl_positive_boolean_changes_nothing(word):
    """parse_spec_ctrl: a positive boolean is "rc = -EINVAL" and sets nothing; the other items still apply."""
    token = 'spec-ctrl=%s,no-ibrs' % word
    assert xc.spec_ctrl_state(token) == {'ibrs': (False, token)}


def test_refused_no_spec_ctrl_with_value_does_not_stop_the_line():
    """kernel.c parse_params, OPT_CUSTOM: ``no-spec-ctrl=1`` is refused (-EINVAL, the parser is never called);
    Xen goes on with the next token."""
    assert xc.spec_ctrl_state('no-spec-ctrl=1 spec-ctrl=no-ibpb tsx=0') == {
        'ibpb': (False, 'spec-ctrl=no-ibpb'), 'tsx': (False, 'tsx=0')}
    assert xc.spec_ctrl_state('no-xpti=1 xpti=no-dom0') == {'xpti=dom0': (False, 'xpti=no-dom0')}


# parse_spec_ctrl "Xen's alternative blocks": pv=/hvm= set msr-sc, rsb, verw, ibpb-entry and bhb-entry of that
# guest type (RELEASE-4.20.0; 4.17.0 has the first four, verw then spelled md_clear).
@pytest.mark.parametrize('token,value,guest', [
    ('spec-ctrl=pv=0', False, 'pv'), ('spec-ctrl=no-pv', False, 'pv'), ('spec-ctrl=pv', True, 'pv'),
    ('spec-ctrl=hvm=0', False, 'hvm'), ('spec-ctrl=hvm=on', True, 'hvm'),
])
def test_spec_ctrl_guest_blocks(token, value, guest):
    """spec-ctrl=pv=<bool> / hvm=<bool>: exactly the five per-guest settings, nothing for dom0 or the other guest."""
    assert xc.spec_ctrl_state(token) == dict(('%s=%s' % (key, guest), (value, token))
                                             for key in ('msr-sc', 'rsb', 'verw', 'ibpb-entry', 'bhb-entry'))


# parse_spec_ctrl: ibpb-entry=<bool> and bhb-entry=<bool> set opt_*_pv = opt_*_hvm = opt_*_dom0 = val;
# msr-sc=, rsb=, verw= (md-clear=) have no dom0 part; "<name>=pv=<bool>" sets one guest type.
@pytest.mark.parametrize('token,expected', [
    ('spec-ctrl=ibpb-entry=0', {'ibpb-entry=pv': False, 'ibpb-entry=hvm': False, 'ibpb-entry=dom0': False}),
    ('spec-ctrl=no-ibpb-entry', {'ibpb-entry=pv': False, 'ibpb-entry=hvm': False, 'ibpb-entry=dom0': False}),
    ('spec-ctrl=ibpb-entry', {'ibpb-entry=pv': True, 'ibpb-entry=hvm': True, 'ibpb-entry=dom0': True}),
    ('spec-ctrl=bhb-entry=off', {'bhb-entry=pv': False, 'bhb-entry=hvm': False, 'bhb-entry=dom0': False}),
    ('spec-ctrl=rsb=0', {'rsb=pv': False, 'rsb=hvm': False}),
    ('spec-ctrl=md-clear=0', {'verw=pv': False, 'verw=hvm': False}),
    ('spec-ctrl=ibpb-entry=pv=0', {'ibpb-entry=pv': False}),
    ('spec-ctrl=ibpb-entry=no-hvm', {'ibpb-entry=hvm': False}),
    ('spec-ctrl=rsb=pv=0', {'rsb=pv': False}),
    ('spec-ctrl=rsb=hvm=0', {'rsb=hvm': False}),
    ('spec-ctrl=msr-sc=dom0=0', {}),                    # "else default: rc = -EINVAL": nothing set
])
def test_spec_ctrl_split_options(token, expected):
    assert xc.spec_ctrl_state(token) == dict((key, (value, token)) for key, value in expected.items())


# parse_spec_ctrl: bhb-seq= compares with cmdline_strcmp against none, tsx, short, long (RELEASE-4.20.0).
@pytest.mark.parametrize('word', ['none', 'tsx', 'short', 'long'])
def test_spec_ctrl_bhb_seq_words(word):
    """Each of Xen's four bhb-seq= words selects that sequence."""
    token = 'spec-ctrl=bhb-seq=%s' % word
    assert xc.spec_ctrl_state(token) == {'bhb-seq': (word, token)}


def test_spec_ctrl_bhb_seq_unknown_word_sets_nothing():
    """Any other word is "rc = -EINVAL" and leaves the setting alone."""
    assert xc.spec_ctrl_state('spec-ctrl=bhb-seq=long spec-ctrl=bhb-seq=longer') == {
        'bhb-seq': ('long', 'spec-ctrl=bhb-seq=long')}


# ---------------------------------------------------------------- xpti= / pv-l1tf= (spec_ctrl.c parse_xpti,
# parse_pv_l1tf): dom0=<bool> sets opt_*_hwdom, domu=<bool> opt_*_domu, each on its own.

@pytest.mark.parametrize('token,expected', [
    ('xpti=no-dom0', {'xpti=dom0': False}),
    ('xpti=dom0=1,no-domu', {'xpti=dom0': True, 'xpti=domu': False}),
    ('xpti=domu', {'xpti=domu': True}),
    ('pv-l1tf=domu=0', {'pv-l1tf=domu': False}),
    ('pv-l1tf=dom0=off', {'pv-l1tf=dom0': False}),
    ('pv-l1tf=dom0,domu=0', {'pv-l1tf=dom0': True, 'pv-l1tf=domu': False}),
])
def test_dom0_domu_items(token, expected):
    assert xc.spec_ctrl_state(token) == dict((key, (value, token)) for key, value in expected.items())


# ---------------------------------------------------------------- mitigations_off: the reason text
# Which settings a token leaves off follows parse_spec_ctrl as above; the text lists what the token turns off
# first, then what it selects (bti-thunk=jmp, bhb-seq=none), then TSX.

@pytest.mark.parametrize('cmdline,why', [
    ('spec-ctrl=no-ibrs,no-ibpb,no-l1d-flush,no-branch-harden,no-srb-lock,no-gds-mit',
     'turns off branch-harden, gds-mit, ibpb, ibrs, l1d-flush, srb-lock'),
    ('spec-ctrl=no-ibrs,no-ibpb,no-l1d-flush,no-branch-harden,no-srb-lock,no-gds-mit,no-div-scrub',
     'turns off branch-harden, div-scrub, gds-mit, ibpb, ibrs, l1d-flush, 1 more'),
    ('spec-ctrl=pv=0,hvm=0',
     'turns off bhb-entry=hvm, bhb-entry=pv, ibpb-entry=hvm, ibpb-entry=pv, msr-sc=hvm, msr-sc=pv, 4 more'),
    ('spec-ctrl=bti-thunk=jmp,no-rsb', 'turns off rsb=hvm, rsb=pv; selects bti-thunk=jmp'),
    ('spec-ctrl=no-xen',
     'turns off bhb-entry=hvm, bhb-entry=pv, bp-spec-reduce, branch-harden, div-scrub, gds-mit, 10 more; '
     'selects bhb-seq=none, bti-thunk=jmp'),
    ('spec-ctrl=no',
     'turns off bhb-entry=hvm, bhb-entry=pv, bp-spec-reduce, branch-harden, div-scrub, eager-fpu, 17 more; '
     'selects bhb-seq=none, bti-thunk=jmp; keeps TSX enabled (TAA)'),
])
def test_mitigations_off_reason(cmdline, why):
    """At most six settings are named, the rest counted; "turns off" comes first whatever the key order."""
    assert xc.mitigations_off(cmdline) == [(cmdline, why)]


# ---------------------------------------------------------------- writing ucode= (microcode/core.c parse_ucode)
# RELEASE-4.17.0 parse_ucode: "else if ( (val = parse_boolean("allow-same", s, ss)) >= 0 )
# opt_ucode_allow_same = val;" - so allow-same, no-allow-same and allow-same=<bool> are all items of 4.17.
# RELEASE-4.20.0 parse_ucode has no allow-same branch: the item falls to simple_strtol and is -EINVAL.

@pytest.mark.parametrize('value', ['allow-same', 'no-allow-same', 'allow-same=0', 'allow-same=off', 'scan,no-allow-same'])
def test_ucode_allow_same_in_any_form_is_valid_on_4_17(value):
    assert xc.validate_option('ucode', value, '4.17.5') is None


@pytest.mark.parametrize('value,item', [
    ('no-allow-same', 'no-allow-same'), ('allow-same=0', 'allow-same=0'), ('scan,allow-same=false', 'allow-same=false'),
])
def test_ucode_allow_same_in_any_form_is_refused_for_4_20(value, item):
    """Also the "off" forms: 4.20 does not know the item at all, whatever its value."""
    with pytest.raises(xc.XenCmdlineError) as exc:
        xc.validate_option('ucode', value, '4.20.0')
    assert exc.value.msg == 'ucode=%s: "%s" was removed in Xen 4.20; write ucode=scan instead' % (value, item)


# ---------------------------------------------------------------- writing gnttab= (grant_table.c parse_gnttab)
# parse_gnttab: "!strncmp(s, "max-ver:", 8) || !strncmp(s, "max_ver:", 8)" (the second is the alias of the
# original XSA-226 patch); with "=" instead of ":" neither matches and the item is -EINVAL.

@pytest.mark.parametrize('value,item', [('max_ver=2', 'max_ver=2'), ('max-ver=1', 'max-ver=1'), ('transitive,max_ver=1', 'max_ver=1')])
def test_gnttab_max_ver_with_equals_is_refused_with_the_colon_hint(value, item):
    """Both spellings, the alias included, are pointed to the colon form."""
    with pytest.raises(xc.XenCmdlineError) as exc:
        xc.validate_option('gnttab', value)
    assert exc.value.msg == ('gnttab=%s: "%s" uses "=" where Xen expects a colon (max-ver:2); write gnttab=max-ver:2 '
                             'instead' % (value, item))


@pytest.mark.parametrize('value', ['max_ver:1', 'max-ver:2', 'max_ver:2,no-transitive'])
def test_gnttab_max_ver_alias_is_valid(value):
    assert xc.validate_option('gnttab', value) is None


# ---------------------------------------------------------------- spec-ctrl sub-options per release
# The first stable-4.17 / stable-4.20 commit whose spec_ctrl.c parse_spec_ctrl reads the sub-option, and the
# XEN_EXTRAVERSION in xen/Makefile at that commit (git log -S on the stable branches of the Xen mirror):
#   gds-mit 4.17.2-pre; div-scrub 4.17.3-pre; verw, lock-harden, bhi-dis-s, bhb-entry, bhb-seq 4.17.4-pre
#   (all ancestors of "Update Xen version to 4.17.4"); bp-spec-reduce after 4.17.6, so 4.17.7; all of these
#   are in RELEASE-4.20.0's parse_spec_ctrl. ibpb-alt: never on stable-4.17, not in RELEASE-4.20.0, added
#   on stable-4.20 at 4.20.1-pre. Options of 4.17.0 (ibrs, md-clear, ibpb-entry...) are known everywhere.

@pytest.mark.parametrize('sub,first_417', [
    ('verw', 4), ('lock-harden', 4), ('bhi-dis-s', 4), ('bhb-entry', 4), ('bhb-seq', 4),
    ('gds-mit', 2), ('div-scrub', 3), ('bp-spec-reduce', 7),
])
def test_spec_ctrl_sub_option_releases(sub, first_417):
    """Known from its first 4.17 point release on and in 4.20.0; unknown in the 4.17 release before."""
    assert xc.spec_ctrl_known(sub, '4.17.%d' % first_417) is True
    assert xc.spec_ctrl_known(sub, '4.17.%d' % (first_417 - 1)) is False
    assert xc.spec_ctrl_known(sub, '4.20.0') is True
    assert xc.spec_ctrl_known(sub, (4, 20)) is True


@pytest.mark.parametrize('sub,version,known', [
    ('ibpb-alt', '4.20.0', False), ('ibpb-alt', '4.20.1', True), ('ibpb-alt', '4.17.7', False),
    ('ibrs', '4.17.0', True), ('md-clear', '4.17.0', True), ('ibpb-entry', '4.20.0', True),
])
def test_spec_ctrl_other_releases(sub, version, known):
    assert xc.spec_ctrl_known(sub, version) is known


def test_spec_ctrl_item_unknown_to_the_release_is_refused():
    """validate_option names the release that does not have the sub-option."""
    with pytest.raises(xc.XenCmdlineError) as exc:
        xc.validate_option('spec-ctrl', 'bhb-seq=short', '4.17.3')
    assert exc.value.msg == 'spec-ctrl=bhb-seq=short: "bhb-seq=short" is not known to Xen 4.17.3'
    assert xc.validate_option('spec-ctrl', 'bhb-seq=short,no-bhi-dis-s,verw=pv=0', '4.17.4') is None


# ---------------------------------------------------------------- writing spec-ctrl= (spec_ctrl.c parse_spec_ctrl)
# The plain sub-options are "else if ( (val = parse_boolean("ibrs", s, ss)) >= 0 ) opt_ibrs = val;": the "off"
# forms (no-ibrs, ibrs=0) are accepted exactly like the "on" forms (RELEASE-4.17.0 and RELEASE-4.20.0).

@pytest.mark.parametrize('value,version', [
    ('no-ibrs', '4.17.0'), ('ibrs=0', '4.20.0'), ('no-eager-fpu', None), ('l1d-flush=off', '4.17.0'),
    ('no-ssbd,stibp=0,no-psfd', '4.20.0'), ('no-gds-mit', '4.17.2'), ('no-bp-spec-reduce', '4.20.0'),
])
def test_spec_ctrl_plain_sub_option_off_forms_are_valid(value, version):
    assert xc.validate_option('spec-ctrl', value, version) is None


def test_spec_ctrl_plain_sub_option_off_form_still_checked_against_the_release():
    with pytest.raises(xc.XenCmdlineError) as exc:
        xc.validate_option('spec-ctrl', 'no-gds-mit', '4.17.1')
    assert exc.value.msg == 'spec-ctrl=no-gds-mit: "no-gds-mit" is not known to Xen 4.17.1'


# "<name>=pv=<bool>": after "s += strlen("rsb=")" Xen takes parse_boolean("pv") / parse_boolean("hvm") >= 0 only;
# pv=<not a boolean> gives -2 and falls to "default: rc = -EINVAL".
@pytest.mark.parametrize('value,item', [
    ('rsb=pv=maybe', 'rsb=pv=maybe'), ('verw=hvm=ON', 'verw=hvm=ON'), ('ibpb,msr-sc=pv=2', 'msr-sc=pv=2'),
    ('md-clear=hvm=', 'md-clear=hvm='),
])
def test_spec_ctrl_guest_part_needs_a_boolean(value, item):
    with pytest.raises(xc.XenCmdlineError) as exc:
        xc.validate_option('spec-ctrl', value)
    assert exc.value.msg == 'spec-ctrl=%s: "%s" takes a boolean or pv=<bool> / hvm=<bool>' % (value, item)


@pytest.mark.parametrize('value', ['rsb=pv=0', 'verw=no-hvm', 'bhb-entry=hvm=1', 'msr-sc=pv'])
def test_spec_ctrl_guest_part_with_a_boolean_is_valid(value):
    assert xc.validate_option('spec-ctrl', value, '4.20.0') is None


# ---------------------------------------------------------------- writing limits
# conring_size: console.c console_init_ring rounds the size up to a power-of-two number of pages and stores
# "PAGE_SIZE << order" in the uint32_t opt_conring_size: above 2 GiB the order is 20 (4 GiB), which becomes 0
# (RELEASE-4.17.0 and RELEASE-4.20.0 alike), so the collection writes 2 GiB at the most.
# gnttab_max_frames / gnttab_max_maptrack_frames: grant_table.c parse_gnttab_limit
# "if ( val > INT_MAX ) return -ERANGE;" - INT_MAX itself is taken, INT_MAX + 1 is not.

CONRING_TOO_BIG = 'larger than 2 GiB: Xen rounds it up to 4 GiB, more than its 32-bit ring size holds; write ' \
    'conring_size=2G at the most instead'


@pytest.mark.parametrize('name,value,why', [
    ('conring_size', '2097153K', CONRING_TOO_BIG),
    ('conring_size', '0x80000001B', CONRING_TOO_BIG),
    ('conring_size', '4G', CONRING_TOO_BIG),
    ('conring_size', '4294967295B', CONRING_TOO_BIG),
    ('gnttab_max_frames', '2147483648', 'larger than INT_MAX, which Xen refuses'),
    ('gnttab_max_maptrack_frames', '0x80000000', 'larger than INT_MAX, which Xen refuses'),
])
def test_limits_just_past_what_xen_stores_are_refused(name, value, why):
    with pytest.raises(xc.XenCmdlineError) as exc:
        xc.validate_option(name, value)
    assert exc.value.msg == '%s=%s: %s' % (name, value, why)


@pytest.mark.parametrize('value', ['2G', '2097152K', '2147483648B', '0x200000'])
def test_a_console_ring_of_2_gib_is_valid(value):
    assert xc.validate_option('conring_size', value) is None


@pytest.mark.parametrize('name,value', [
    ('gnttab_max_frames', '2147483647'), ('gnttab_max_maptrack_frames', '0x7fffffff'), ('gnttab_max_frames', 2147483647),
])
def test_gnttab_limit_int_max_itself_is_valid(name, value):
    assert xc.validate_option(name, value) is None


# ---------------------------------------------------------------- writing word options: every word Xen knows
# sched=: the .opt_name of each scheduler in xen/common/sched/ (credit.c, credit2.c, arinc653.c, rt.c "rtds",
# null.c); flask=: xsm/flask/flask_op.c parse_flask_param strcmp()s enforcing, late, disabled, permissive;
# xsm=: xsm/xsm_core.c parse_xsm_param dummy, flask, silo; sched-gran=: common/sched/cpupool.c cpu, core,
# socket. Identical at RELEASE-4.17.0 and RELEASE-4.20.0.

@pytest.mark.parametrize('name,value', [
    ('sched', 'credit'), ('sched', 'credit2'), ('sched', 'arinc653'), ('sched', 'rtds'), ('sched', 'null'),
    ('flask', 'permissive'), ('flask', 'enforcing'), ('flask', 'late'), ('flask', 'disabled'),
    ('xsm', 'dummy'), ('xsm', 'flask'), ('xsm', 'silo'),
    ('sched-gran', 'cpu'), ('sched-gran', 'core'), ('sched-gran', 'socket'),
])
def test_every_word_xen_knows_is_valid(name, value):
    assert xc.validate_option(name, value, '4.17.0') is None
    assert xc.validate_option(name, value, '4.20.0') is None


# ---------------------------------------------------------------- validate_options: the whole mapping
# kernel.c parse_params reads "no-smt" as option smt inverted, so a mapping with both smt and no-smt would put
# two settings of one option on the line; the message names both keys as given.

@pytest.mark.parametrize('options,msg', [
    ({'smt': 0, 'no-smt': True}, 'conflicting options: both "smt" and "no-smt" are given'),
    ({'no-hap': True, 'hap': False}, 'conflicting options: both "hap" and "no-hap" are given'),
    ({'pv-linear-pt': True, 'no-pv-linear-pt': True}, 'conflicting options: both "pv-linear-pt" and "no-pv-linear-pt" are given'),
])
def test_validate_options_conflicting_no_form(options, msg):
    with pytest.raises(xc.XenCmdlineError) as exc:
        xc.validate_options(options, '4.20.0')
    assert exc.value.msg == msg


@pytest.mark.parametrize('options', [['smt'], 'smt=0', None, (('smt', 0),)])
def test_validate_options_needs_a_mapping(options):
    with pytest.raises(xc.XenCmdlineError) as exc:
        xc.validate_options(options)
    assert exc.value.msg == 'options must be a mapping of option name to value'
