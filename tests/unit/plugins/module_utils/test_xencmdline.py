# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Xen command line as Xen reads it. Every verdict here was checked against Xen's source at the
RELEASE-4.17.x and RELEASE-4.20.x tags (the file and function are named next to each table)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import xencmdline as xc
from ansible_collections.xenguard.hardening.plugins.module_utils.xencmdline import XenCmdlineError


# ---------------------------------------------------------------- tokens (kernel.c parse_params)

def test_split_drops_placeholder_and_accepts_lists():
    tokens = xc.split('placeholder  console=com1 iommu=required  smt=0 ')
    assert tokens == ['console=com1', 'iommu=required', 'smt=0']
    assert xc.split(None) == []
    assert xc.split(['placeholder', 'smt=0', 1]) == ['smt=0', '1']


@pytest.mark.parametrize('token,parts', [
    ('smt', ('smt', '', False)),
    ('no-smt', ('smt', '', True)),
    ('no-smt=1', ('smt', '1', True)),
    ('spec-ctrl=xen=0', ('spec-ctrl', 'xen=0', False)),        # the value holds "="
    ('dom0_mem=1G,max:1G', ('dom0_mem', '1G,max:1G', False)),
])
def test_token_parts(token, parts):
    assert xc.token_parts(token) == parts
    assert xc.token_name(token) == parts[0]


def test_occurrences_and_custom_values():
    tokens = ['iommu=1', 'no-iommu', 'no-iommu=1', 'iommux=1', 'iommu']
    assert [v for _t, v, _n in xc.occurrences(tokens, 'iommu')] == ['1', '', '1', '']
    # parse_params: OPT_CUSTOM gets "no" for no-name and refuses no-name=value
    assert xc.custom_values(tokens, 'iommu') == [('iommu=1', '1'), ('no-iommu', 'no'), ('iommu', '')]


# ---------------------------------------------------------------- booleans (kernel.c parse_bool/parse_boolean)

@pytest.mark.parametrize('word,value', [
    ('1', True), ('on', True), ('yes', True), ('true', True), ('enable', True),
    ('0', False), ('no', False), ('off', False), ('false', False), ('disable', False),
    ('OFF', None), ('Yes', None), ('TRUE', None), ('Disable', None), ('', None), ('2', None), ('enabled', None),
    (' no', None), ('no ', None),
])
def test_parse_bool_is_exact_and_case_sensitive(word, value):
    assert xc.parse_bool(word) is value


@pytest.mark.parametrize('item,value', [
    ('ibpb', 1), ('no-ibpb', 0), ('ibpb=0', 0), ('ibpb=on', 1), ('ibpb=maybe', -2), ('ibpb=ON', -2),
    ('no-ibpb=1', -1), ('ibpb-entry', -1), ('ibp', -1), ('xibpb', -1), ('ibpbx=1', -1),
])
def test_parse_boolean(item, value):
    assert xc.parse_boolean('ibpb', item) == value


@pytest.mark.parametrize('item,word,same', [
    ('none', 'none', True), ('none,x', 'none', True), ('none=1', 'none', True), ('none:', 'none', True),
    ('none;', 'none', True), ('nonex', 'none', False), ('noneX', 'none', False), ('non', 'none', False),
])
def test_cmdline_strcmp(item, word, same):
    assert xc.cmdline_strcmp(item, word) is same


@pytest.mark.parametrize('cmdline,value', [
    ('smt=0', False), ('smt', True), ('no-smt', False), ('no-smt=0', True), ('no-smt=1', False),
    ('smt=OFF', None), ('smt=0 smt=OFF', False), ('smt=0 smt=on', True), ('', None), ('smtx=0', None),
    ('smt=OFF smt=0', False), ('smt=1 smt=OFF smt=0', False),
])
def test_bool_option(cmdline, value):
    # kernel.c parse_params OPT_BOOL: an invalid value leaves the setting alone
    assert xc.bool_option(cmdline, 'smt') is value


# ---------------------------------------------------------------- sizes (lib/parse-size.c, strtoull base 0)

@pytest.mark.parametrize('text,value,rest', [
    ('16', 16 << 10, ''), ('16k', 16 << 10, ''), ('16K', 16 << 10, ''), ('1m', 1 << 20, ''), ('2G', 2 << 30, ''),
    ('1t', 1 << 40, ''), ('512b', 512, ''), ('512B', 512, ''), ('0x100000', 0x100000 << 10, ''),
    ('0X10M', 16 << 20, ''), ('0x1', 1 << 10, ''), ('0xG', 0, 'xG'), ('0xX', 0, 'xX'), ('0Xf', 15 << 10, ''),
    ('010', 8 << 10, ''), ('08', 0, '8'), ('0x', 0, 'x'), ('', 0, ''),
    ('-1', 0, '-1'), ('1Q', 1 << 10, 'Q'), ('50%', 50, '%'), ('0xbb', 0xbb << 10, ''),
])
def test_parse_size_and_unit(text, value, rest):
    assert xc.parse_size_and_unit(text) == (value, rest)


@pytest.mark.parametrize('text,value', [
    ('64k', 65536), ('0x100000', 0x100000 << 10), ('010', 8192), ('0', 0), ('1M ', None), ('-1M', None),
    ('lots', None), ('1Mx', None),
])
def test_size_bytes(text, value):
    assert xc.size_bytes(text) == value


@pytest.mark.parametrize('text,value', [('64', 64), ('0x40', 64), ('0100', 64), ('', None), ('-1', None),
                                        ('1k', None)])
def test_integer(text, value):
    assert xc.integer(text) == value


@pytest.mark.parametrize('version,result', [
    ('4.17.5', (4, 17, 5)), ('4.20.5-pre', (4, 20, 5)), ((4, 20), (4, 20, 0)), ('4', None), (None, None),
    ('garbage', None), ([4, 'x'], None),
])
def test_version_tuple(version, result):
    assert xc.version_tuple(version) == result


# ---------------------------------------------------------------- dom0_mem (x86/dom0_build.c parse_dom0_mem)

def test_dom0_mem_is_cumulative():
    mem = xc.dom0_mem('dom0_mem=4G dom0_mem=max:4G,min:1G')
    assert mem['size']['bytes'] == mem['max']['bytes'] == 4 << 30
    assert mem['min']['bytes'] == 1 << 30
    assert xc.dom0_mem('console=com1') is None
    assert xc.dom0_mem('dom0_mem=1G dom0_mem=2G')['size']['bytes'] == 2 << 30


@pytest.mark.parametrize('value,part,expected', [
    ('-1G', 'size', {'minus': True, 'bytes': 1 << 30, 'percent': 0, 'text': '-1G'}),
    ('1G+25%', 'size', {'minus': False, 'bytes': 1 << 30, 'percent': 25, 'text': '1G+25%'}),
    ('max:50%', 'max', {'minus': False, 'bytes': 0, 'percent': 50, 'text': '50%'}),
])
def test_dom0_mem_amounts(value, part, expected):
    assert xc.dom0_mem(['dom0_mem=' + value])[part] == expected


@pytest.mark.parametrize('value', ['', 'lots', '100%', '1G+2G', '25%+1G', '1G+2%+3%', 'max:', 'x:1G', '1G;'])
def test_dom0_mem_refused(value):
    with pytest.raises(XenCmdlineError) as err:
        xc.dom0_mem(['dom0_mem=' + value])
    assert 'is not an amount Xen reads' in err.value.msg


# ---------------------------------------------------------------- iommu= and dom0-iommu= (passthrough/iommu.c)

@pytest.mark.parametrize('cmdline,key,value', [
    ('iommu=required iommu=verbose', 'force', True),
    ('iommu=required=1', 'force', True), ('iommu=force=yes', 'force', True),
    ('iommu=force,no-required', 'force', False), ('iommu=Required', 'force', None),
    ('iommu=on,bogus,required', 'force', True),     # an invalid item does not stop the rest
    ('iommu=no', 'enable', False), ('no-iommu', 'enable', False), ('iommu=1 iommu=0', 'enable', False),
    ('iommu=quarantine=scratch-page', 'quarantine', 'scratch-page'),
    ('iommu=no-quarantine', 'quarantine', False), ('iommu=quarantine', 'quarantine', True),
    ('iommu=dom0-strict', 'dom0_strict', True), ('dom0-iommu=strict,no-strict', 'dom0_strict', False),
    ('iommu=dom0-passthrough=1', 'dom0_passthrough', True), ('dom0-iommu=passthrough', 'dom0_passthrough', True),
    ('dom0-iommu=none', 'dom0_none', True), ('dom0-iommu=none=0', 'dom0_none', True),   # cmdline_strcmp
    ('dom0-iommu=nonex', 'dom0_none', None),
    ('iommu=force=0', 'force', False), ('iommu=no-force', 'force', False), ('iommu=required=no', 'force', False),
    ('iommu=dom0-strict=0', 'dom0_strict', False), ('iommu=no-dom0-passthrough', 'dom0_passthrough', False),
    ('dom0-iommu=passthrough=0', 'dom0_passthrough', False), ('dom0-iommu=no-strict', 'dom0_strict', False),
    ('iommu=dom0-strict=maybe', 'dom0_strict', None), ('dom0-iommu=strict=maybe', 'dom0_strict', None),
])
def test_iommu_state(cmdline, key, value):
    assert xc.iommu_state(cmdline)[key] == value


# ---------------------------------------------------------------- ucode= (x86/cpu/microcode/core.c parse_ucode)

@pytest.mark.parametrize('cmdline,version,loads', [
    ('ucode=scan', '4.17.5', True), ('ucode=scan', '4.20.1', True), ('ucode=-1', '4.20.1', True),
    ('ucode=nmi=0', '4.17.5', False), ('ucode=no-scan', '4.17.5', False), ('ucode=0', '4.17.5', False),
    ('ucode=scan ucode=no-scan', '4.20.1', False), ('ucode=scan,digest-check=0', '4.20.1', True),
    ('ucode=2,scan', '4.20.1', True),
    # 4.20: scan and an index replace each other; 4.17 keeps both
    ('ucode=scan,2,no-scan', '4.17.5', True), ('ucode=scan,2,no-scan', '4.20.1', False),
    ('ucode=2,no-scan', '4.17.5', True), ('ucode=allow-same', '4.17.5', False), ('ucode=x', None, False),
    ('no-ucode', None, False), ('ucode=scan,2,no-scan', None, False), ('ucode=2,no-scan', '4.20.1', False),
    # an item Xen cannot read as a whole number spoils the index: 4.20 sets it back to none, 4.17 to 0
    ('ucode=2,bogus', '4.20.1', False), ('ucode=2,bogus', '4.17.5', False), ('ucode=3x', '4.17.5', True),
    ('ucode=3x', '4.20.1', False), ('ucode=scan,', '4.20.1', False),
])
def test_loads_microcode(cmdline, version, loads):
    if version is None:     # an unknown release is read as the newest (4.20) rules
        assert xc.loads_microcode(cmdline, '4.20.1') is loads
    assert xc.loads_microcode(cmdline, version) is loads


@pytest.mark.parametrize('cmdline,state', [
    ('', {'scan': None, 'module': None, 'nmi': None}),
    ('ucode=nmi=0,allow-same,digest-check=0', {'scan': None, 'module': None, 'nmi': False}),
    ('ucode=no-nmi ucode=nmi', {'scan': None, 'module': None, 'nmi': True}),
    ('ucode=allow-same=0,no-digest-check,scan', {'scan': True, 'module': None, 'nmi': None}),
    # not a boolean, so 4.17's parse_ucode reads it as the module index: simple_strtol gives 0 (and -EINVAL)
    ('ucode=nmi=maybe', {'scan': None, 'module': 0, 'nmi': None}),
])
def test_ucode_state(cmdline, state):
    assert xc.ucode_state(cmdline, '4.17.7') == state


@pytest.mark.parametrize('cmdline,version,state', [
    # 4.20 parse_ucode: scan resets the index, an index turns scan off; 4.17 keeps both
    ('ucode=2,scan', '4.20.1', {'scan': True, 'module': None, 'nmi': None}),
    ('ucode=scan,2', '4.20.1', {'scan': False, 'module': 2, 'nmi': None}),
    ('ucode=scan,2', None, {'scan': False, 'module': 2, 'nmi': None}),
    ('ucode=scan,2', '4.17.7', {'scan': True, 'module': 2, 'nmi': None}),
    ('ucode=-1', '4.17.7', {'scan': None, 'module': -1, 'nmi': None}),
    ('ucode=0x2', '4.17.7', {'scan': None, 'module': 2, 'nmi': None}),
    # an item that is no whole number: 4.17 assigns what simple_strtol read (RELEASE-4.17.0 and stable-4.17
    # parse_ucode: "ucode_mod_idx = simple_strtol(s, &q, 0); if ( q != ss ) rc = -EINVAL;"), 4.20 sets the
    # index back to 0 and keeps scan (RELEASE-4.20.0: "if ( q != ss ) { opt_mod_idx = 0; rc = -EINVAL; }")
    ('ucode=3x', '4.17.7', {'scan': None, 'module': 3, 'nmi': None}),
    ('ucode=2,bogus', '4.17.7', {'scan': None, 'module': 0, 'nmi': None}),
    ('ucode=scan,3x', '4.17.7', {'scan': True, 'module': 3, 'nmi': None}),
    ('ucode=3x', '4.20.1', {'scan': None, 'module': None, 'nmi': None}),
    ('ucode=2,bogus', '4.20.1', {'scan': False, 'module': None, 'nmi': None}),    # 2 turned scan off
    ('ucode=scan,bogus', '4.20.1', {'scan': True, 'module': None, 'nmi': None}),
    # an empty item is a whole number to simple_strtol (nothing read, nothing left): index 0, and from 4.20
    # scan off too
    ('ucode=scan,', '4.20.1', {'scan': False, 'module': 0, 'nmi': None}),
    ('ucode=scan,', '4.17.7', {'scan': True, 'module': 0, 'nmi': None}),
    # allow-same= is a setting of its own up to 4.19 and an index that is no number from 4.20;
    # digest-check= is a setting from 4.17.6 and 4.20.1 only (stable-4.17 / stable-4.20 parse_ucode)
    ('ucode=2,allow-same', '4.17.7', {'scan': None, 'module': 2, 'nmi': None}),
    ('ucode=2,allow-same', '4.20.1', {'scan': False, 'module': None, 'nmi': None}),
    ('ucode=2,digest-check=0', '4.17.6', {'scan': None, 'module': 2, 'nmi': None}),
    ('ucode=2,digest-check=0', '4.17.5', {'scan': None, 'module': 0, 'nmi': None}),
    ('ucode=2,digest-check=0', '4.20.0', {'scan': False, 'module': None, 'nmi': None}),
    ('ucode=2,no-digest-check', '4.20.1', {'scan': False, 'module': 2, 'nmi': None}),
])
def test_ucode_state_per_release(cmdline, version, state):
    assert xc.ucode_state(cmdline, version) == state


def test_states_of_absent_options():
    assert xc.iommu_state('') == dict(enable=None, force=None, quarantine=None, dom0_strict=None,
                                      dom0_passthrough=None, dom0_none=None)
    assert xc.dom0_mem('dom0_mem=max:1G') == {'size': None, 'min': None, 'max': {
        'minus': False, 'bytes': 1 << 30, 'percent': 0, 'text': '1G'}}


# ---------------------------------------------------------------- mitigations (x86/spec_ctrl.c)

@pytest.mark.parametrize('cmdline,offending', [
    ('spec-ctrl=no', ['spec-ctrl=no']), ('spec-ctrl=0', ['spec-ctrl=0']), ('spec-ctrl=disable', ['spec-ctrl=disable']),
    ('no-spec-ctrl', ['no-spec-ctrl']), ('spec-ctrl=no-xen', ['spec-ctrl=no-xen']),
    ('spec-ctrl=xen=0', ['spec-ctrl=xen=0']), ('spec-ctrl=xen=off', ['spec-ctrl=xen=off']),
    ('spec-ctrl=no-xen,BTI', ['spec-ctrl=no-xen,BTI']), ('spec-ctrl=yes,no', ['spec-ctrl=yes,no']),
    ('spec-ctrl=no spec-ctrl=ibpb', ['spec-ctrl=no']), ('spec-ctrl=pv=0', ['spec-ctrl=pv=0']),
    ('spec-ctrl=hvm=no', ['spec-ctrl=hvm=no']), ('spec-ctrl=msr-sc=pv=0', ['spec-ctrl=msr-sc=pv=0']),
    ('spec-ctrl=bti-thunk=jmp', ['spec-ctrl=bti-thunk=jmp']), ('spec-ctrl=bhb-seq=none', ['spec-ctrl=bhb-seq=none']),
    ('spec-ctrl=verw=0', ['spec-ctrl=verw=0']), ('spec-ctrl=md-clear=hvm=0', ['spec-ctrl=md-clear=hvm=0']),
    ('spec-ctrl=ibpb=0', ['spec-ctrl=ibpb=0']), ('spec-ctrl=eager-fpu=0', ['spec-ctrl=eager-fpu=0']),
    ('spec-ctrl=no-gds-mit', ['spec-ctrl=no-gds-mit']), ('xpti=0', ['xpti=0']), ('xpti=no', ['xpti=no']),
    ('no-xpti', ['no-xpti']), ('xpti=dom0=0', ['xpti=dom0=0']), ('pv-l1tf=0', ['pv-l1tf=0']),
    ('pv-l1tf=domu=no', ['pv-l1tf=domu=no']), ('tsx=1', ['tsx=1']), ('tsx=on', ['tsx=on']),
    ('xpti=0 spec-ctrl=no xpti=1', ['spec-ctrl=no']),
    # clean: defaults, positive settings, things Xen rejects, settings that are off by default
    ('', []), ('spec-ctrl=ibpb-entry,bhb-entry', []), ('spec-ctrl=NO', []), ('spec-ctrl=yes', []),
    ('spec-ctrl=xen', []), ('spec-ctrl=ssbd=0,psfd=0,unpriv-mmio=0,lock-harden=0', []), ('tsx=0', []),
    ('tsx', []), ('xpti=no,default', []), ('xpti=no xpti', []), ('pv-l1tf=0 pv-l1tf=1', []),
    ('spec-ctrl=bti-thunk=retpoline', []), ('spec-ctrl=rsb=maybe', []), ('no-spec-ctrl=1', []),
    ('spec-ctrl=bti-thunk=jmp spec-ctrl=bti-thunk=lfence', []), ('spec-ctrl=ibpb-alt=0,bhi-dis-s', []),
    # dom0's entry barriers are off by default: spec-ctrl=no leaves nothing weaker than the default there
    ('spec-ctrl=no spec-ctrl=msr-sc,rsb,verw,ibpb-entry=pv,ibpb-entry=hvm,bhb-entry=pv,bhb-entry=hvm,ibpb,'
     'bti-thunk=retpoline,bhb-seq=short,ibrs,eager-fpu,l1d-flush,branch-harden,srb-lock,gds-mit,div-scrub,'
     'bp-spec-reduce tsx=0 xpti pv-l1tf', []),
])
def test_mitigations_off(cmdline, offending):
    assert [token for token, _why in xc.mitigations_off(cmdline)] == offending


def test_mitigations_off_says_what_stays_off():
    why = dict(xc.mitigations_off('spec-ctrl=no spec-ctrl=ibpb,msr-sc,rsb,verw,ibpb-entry,bhb-entry,'
                                  'bti-thunk=retpoline,bhb-seq=short,ibrs,eager-fpu,l1d-flush,branch-harden,'
                                  'srb-lock,gds-mit,div-scrub,bp-spec-reduce xpti pv-l1tf'))
    # only TSX is left: spec-ctrl=no turned tsx to its implicit "on" and nothing named it again
    assert why == {'spec-ctrl=no': 'keeps TSX enabled (TAA)'}
    why = dict(xc.mitigations_off('spec-ctrl=rsb=no-hvm,bti-thunk=jmp tsx=1'))
    assert why == {'spec-ctrl=rsb=no-hvm,bti-thunk=jmp': 'turns off rsb=hvm; selects bti-thunk=jmp',
                   'tsx=1': 'keeps TSX enabled (TAA)'}
    assert '17 more' in dict(xc.mitigations_off('spec-ctrl=no'))['spec-ctrl=no']
    # spec-ctrl=no sets xpti, pv-l1tf and tsx only when they were not given earlier
    state = xc.spec_ctrl_state('xpti=1 pv-l1tf=1 tsx=0 spec-ctrl=no')
    assert state['xpti=dom0'] == (True, 'xpti=1') and state['pv-l1tf=domu'] == (True, 'pv-l1tf=1')
    assert state['tsx'] == (False, 'tsx=0') and state['msr-sc=pv'] == (False, 'spec-ctrl=no')
    why = dict(xc.mitigations_off('xpti=1 pv-l1tf=1 tsx=0 spec-ctrl=no'))['spec-ctrl=no']
    assert 'xpti' not in why and 'pv-l1tf' not in why and 'TSX' not in why
    state = xc.spec_ctrl_state('spec-ctrl=no xpti=1')
    assert state['xpti=dom0'] == (True, 'xpti=1') and state['pv-l1tf=dom0'] == (False, 'spec-ctrl=no')
    assert state['tsx'] == (True, 'spec-ctrl=no')


def test_spec_ctrl_state_details():
    state = xc.spec_ctrl_state('spec-ctrl=ibpb-entry=pv,bhb-entry spec-ctrl=no-ibpb-entry=1 xpti=default')
    assert state['ibpb-entry=pv'][0] is True and 'ibpb-entry=hvm' not in state
    assert state['bhb-entry=dom0'] == (True, 'spec-ctrl=ibpb-entry=pv,bhb-entry')
    assert 'xpti=dom0' not in state
    assert xc.spec_ctrl_state('spec-ctrl=unpriv-mmio')['unpriv-mmio'][0] is True
    assert xc.spec_ctrl_state('spec-ctrl=bhb-seq=tsx')['bhb-seq'][0] == 'tsx'


# ---------------------------------------------------------------- other options

def test_list_boolean_choice_vpmu_and_integers():
    assert xc.list_boolean('pv=32,no-32', 'pv', '32') is False
    assert xc.list_boolean('ept=exec-sp,pml=0', 'ept', 'exec-sp') is True
    assert xc.list_boolean('ept=ad=0', 'ept', 'exec-sp') is None
    assert xc.choice('sched-gran=core sched-gran=Socket', 'sched-gran', ('cpu', 'core', 'socket')) == 'core'
    # vpmu.c parse_vpmu_params: bts/ipc/arch imply vpmu=1; a false boolean drops them
    assert xc.vpmu_enabled('vpmu=ipc') is True and xc.vpmu_enabled('vpmu=bts,0') is False
    assert xc.vpmu_enabled('vpmu') is None and xc.vpmu_enabled('no-vpmu') is False
    assert xc.vpmu_enabled('vpmu=arch vpmu=0') is False and xc.vpmu_enabled('vpmu=0 vpmu=arch') is True
    assert xc.last_integer('gnttab_max_frames=128 gnttab_max_frames=x', 'gnttab_max_frames') == 128


@pytest.mark.parametrize('cmdline,lower', [
    ('', 3), ('loglvl=all', 4), ('loglvl=debug', 4), ('loglvl=warning/all', 2), ('loglvl=none', 0),
    ('loglvl=error', 1), ('loglvl=info', 3), ('loglvl=loud', 2),
])
def test_loglvl_lower(cmdline, lower):
    # console.c __parse_loglvl (fallback 2); XENLOG_LOWER_THRESHOLD is 3 in release builds
    assert xc.loglvl_lower(cmdline) == lower


@pytest.mark.parametrize('cmdline,cpus,ring', [
    ('conring_size=1M', None, (1 << 20, 'explicit')), ('conring_size=010', None, (16384, 'explicit')),
    ('conring_size=0', 2, (16384, 'default')), ('conring_size=0', None, (None, 'default')),
    ('', 256, (1 << 20, 'default')), ('loglvl=all', 256, (2 << 20, 'default')),
    ('', 3, (16384, 'default')), ('', 24, (128 << 10, 'default')), ('conring_size=100k', None, (128 << 10, 'explicit')),
    ('conring_size=1M conring_size=1T', None, (1 << 20, 'explicit')),   # 1T overflows and is not assigned
    ('conring_size=2Mx', None, (2 << 20, 'explicit')),                  # assigned although invalid
])
def test_conring_bytes(cmdline, cpus, ring):
    assert xc.conring_bytes(cmdline, cpus) == ring


# ---------------------------------------------------------------- writing: values Xen accepts

@pytest.mark.parametrize('name, value, token', [
    ('smt', True, 'smt'), ('smt', False, 'smt=0'), ('smt', 0, 'smt=0'),
    ('ucode', ['scan', 'nmi=0'], 'ucode=scan,nmi=0'), ('conring_size', '1M', 'conring_size=1M'),
    ('pv', [True], 'pv=1'), ('pv', [False, 'x'], 'pv=0,x'),
])
def test_render_token(name, value, token):
    assert xc.render_token(name, value) == token


VALID = [
    ('dom0_mem', '4G,max:4G'), ('dom0_mem', '1024M,max:1024M'), ('dom0_mem', 'min:512M,max:2G,1G'),
    ('dom0_mem', '1G+25%'), ('dom0_mem', '-2G'), ('dom0_mem', '1G,1G'), ('smt', 0), ('smt', 'off'), ('smt', False),
    ('smt', True), ('pv-linear-pt', 0), ('pv', 'no-32'), ('pv', '32=0'), ('ucode', 'scan'), ('ucode', '-1'),
    ('ucode', 'scan,nmi=0'), ('ucode', 'no-scan,2'), ('conring_size', '1M'), ('conring_size', 65536),
    ('conring_size', '010'), ('conring_size', '0x100000'), ('iommu', 'required'), ('iommu', '1,verbose'),
    ('iommu', 'quarantine=scratch-page'), ('iommu', 'no-intremap'), ('iommu', ['required', 'verbose']),
    ('spec-ctrl', 'no'), ('spec-ctrl', 'no-xen'), ('spec-ctrl', 'xen=0'), ('spec-ctrl', 'ibpb-entry'),
    ('spec-ctrl', 'rsb=no-hvm'), ('spec-ctrl', 'md-clear=pv=0'), ('spec-ctrl', 'bti-thunk=retpoline'),
    ('spec-ctrl', 'pv=0,hvm'), ('spec-ctrl', 'unpriv-mmio,lock-harden,bhb-entry'),
    ('xpti', 'default'), ('xpti', 'dom0=0,domu=1'), ('xpti', 'dom0=0,default'), ('xpti', True), ('xpti', False),
    ('console', 'com1,vga'), ('console', 'xen'), ('console', 'com2H,dbgp'), ('loglvl', 'all/warning'),
    ('sched', 'credit2'), ('sched-gran', 'core'), ('dom0_max_vcpus', '1-4'), ('dom0_max_vcpus', 2),
    ('gnttab', 'max-ver:1'), ('gnttab', 'max_ver:2,no-transitive'), ('smap', 'hvm'), ('smap', True),
    ('watchdog', True), ('watchdog', 'force'), ('bootscrub', False), ('com1', '115200,8n1'),
    ('some_new_option', 'x'), ('some_flag', True), ('noreboot', None), ('dom0-iommu', 'strict'),
    ('dom0-iommu', 'none'), ('dom0-iommu', 'map-reserved=0,strict'), ('pv-l1tf', 'domu=1'), ('bootscrub', 'idle'),
    ('flask', 'enforcing'), ('xsm', 'silo'), ('watchdog_timeout', 30), ('dom0_vcpus_pin', True), ('tsx', 0),
    ('tsx', '1'), ('vpmu', '0'), ('ept', 'no-exec-sp'), ('gnttab_max_frames', 64),
    ('gnttab_max_maptrack_frames', '0x400'), ('scrub-domheap', True), ('hvm_fep', False),
    # every item name each list parser knows (iommu.c, spec_ctrl.c, vpmu.c, vmcs.c, grant_table.c)
    ('iommu', 'force,required,quarantine,sharept,superpages,intremap,intpost,crash-disable,snoop,qinval,igfx,'
              'amd-iommu-perdev-intremap,dom0-passthrough,dom0-strict,verbose,debug'),
    ('dom0-iommu', 'passthrough=0,strict,map-inclusive=0,map-reserved'),
    ('spec-ctrl', 'ibrs,stibp,ssbd,psfd,bhi-dis-s,ibpb,eager-fpu,l1d-flush,branch-harden,lock-harden,srb-lock,'
                  'unpriv-mmio,gds-mit,div-scrub,bp-spec-reduce,ibpb-alt'),
    ('spec-ctrl', 'msr-sc=pv=0,rsb,verw=hvm=1,ibpb-entry=no-pv,bhb-entry=0,md-clear'),
    ('spec-ctrl', 'bti-thunk=lfence,bti-thunk=jmp,bhb-seq=tsx,bhb-seq=long,bhb-seq=none,bhb-seq=short'),
    ('vpmu', 'bts,ipc,arch,rtm-abort=0'), ('ept', 'ad=0,pml=0,exec-sp'), ('gnttab', 'transfer=0,transitive'),
    ('ucode', 'nmi,scan'), ('pv-l1tf', 'dom0,no-domu'), ('xpti', 'no-dom0,domu'),
    ('smep', True), ('bootscrub', True), ('watchdog', False), ('pv-l1tf', True), ('smep', 'hvm'),
    ('sync_console', '0'), ('console_to_ring', 'yes'), ('hap', 'true'), ('pv-shim', 'false'), ('noreboot', 'on'),
    ('availmem', '1G'), ('bootscrub_chunk', '512K'), ('low_mem_virq_limit', '0'), ('serial_tx_buffer', '32k'),
    ('guest_loglvl', 'error/info'), ('xsm', 'flask'), ('xsm', 'dummy'), ('sched', 'null'), ('flask', 'late'),
]


@pytest.mark.parametrize('name, value', VALID)
def test_valid_options(name, value):
    xc.validate_option(name, value)


# every option with a validator refuses a value it does not take (so no validator can go missing unnoticed)
NOT_THEIRS = [
    ('pv-linear-pt', 'x'), ('noreboot', 'x'), ('dom0_vcpus_pin', 'x'), ('scrub-domheap', 'x'), ('sync_console', 'x'),
    ('console_to_ring', 'x'), ('hap', 'x'), ('pv-shim', 'x'), ('hvm_fep', 'x'), ('smt', 'x'), ('tsx', 'x'),
    ('availmem', 'x'), ('bootscrub_chunk', 'x'), ('low_mem_virq_limit', 'x'), ('serial_tx_buffer', 'x'),
    ('conring_size', 'x'), ('dom0_mem', 'x'), ('dom0_max_vcpus', 'x'), ('ucode', 'x'), ('iommu', 'x'),
    ('dom0-iommu', 'x'), ('pv', 'x'), ('pv-l1tf', 'x'), ('xpti', 'x'), ('gnttab', 'x'), ('spec-ctrl', 'x'),
    ('vpmu', 'x'), ('ept', 'x'), ('smap', 'x'), ('smep', 'x'), ('bootscrub', 'x'), ('watchdog', 'x'),
    ('watchdog_timeout', 'x'), ('gnttab_max_frames', 'x'), ('gnttab_max_maptrack_frames', 'x'), ('sched', 'x'),
    ('sched-gran', 'x'), ('flask', 'x'), ('xsm', 'x'), ('loglvl', 'x'), ('guest_loglvl', 'x'), ('console', 'x'),
]


def test_every_validator_is_tested():
    assert sorted(set(name for name, _value in NOT_THEIRS)) == sorted(xc.VALIDATORS)


@pytest.mark.parametrize('name, value', NOT_THEIRS)
def test_every_validator_refuses(name, value):
    with pytest.raises(XenCmdlineError) as err:
        xc.validate_option(name, value)
    assert err.value.msg.startswith('%s=x: ' % name)


@pytest.mark.parametrize('name,hint', [
    ('dom0_mem', ' such as "4G,max:4G"'), ('spec-ctrl', ' such as "no-xen" (off) - or leave it out'),
    ('ucode', ' such as "scan"'), ('sched', ' such as "credit2"'), ('iommu', ' such as "required"'),
    ('tsx', ' "0" or "1"'), ('flask', ' such as "enforcing"'), ('loglvl', ''),
])
def test_yaml_boolean_hints(name, hint):
    with pytest.raises(XenCmdlineError) as err:
        xc.validate_option(name, True)
    assert err.value.msg.endswith('Write the value Xen expects as a string' + hint)


INVALID = [
    # issue 7 finding 5: values Xen does not parse as meant
    ('smt', 'OFF', 'exact lower-case boolean words'),
    ('smt', 'OFF', 'write smt=0 instead'),
    ('smt', 'On', 'write smt=1 instead'),
    ('dom0_mem', True, 'Xen would read "dom0_mem"'),
    ('dom0_mem', False, 'Xen would read "dom0_mem=0"'),
    ('sched', True, 'Xen would read "sched"'),
    ('tsx', True, 'is not a value of this option'),
    ('spec-ctrl', False, 'no-xen'),
    ('foo', [None], 'only strings and numbers, not None'),
    ('foo', [['a']], 'only strings and numbers'),
    ('foo', [], 'the list is empty'),
    ('foo', False, 'not a value of this option'),
    ('foo', 1.5 + 2j, 'unsupported value type complex'),
    ('iommu', True, 'such as "required"'),
    # issue 14: the validators against Xen's parsers
    ('dom0_mem', 'lots', '"lots" is not an amount'),
    ('dom0_mem', 'max:', 'is not an amount'),
    ('dom0_mem', '1G+2G', 'is not an amount'),
    ('smt', 'maybe', 'exact lower-case boolean words'),
    ('conring_size', 'big', 'not a size Xen reads'),
    ('conring_size', '-1M', 'no sign'),
    ('conring_size', '0', 'means "Xen\'s default"'),
    ('conring_size', '8G', 'larger than 2 GiB'),
    ('spec-ctrl', 'yes', 'positive overall boolean'),
    ('spec-ctrl', 'xen', 'only xen=0 / no-xen'),
    ('spec-ctrl', 'xen=maybe', 'only xen=0 / no-xen'),
    ('spec-ctrl', 'A_B', 'not a spec-ctrl= sub-option'),
    ('spec-ctrl', 'no-xen,BTI', '"BTI" is not a spec-ctrl= sub-option'),
    ('spec-ctrl', 'rsb=sometimes', 'takes a boolean or pv=<bool>'),
    ('spec-ctrl', 'bti-thunk=fast', 'takes one of retpoline'),
    ('spec-ctrl', 'bhb-seq=medium', 'takes one of none'),
    ('spec-ctrl', 'NO', 'not a spec-ctrl= sub-option'),
    ('iommu', 'sometimes', 'is not an iommu= item'),
    ('iommu', 'on,bogus', '"bogus" is not an iommu= item'),
    ('iommu', 'quarantine=scratch', 'is not an iommu= item'),
    ('iommu', 'Required', 'is not an iommu= item'),
    ('pv', '64=0', 'is not a pv= item'),
    ('pv', 'no-32,64', '"64" is not a pv= item'),
    ('ucode', 'scan=maybe', 'is not a ucode= item'),
    ('ucode', '0', 'module index 0, which loads nothing'),
    ('ucode', 'scan,0', 'module index 0'),
    ('console', 'com3', 'not a Xen console'),
    ('console', 'vga,com3', '"com3" is not a Xen console'),
    ('loglvl', 'loud', 'expected <level>'),
    ('loglvl', 'all/warning/info', 'expected <level>'),
    ('sched', 'fair', 'expected one of'),
    ('sched-gran', 'Core', 'case-sensitive'),
    ('flask', 'enforcng', 'expected one of'),
    ('dom0_max_vcpus', 'many', 'expected <n>'),
    ('dom0_max_vcpus', '-', 'expected <n>'),
    ('watchdog_timeout', 'soon', 'non-negative integer'),
    ('watchdog_timeout', -1, 'non-negative integer'),
    ('xpti', 'dom1=0', 'is not an item of this option'),
    ('xpti', 'default,dom0=0', 'only as the last item'),
    ('pv-l1tf', 'domu=maybe', 'is not an item of this option'),
    ('gnttab', 'max-ver:3', 'takes version 1 or 2'),
    ('gnttab', 'max-ver=2', 'expects a colon'),
    ('gnttab', 'transitive,bogus', 'is not a gnttab= item'),
    ('dom0-iommu', 'none=1', 'read by Xen as plain "none"'),
    ('dom0-iommu', 'no-none', 'is not a dom0-iommu= item'),
    ('dom0-iommu', 'strict,sometimes', '"sometimes" is not a dom0-iommu= item'),
    ('vpmu', 'all', 'is not a vpmu= item'),
    ('ept', 'exec-sp=maybe', 'is not an ept= item'),
    ('gnttab_max_frames', '-1', 'non-negative integer'),
    ('gnttab_max_frames', '0x80000000', 'INT_MAX'),
    ('tsx', 'True', 'exact lower-case'),
    ('smap', 'pv', 'or one of hvm'),
    ('smt', '0 reboot', 'unsafe'),
    ('console', 'com1;reboot', 'unsafe'),
    ('smt', '', 'value is empty'),
    ('smt', {'a': 1}, 'not a mapping'),
    ('bad name', 1, 'not a valid Xen option name'),
    (1, 1, 'not a valid Xen option name'),
    ('placeholder', True, 'the word GRUB puts first'),
]


@pytest.mark.parametrize('name, value, words', INVALID)
def test_invalid_options(name, value, words):
    with pytest.raises(XenCmdlineError) as err:
        xc.validate_option(name, value)
    assert words in err.value.msg


# ucode/core.c parse_ucode and spec_ctrl.c parse_spec_ctrl at each tag
@pytest.mark.parametrize('name,value,version,valid', [
    ('ucode', 'allow-same', '4.17.5', True), ('ucode', 'allow-same', '4.20.0', False),
    ('ucode', 'allow-same', None, True),
    ('ucode', 'digest-check', '4.17.5', False), ('ucode', 'digest-check', '4.17.6', True),
    ('ucode', 'digest-check', '4.20.0', False), ('ucode', 'no-digest-check', '4.20.1', True),
    ('ucode', 'digest-check', '4.21.0', True),
    ('ucode', 'digest-check', '4.16.0', False), ('ucode', 'digest-check', None, True),
    ('spec-ctrl', 'bhb-entry', '4.17.3', False), ('spec-ctrl', 'bhb-entry', '4.17.4', True),
    ('spec-ctrl', 'lock-harden', '4.17.3', False), ('spec-ctrl', 'lock-harden', '4.20.0', True),
    ('spec-ctrl', 'gds-mit', '4.17.1', False), ('spec-ctrl', 'gds-mit', '4.17.2', True),
    ('spec-ctrl', 'div-scrub', '4.17.2', False), ('spec-ctrl', 'div-scrub', '4.17.3', True),
    ('spec-ctrl', 'bp-spec-reduce', '4.17.6', False), ('spec-ctrl', 'bp-spec-reduce', '4.17.7', True),
    ('spec-ctrl', 'bp-spec-reduce', '4.20.0', True), ('spec-ctrl', 'ibpb-alt', '4.17.7', False),
    ('spec-ctrl', 'ibpb-alt', '4.20.0', False), ('spec-ctrl', 'ibpb-alt', '4.20.1', True),
    ('spec-ctrl', 'ibpb-entry', '4.17.0', True), ('spec-ctrl', 'md-clear', '4.17.0', True),
    ('spec-ctrl', 'verw', '4.17.3', False), ('spec-ctrl', 'verw', '4.17.4', True),
])
def test_options_per_release(name, value, version, valid):
    if valid:
        xc.validate_option(name, value, version)
        return
    with pytest.raises(XenCmdlineError) as err:
        xc.validate_option(name, value, version)
    assert 'Xen' in err.value.msg


def test_spec_ctrl_known():
    assert xc.spec_ctrl_known('ibpb-entry', '4.17.0') and not xc.spec_ctrl_known('ibpb-entry', '4.16.5')
    assert xc.spec_ctrl_known('bhb-entry', None)


def test_validate_options():
    xc.validate_options({'smt': 0, 'iommu': 'required'}, '4.20.1')
    with pytest.raises(XenCmdlineError) as err:
        xc.validate_options({'smt': 0, 'no-smt': True})
    assert 'conflicting' in err.value.msg
    with pytest.raises(XenCmdlineError) as err:
        xc.validate_options(['smt'])
    assert 'mapping' in err.value.msg
    with pytest.raises(XenCmdlineError) as err:
        xc.validate_options({'ucode': 'allow-same'}, '4.20.1')
    assert 'removed in Xen 4.20' in err.value.msg


BOOLS = '(1|on|yes|true|enable|0|no|off|false|disable)'
IOMMU_ITEMS = ('(a boolean, or force, required, quarantine=<bool>|scratch-page, verbose, debug, sharept, superpages, '
               'intremap, intpost, crash-disable, snoop, qinval, igfx, amd-iommu-perdev-intremap, dom0-passthrough, '
               'dom0-strict, each optionally =<bool> or with no-)')


# The messages are the module's answer to the user: what is wrong and what to write instead. Pinned whole.
@pytest.mark.parametrize('name, value, msg', [
    ('smt', 'OFF', 'smt=OFF: Xen reads only the exact lower-case boolean words %s and ignores any other value; '
     'write smt=0 instead' % BOOLS),
    ('smt', 'maybe', 'smt=maybe: Xen reads only the exact lower-case boolean words %s and ignores any other value'
     % BOOLS),
    ('dom0_mem', False, 'dom0_mem: a YAML boolean (False) is not a value of this option: Xen would read "dom0_mem=0". '
     'Write the value Xen expects as a string such as "4G,max:4G"'),
    ('tsx', True, 'tsx: a YAML boolean (True) is not a value of this option: Xen would read "tsx". Write the value '
     'Xen expects as a string "0" or "1"'),
    ('spec-ctrl', False, 'spec-ctrl: a YAML boolean (False) is not a value of this option: Xen would read '
     '"spec-ctrl=0". Write the value Xen expects as a string such as "no-xen" (off) - or leave it out'),
    ('foo', False, 'foo: a YAML boolean (False) is not a value of this option: Xen would read "foo=0". Write the '
     'value Xen expects as a string'),
    ('foo', [None], 'foo: a list value may hold only strings and numbers, not None; write the items as Xen spells '
     'them, e.g. foo: [required, verbose]'),
    ('foo', [], 'foo: the list is empty; use null to remove the option'),
    ('foo', 1.5 + 2j, 'foo: unsupported value type complex; use a string, a number, a boolean or a list'),
    ('dom0_mem', 'lots', 'dom0_mem=lots: "lots" is not an amount Xen reads (<size>, <n>%, <size>+<n>%, optionally '
     'with a leading -); write dom0_mem=4G,max:4G instead'),
    ('conring_size', 'big', 'conring_size=big: not a size Xen reads (a number, 0x hex or 0-octal, with an optional '
     'unit T, G, M, K or B; no unit means KiB; no sign); write conring_size=1M instead'),
    ('conring_size', '0', 'conring_size=0: size 0 means "Xen\'s default" (which depends on the number of CPUs and '
     'loglvl); write conring_size=1M (or remove the option for the default) instead'),
    ('conring_size', '8G', 'conring_size=8G: larger than 2 GiB: Xen rounds it up to 4 GiB, more than its 32-bit '
     'ring size holds; write conring_size=2G at the most instead'),
    ('spec-ctrl', 'yes', 'spec-ctrl=yes: "yes" is a positive overall boolean, which Xen rejects (by default Xen '
     'already picks the mitigations)'),
    ('spec-ctrl', 'xen', 'spec-ctrl=xen: "xen" is invalid: only xen=0 / no-xen is accepted'),
    ('spec-ctrl', 'no-xen,BTI', 'spec-ctrl=no-xen,BTI: "BTI" is not a spec-ctrl= sub-option this collection knows '
     'from Xen 4.17/4.20'),
    ('spec-ctrl', 'rsb=sometimes', 'spec-ctrl=rsb=sometimes: "rsb=sometimes" takes a boolean or pv=<bool> / '
     'hvm=<bool>'),
    ('spec-ctrl', 'bti-thunk=fast', 'spec-ctrl=bti-thunk=fast: "bti-thunk=fast" takes one of retpoline, lfence, jmp'),
    ('spec-ctrl', 'bhb-seq=medium', 'spec-ctrl=bhb-seq=medium: "bhb-seq=medium" takes one of none, tsx, short, long'),
    ('iommu', 'on,bogus', 'iommu=on,bogus: "bogus" is not an iommu= item %s; write iommu=required instead'
     % IOMMU_ITEMS),
    ('pv', '64=0', 'pv=64=0: "64=0" is not a pv= item (32=<bool>, e.g. pv=no-32); write pv=no-32 instead'),
    ('ucode', 'scan=maybe', 'ucode=scan=maybe: "scan=maybe" is not a ucode= item (scan, nmi, digest-check, '
     'allow-same before 4.20, or a module index); write ucode=scan instead'),
    ('ucode', '0', 'ucode=0: "0" is module index 0, which loads nothing (positive indexes count from the first boot '
     'module, negative from the last); write ucode=scan instead'),
    ('console', 'com3', 'console=com3: "com3" is not a Xen console (vga, xen, com1, com2 with optional H/L, pv, '
     'dbgp, ehci, xhci, none)'),
    ('loglvl', 'loud', 'loglvl=loud: expected <level>[/<level>] with levels none, error, warning, info, debug, all'),
    ('sched-gran', 'Core', 'sched-gran=Core: expected one of cpu, core, socket (case-sensitive)'),
    ('dom0_max_vcpus', 'many', 'dom0_max_vcpus=many: expected <n> or <min>-<max>'),
    ('watchdog_timeout', -1, 'watchdog_timeout=-1: expected a non-negative integer (Xen rejects signs and other '
     'text)'),
    ('xpti', 'dom1=0', 'xpti=dom1=0: "dom1=0" is not an item of this option (a boolean, dom0=<bool>, domu=<bool>)'),
    ('xpti', 'default,dom0=0', 'xpti=default,dom0=0: "default" counts only as the last item (Xen compares the rest '
     'of the value with "default" and rejects it anywhere else); put it last'),
    ('gnttab', 'max-ver:3', 'gnttab=max-ver:3: "max-ver:3" takes version 1 or 2; write gnttab=max-ver:2 instead'),
    ('gnttab', 'max-ver=2', 'gnttab=max-ver=2: "max-ver=2" uses "=" where Xen expects a colon (max-ver:2); write '
     'gnttab=max-ver:2 instead'),
    ('gnttab', 'bogus', 'gnttab=bogus: "bogus" is not a gnttab= item (max-ver:<1|2>, transitive=<bool>, '
     'transfer=<bool>); write gnttab=max-ver:2 instead'),
    ('dom0-iommu', 'none=1', 'dom0-iommu=none=1: "none=1" is read by Xen as plain "none" whatever follows; write '
     'none (it takes no value)'),
    ('dom0-iommu', 'no-none', 'dom0-iommu=no-none: "no-none" is not a dom0-iommu= item (passthrough=<bool>, '
     'strict=<bool>, map-inclusive=<bool>, map-reserved=<bool>, none)'),
    ('vpmu', 'all', 'vpmu=all: "all" is not a vpmu= item (a boolean, bts, ipc, arch); write vpmu=0 (or remove the '
     'option) instead'),
    ('ept', 'exec-sp=maybe', 'ept=exec-sp=maybe: "exec-sp=maybe" is not an ept= item (ad=<bool>, pml=<bool>, '
     'exec-sp=<bool>); write ept=no-exec-sp instead'),
    ('gnttab_max_frames', '0x80000000', 'gnttab_max_frames=0x80000000: larger than INT_MAX, which Xen refuses'),
    ('smap', 'pv', 'smap=pv: expected a lower-case boolean word %s or one of hvm' % BOOLS),
    ('console', 'com1;reboot', 'console=com1;reboot: the value holds characters that are unsafe on a GRUB/shell '
     'command line (allowed: letters, digits and _ . , : = + % @ / - [ ])'),
    ('smt', '', 'smt: the value is empty; use null to remove the option or true for a bare flag'),
    ('smt', {'a': 1}, 'smt: a value must be a string, a number, a boolean or a list, not a mapping'),
    ('bad name', 1, '"bad name" is not a valid Xen option name (letters, digits, _ . - [ ])'),
    ('placeholder', True, '"placeholder" is the word GRUB puts first on the line, not an option'),
])
def test_messages_in_full(name, value, msg):
    with pytest.raises(XenCmdlineError) as err:
        xc.validate_option(name, value)
    assert err.value.msg == msg
    assert str(err.value) == msg


@pytest.mark.parametrize('name,value,version,msg', [
    ('ucode', 'allow-same', '4.20.1', 'ucode=allow-same: "allow-same" was removed in Xen 4.20; write ucode=scan '
     'instead'),
    ('ucode', 'digest-check', '4.17.5', 'ucode=digest-check: "digest-check" exists only from Xen 4.17.6 and '
     '4.20.1; write ucode=scan instead'),
    ('spec-ctrl', 'lock-harden', '4.17.3', 'spec-ctrl=lock-harden: "lock-harden" is not known to Xen 4.17.3'),
])
def test_release_messages_in_full(name, value, version, msg):
    with pytest.raises(XenCmdlineError) as err:
        xc.validate_option(name, value, version)
    assert err.value.msg == msg


def test_choice_absent_and_each_vpmu_feature():
    # (make mutation MUTATE=xencmdline: surviving mutants) no matching value is None, not an empty word;
    # each of bts, ipc and arch implies vpmu=1 (vpmu.c parse_vpmu_params)
    assert xc.choice(['smt=0'], 'sched-gran', ('core', 'socket')) is None
    assert xc.choice(['sched-gran=bogus'], 'sched-gran', ('core', 'socket')) is None
    for feature in ('bts', 'ipc', 'arch'):
        assert xc.vpmu_enabled(['vpmu=%s' % feature]) is True


@pytest.mark.parametrize('tokens, name, expected', [
    ([], 'spec-ctrl', []),
    (['spec-ctrl=unpriv-mmio', 'console=com1', 'spec-ctrl=ibpb-entry,unpriv-mmio,'], 'spec-ctrl',
     ['unpriv-mmio', 'ibpb-entry']),
    # no-name is handed to the parser as "no"; no-name=value is never parsed (parse_params)
    (['no-iommu', 'iommu=verbose', 'no-iommu=x'], 'iommu', ['no', 'verbose']),
    (['dom0-iommu=strict', 'dom0-iommu=strict,map-reserved'], 'dom0-iommu', ['strict', 'map-reserved']),
])
def test_option_items_over_every_occurrence(tokens, name, expected):
    assert xc.option_items(tokens, name) == expected
