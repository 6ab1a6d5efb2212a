# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exact verdicts (status, detail sentence, problem code) of the xl.conf, XSM/FLASK, PV boot and
device-model controls: XG-XL-01 (autoballoon), XG-FLASK-01..04, XG-PVBOOT-01 (pygrub) and XG-DM-01.

Facts are the recorded Debian 12 lab host (tests/unit/fixtures) with small, explicit edits. Expected
behaviour follows Xen's own sources: tools/xl/xl.c (parse_global_config, auto_autoballoon), xl.conf(5),
tools/libs/util/libxlu_cfg.c (xlu_cfg_get_defbool: strtol(value, 0) of the whole text), tools/xl/xl_parse.c
and tools/libs/light/libxl_create.c (bootloader_restrict, bootloader_user, LIBXL_BOOTLOADER_*),
tools/libs/light/libxl_bootloader.c (4.17.3, XSA-443) and tools/xl/xl_flask.c (xl getenforce).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils.controls import catalogue_by_id, evaluate
from ansible_collections.xenguard.hardening.tests.unit.plugins.module_utils.test_controls import BOOKWORM, host_facts

_LAB = host_facts(BOOKWORM, 'q35-vtd-intremap')
# the booted command line of the lab host (xl info xen_commandline): it has dom0_mem=1024M,max:1024M
LAB_TOKENS = ['console=com1', 'com1=115200,8n1', 'dom0_mem=1024M,max:1024M', 'loglvl=all', 'guest_loglvl=all',
              'smap=0', 'iommu=1,verbose']
TECH_PREVIEW = ('Xen\'s SUPPORT.md lists Linux device-model stub domains and dm_restrict (device model '
                'deprivileging) as Tech Preview')
NOT_GATHERED_XSM = 'the facts have no FLASK mode (flask.mode) nor xl dmesg analysis (dmesg.xsm) (not gathered)'
NOT_GATHERED_GUESTS = 'the facts have no guest configurations (guest_configs) nor domains (not gathered)'


def lab():
    """A fresh copy of the lab host's facts (Xen 4.17.5, no XSM, no guest facts, no xl.conf)."""
    return copy.deepcopy(_LAB)


def verdict(facts, cid, params=None):
    """(status, detail, problem) of one catalogue control, with its params replaced when given."""
    control = dict(catalogue_by_id()[cid])
    if params is not None:
        control['params'] = params
    result = evaluate(facts, [control])[0]
    return result['status'], result['detail'], result['problem']


def test_lab_facts_are_what_these_tests_assume():
    assert _LAB['cmdline'] == LAB_TOKENS
    assert (_LAB['version'], _LAB['info']['xen_major'], _LAB['info']['xen_minor']) == ('4.17.5', '4', '17')


# ---------------------------------------------------------------------------------------------
# XG-XL-01 autoballoon (xl.conf(5) "autoballoon"; tools/xl/xl.c parse_global_config compares the text with
# exactly "on" "1" "off" "0" "auto", anything else is "invalid autoballoon option" and "auto" stays;
# auto_autoballoon: "auto" is off when the Xen command line matches its dom0_mem= regex)

def _conf(**keys):
    return {'path': '/etc/xen/xl.conf', 'error': None, 'keys': keys}


REJECTED = ', which xl rejects ("invalid autoballoon option"; it accepts only off, 0, on, 1, auto) and then ' \
    'balloons as "auto"; write autoballoon="off"'
DEFAULT = 'xl.conf does not set autoballoon (xl defaults to "auto")'
BALLOONS = ' and the booted command line has no dom0_mem= that xl recognises, so xl balloons dom0'


# the words xl reads (and how each is quoted in the detail), the words it rejects, and the xl_conf shapes
@pytest.mark.parametrize('xl_conf,expected', [
    (None, ('unknown', 'the facts have no /etc/xen/xl.conf (xl_conf) (not gathered)', None)),
    ('autoballoon="off"', ('unknown', 'the facts have no /etc/xen/xl.conf (xl_conf) (not gathered)', None)),
    ({'path': '/etc/xen/xl.conf', 'error': '/etc/xen/xl.conf:3:1: lexical error', 'keys': {}},
     ('unknown', 'cannot read /etc/xen/xl.conf: /etc/xen/xl.conf:3:1: lexical error', None)),
    ({'error': 'permission denied'}, ('unknown', 'cannot read xl.conf: permission denied', None)),
    (_conf(autoballoon='off'), ('pass', "xl.conf has autoballoon='off'", None)),
    (_conf(autoballoon='0'), ('pass', "xl.conf has autoballoon='0'", None)),
    (_conf(autoballoon=0), ('pass', 'xl.conf has autoballoon=0', None)),
    ({'autoballoon': 'off'}, ('pass', "xl.conf has autoballoon='off'", None)),  # the keys themselves
    (_conf(autoballoon='on'), ('fail', "xl.conf has autoballoon='on': xl takes memory from dom0 for new guests", None)),
    (_conf(autoballoon='1'), ('fail', "xl.conf has autoballoon='1': xl takes memory from dom0 for new guests", None)),
    (_conf(autoballoon=1), ('fail', 'xl.conf has autoballoon=1: xl takes memory from dom0 for new guests', None)),
    ({'autoballoon': 'on'}, ('fail', "xl.conf has autoballoon='on': xl takes memory from dom0 for new guests", None)),
    # strcmp: no other spelling, no case folding, no boolean words; a rejected value leaves "auto", but the
    # control fails it anyway, since the file does not say what its writer meant
    (_conf(autoballoon='OFF'), ('fail', "xl.conf has autoballoon='OFF'" + REJECTED, None)),
    (_conf(autoballoon='false'), ('fail', "xl.conf has autoballoon='false'" + REJECTED, None)),
    (_conf(autoballoon='no'), ('fail', "xl.conf has autoballoon='no'" + REJECTED, None)),
    (_conf(autoballoon=''), ('fail', "xl.conf has autoballoon=''" + REJECTED, None)),
    (_conf(autoballoon=' off'), ('fail', "xl.conf has autoballoon=' off'" + REJECTED, None)),
    (_conf(autoballoon=False), ('fail', 'xl.conf has autoballoon=False' + REJECTED, None)),
    (_conf(autoballoon=True), ('fail', 'xl.conf has autoballoon=True' + REJECTED, None)),
    (_conf(autoballoon=['off']), ('fail', "xl.conf has autoballoon=['off']" + REJECTED, None)),
    # "auto", said or by default, follows dom0_mem= on the lab's command line
    (_conf(autoballoon='auto'), ('pass', "xl.conf has autoballoon='auto' and the booted command line has "
                                 'dom0_mem=1024M,max:1024M, so xl does not balloon dom0', None)),
    (_conf(), ('pass', DEFAULT + ' and the booted command line has dom0_mem=1024M,max:1024M, so xl does not '
               'balloon dom0', None)),
    ({'path': '/etc/xen/xl.conf', 'error': None, 'keys': None},
     ('pass', DEFAULT + ' and the booted command line has dom0_mem=1024M,max:1024M, so xl does not balloon dom0', None)),
    ({}, ('pass', DEFAULT + ' and the booted command line has dom0_mem=1024M,max:1024M, so xl does not balloon dom0',
          None)),
], ids=lambda value: repr(value)[:40])
def test_autoballoon_words(xl_conf, expected):
    facts = lab()
    facts['xl_conf'] = xl_conf
    assert verdict(facts, 'XG-XL-01') == expected


# "auto" (here by default) against booted command lines, matched as xl's regex matches xl info's commandline:
# "(^| )dom0_mem=((|min:|max:)(SIZE|(SIZE\+)?[0-9]{1,2}%),?)+($| )" with SIZE "-?[0-9]+[bBkKmMgGtT]?"
@pytest.mark.parametrize('tokens,given', [
    (['dom0_mem=1G'], 'dom0_mem=1G'),
    (['console=com1', 'dom0_mem=512M', 'smt=0'], 'dom0_mem=512M'),
    (['dom0_mem=min:512M,max:2G'], 'dom0_mem=min:512M,max:2G'),
    (['dom0_mem=10%'], 'dom0_mem=10%'),
    (['dom0_mem=1G+10%'], 'dom0_mem=1G+10%'),
    (['dom0_mem=-512M'], 'dom0_mem=-512M'),
    (['dom0_mem=4096'], 'dom0_mem=4096'),
    (['dom0_mem=lots', 'dom0_mem=1G'], 'dom0_mem=lots dom0_mem=1G'),  # any one occurrence matches
    (['dom0_mem='], None),
    (['dom0_mem=lots'], None),
    (['dom0_mem=1Gx'], None),           # the value must end at a space or the end of the line
    (['dom0_mem=1P'], None),            # no such size suffix for xl
    (['xdom0_mem=1G'], None),           # dom0_mem= must start the line or follow a space
    (['dom0_mem:1G'], None),
    (['console=com1'], None),
    ([], None),
])
def test_autoballoon_auto_follows_dom0_mem(tokens, given):
    facts = lab()
    facts['xl_conf'] = _conf()
    facts['cmdline'] = tokens
    if given:
        expected = ('pass', DEFAULT + ' and the booted command line has %s, so xl does not balloon dom0' % given, None)
    else:
        expected = ('fail', DEFAULT + BALLOONS, None)
    assert verdict(facts, 'XG-XL-01') == expected


def test_autoballoon_auto_reads_xl_info_and_is_unknown_without_a_command_line():
    # without the cmdline part the command line of xl info counts; without either, "auto" cannot be judged,
    # while "off" and "on" need no command line
    facts = lab()
    facts['xl_conf'] = _conf(autoballoon='auto')
    facts['cmdline'] = None
    facts['info']['xen_commandline'] = 'console=com1 dom0_mem=2G,max:2G'
    assert verdict(facts, 'XG-XL-01') == (
        'pass', "xl.conf has autoballoon='auto' and the booted command line has dom0_mem=2G,max:2G, so xl does not "
        'balloon dom0', None)
    del facts['info']['xen_commandline']
    assert verdict(facts, 'XG-XL-01') == (
        'unknown', "xl.conf has autoballoon='auto', which depends on dom0_mem on the Xen command line; the facts do "
        'not have it', None)
    facts['xl_conf'] = _conf()
    assert verdict(facts, 'XG-XL-01') == (
        'unknown', DEFAULT + ', which depends on dom0_mem on the Xen command line; the facts do not have it', None)
    facts['xl_conf'] = _conf(autoballoon='off')
    assert verdict(facts, 'XG-XL-01') == ('pass', "xl.conf has autoballoon='off'", None)
    facts['xl_conf'] = _conf(autoballoon='on')
    assert verdict(facts, 'XG-XL-01') == (
        'fail', "xl.conf has autoballoon='on': xl takes memory from dom0 for new guests", None)


# ---------------------------------------------------------------------------------------------
# XG-FLASK-01..04: which XSM module runs, from xl getenforce (flask.mode: tools/xl/xl_flask.c answers
# Enforcing/Permissive only under FLASK, "Flask XSM Disabled" otherwise), the xl dmesg analysis (dmesg.xsm)
# and the booted command line; or from the xsm facts xen_facts computed

def _log(**change):
    """dmesg.xsm as xl.analyse_dmesg gives it, with some keys changed."""
    xsm = {'framework': None, 'flask_param_unknown': False, 'xsm_built': None, 'lines': [], 'avc_denied': 0,
           'avc_denials': []}
    xsm.update(change)
    return xsm


def xsm_host(log=None, mode=None, tokens=(), xsm=None):
    """The lab host with the given XSM evidence: log is dmesg.xsm (None: no analysis), mode flask.mode."""
    facts = lab()
    facts['xsm'] = xsm
    facts['flask'] = {'mode': mode} if mode else None
    facts['dmesg']['xsm'] = log
    facts['cmdline'] = list(tokens)
    return facts


FRAMEWORK_LINE = 'XSM Framework v1.0.1 initialized'
BUILT_WITHOUT_XSM = 'xl dmesg holds the start of boot without "XSM Framework": Xen is built without XSM'
SILO_LINE = 'Initialising XSM SILO mode'
FLASK_NOT_BUILT = '; xl dmesg: parameter "flask" unknown (this Xen is built without FLASK)'
SILO_UNSEEN = 'xsm=silo is on the booted command line but xl dmesg no longer shows whether SILO started (see XG-XEN-06)'
NEITHER = 'neither xl getenforce nor xl dmesg tells which XSM module runs'

# name: (facts, XG-FLASK-01, XG-FLASK-02). The detail quotes the evidence but never "xl getenforce: ..."
# (the mode is in the sentence already); a Xen without FLASK is named by its log line instead.
XSM_CASES = {
    'flask-enforcing': (
        xsm_host(_log(framework='flask', xsm_built=True, lines=[FRAMEWORK_LINE]), 'enforcing', ['flask=enforcing']),
        ('pass', 'FLASK is enforcing; evidence: booted command line has flask=enforcing; xl dmesg: ' + FRAMEWORK_LINE,
         None),
        ('pass', 'FLASK is enforcing', None)),
    'flask-permissive': (
        xsm_host(_log(xsm_built=True, lines=[FRAMEWORK_LINE]), 'permissive'),
        ('pass', 'FLASK is permissive; evidence: xl dmesg: ' + FRAMEWORK_LINE, None),
        ('fail', 'FLASK is permissive, not enforcing; evidence: xl dmesg: ' + FRAMEWORK_LINE, None)),
    'getenforce-alone': (  # no log analysis at all: getenforce is enough, and is no quoted evidence
        xsm_host(None, 'enforcing'),
        ('pass', 'FLASK is enforcing', None),
        ('pass', 'FLASK is enforcing', None)),
    'flask-log-only': (  # FLASK's INFO line, xl getenforce not read: active, mode unknown
        xsm_host(_log(framework='flask', lines=['Flask:  Starting in permissive mode.'])),
        ('pass', 'FLASK is active; evidence: xl dmesg: Flask:  Starting in permissive mode.', None),
        ('unknown', 'FLASK is active but xl getenforce was not read (flask.mode)', None)),
    'silo': (
        xsm_host(_log(framework='silo', xsm_built=True, lines=[SILO_LINE]), 'disabled', ['xsm=silo']),
        ('pass', 'XSM SILO is active: guests can reach dom0 but not each other; evidence: booted command line has '
         'xsm=silo; xl dmesg: ' + SILO_LINE, None),
        ('pass', 'XSM SILO is active; it has no permissive mode', None)),
    'silo-without-evidence': (
        xsm_host(_log(framework='silo')),
        ('pass', 'XSM SILO is active: guests can reach dom0 but not each other', None),
        ('pass', 'XSM SILO is active; it has no permissive mode', None)),
    'built-without-xsm': (
        xsm_host(_log(xsm_built=False)),
        ('fail', 'XSM module: dummy; evidence: ' + BUILT_WITHOUT_XSM, None),
        ('fail', 'XSM module: dummy; evidence: ' + BUILT_WITHOUT_XSM, None)),
    'flask-param-unknown': (
        xsm_host(_log(flask_param_unknown=True, xsm_built=False, lines=['parameter "flask" unknown!']), 'disabled',
                 ['flask=enforcing']),
        ('fail', 'FLASK is disabled' + FLASK_NOT_BUILT, None),
        ('fail', 'FLASK is disabled, not enforcing' + FLASK_NOT_BUILT, None)),
    'xsm-dummy': (  # XSM built, FLASK disabled, no SILO line: the dummy module
        xsm_host(_log(xsm_built=True, lines=[FRAMEWORK_LINE]), 'disabled'),
        ('fail', 'FLASK is disabled; evidence: xl dmesg: ' + FRAMEWORK_LINE, None),
        ('fail', 'FLASK is disabled, not enforcing; evidence: xl dmesg: ' + FRAMEWORK_LINE, None)),
    'silo-asked-not-seen': (  # wrapped log: xsm=silo may or may not have started SILO
        xsm_host(_log(), 'disabled', ['console=com1', 'xsm=silo']),
        ('unknown', 'FLASK is disabled; %s; evidence: booted command line has xsm=silo' % SILO_UNSEEN, None),
        ('unknown', 'FLASK is disabled, not enforcing; %s; evidence: booted command line has xsm=silo' % SILO_UNSEEN,
         None)),
    'disabled-no-silo-asked': (
        xsm_host(_log(), 'disabled', ['xsm=flask']),
        ('fail', 'FLASK is disabled; evidence: booted command line has xsm=flask', None),
        ('fail', 'FLASK is disabled, not enforcing; evidence: booted command line has xsm=flask', None)),
    'disabled-mode-alone': (
        xsm_host(None, 'disabled'),
        ('fail', 'FLASK is disabled', None),
        ('fail', 'FLASK is disabled, not enforcing', None)),
    'log-tells-nothing': (  # default loglvl and no xl getenforce: no module can be named
        xsm_host(_log(), None, ['xsm=flask']),
        ('unknown', NEITHER + '; evidence: booted command line has xsm=flask', None),
        ('unknown', NEITHER + '; evidence: booted command line has xsm=flask', None)),
    'nothing-at-all-in-the-log': (
        xsm_host(_log()),
        ('unknown', NEITHER + '; evidence: neither xl getenforce nor xl dmesg was read', None),
        ('unknown', NEITHER + '; evidence: neither xl getenforce nor xl dmesg was read', None)),
    'not-gathered': (
        xsm_host(None),
        ('unknown', NOT_GATHERED_XSM, None),
        ('unknown', NOT_GATHERED_XSM, None)),
    # the xsm facts xen_facts computed are taken as they are, over the log and getenforce
    'xsm-facts-given': (
        xsm_host(_log(xsm_built=False), 'disabled', xsm={'framework': 'silo', 'mode': 'disabled',
                                                         'evidence': ['xl dmesg: ' + SILO_LINE]}),
        ('pass', 'XSM SILO is active: guests can reach dom0 but not each other; evidence: xl dmesg: ' + SILO_LINE,
         None),
        ('pass', 'XSM SILO is active; it has no permissive mode', None)),
    'xsm-facts-given-unknown': (
        xsm_host(None, xsm={'framework': 'unknown', 'mode': None, 'evidence': ['xl getenforce: (none)']}),
        ('unknown', NEITHER, None),
        ('unknown', NEITHER, None)),
    'xsm-facts-given-flask-no-mode': (
        xsm_host(None, xsm={'framework': 'flask', 'mode': None, 'evidence': []}),
        ('pass', 'FLASK is active', None),
        ('unknown', 'FLASK is active but xl getenforce was not read (flask.mode)', None)),
    'xsm-facts-without-framework': (  # then computed from the log and getenforce
        xsm_host(None, 'permissive', xsm={'framework': None, 'mode': 'enforcing'}),
        ('pass', 'FLASK is permissive', None),
        ('fail', 'FLASK is permissive, not enforcing', None)),
}


@pytest.mark.parametrize('name', sorted(XSM_CASES))
def test_flask_active_and_enforcing(name):
    facts, active, enforcing = XSM_CASES[name]
    facts = copy.deepcopy(facts)
    assert verdict(facts, 'XG-FLASK-01') == active
    assert verdict(facts, 'XG-FLASK-02') == enforcing


# flask.mode is read only from a dict with a non-empty mode
@pytest.mark.parametrize('flask', ['enforcing', {'mode': ''}, {'mode': None}, {}, None])
def test_flask_mode_needs_a_mode(flask):
    facts = xsm_host(None)
    facts['flask'] = flask
    assert verdict(facts, 'XG-FLASK-01') == ('unknown', NOT_GATHERED_XSM, None)
    facts['dmesg'] = None
    assert verdict(facts, 'XG-FLASK-02') == ('unknown', NOT_GATHERED_XSM, None)


# XG-FLASK-04: "avc:  denied" lines of xl dmesg (xen/xsm/flask/avc.c, at the warning level), each distinct
# access once (dmesg.xsm.avc_denials); accepted: regular expressions searched anywhere in an access
DENIALS = ['{ getdomaininfo } for domid=%d scontext=system_u:system_r:domU_t tcontext=system_u:system_r:dom0_t '
           'tclass=domain' % n for n in range(6)]


@pytest.mark.parametrize('log,mode,accepted,expected', [
    (_log(framework='flask'), 'enforcing', None, ('pass', 'no avc: denied line in xl dmesg (FLASK enforcing)', None)),
    (_log(framework='flask'), None, None, ('pass', 'no avc: denied line in xl dmesg (FLASK active)', None)),
    (_log(framework='flask', avc_denied=0, avc_denials=DENIALS[:1]), 'permissive', None,
     ('pass', 'no avc: denied line in xl dmesg (FLASK permissive)', None)),  # the count decides
    (_log(framework='flask', avc_denied=3, avc_denials=DENIALS[:2]), 'permissive', None,
     ('fail', '3 avc: denied line(s) in xl dmesg (FLASK permissive), 2 distinct not accepted: %s; %s' % tuple(
         DENIALS[:2]), 'denials')),
    (_log(framework='flask', avc_denied=1, avc_denials=DENIALS[:1]), None, [],
     ('fail', '1 avc: denied line(s) in xl dmesg (FLASK active), 1 distinct not accepted: ' + DENIALS[0], 'denials')),
    # only the first five distinct accesses are quoted, all are counted
    (_log(framework='flask', avc_denied=9, avc_denials=DENIALS), 'enforcing', None,
     ('fail', '9 avc: denied line(s) in xl dmesg (FLASK enforcing), 6 distinct not accepted: ' + '; '.join(DENIALS[:5]),
      'denials')),
    # a rule is searched, not matched at the start; an access any one rule accepts is accepted
    (_log(framework='flask', avc_denied=2, avc_denials=DENIALS[:2]), 'enforcing', ['domid=1 ', 'domid=0 '],
     ('pass', '2 avc: denied line(s), every one accepted by rule', None)),
    (_log(framework='flask', avc_denied=2, avc_denials=DENIALS[:2]), 'enforcing', ['domid=1 '],
     ('fail', '2 avc: denied line(s) in xl dmesg (FLASK enforcing), 1 distinct not accepted: ' + DENIALS[0],
      'denials')),
    (_log(framework='flask', avc_denied=2, avc_denials=DENIALS[:2]), 'enforcing', ['^tclass=domain'],
     ('fail', '2 avc: denied line(s) in xl dmesg (FLASK enforcing), 2 distinct not accepted: %s; %s' % tuple(
         DENIALS[:2]), 'denials')),
    # not FLASK: nothing audits, whatever the log holds
    (_log(framework='silo', avc_denied=2, avc_denials=DENIALS[:2]), None, None,
     ('not_applicable', 'FLASK is not active (XSM module: silo): nothing audits accesses', None)),
    (_log(xsm_built=False), None, None,
     ('not_applicable', 'FLASK is not active (XSM module: dummy): nothing audits accesses', None)),
    (_log(), 'disabled', None,
     ('not_applicable', 'FLASK is not active (XSM module: unknown): nothing audits accesses', None)),
    (None, None, None, ('unknown', NOT_GATHERED_XSM, None)),
    # FLASK known from xl getenforce, but no count of denials
    (None, 'enforcing', None,
     ('unknown', 'the facts have no xl dmesg analysis (dmesg.xsm.avc_denied) (not gathered)', None)),
    ({'framework': 'flask', 'lines': []}, None, None,
     ('unknown', 'the facts have no xl dmesg analysis (dmesg.xsm.avc_denied) (not gathered)', None)),
])
def test_flask_no_denials(log, mode, accepted, expected):
    facts = xsm_host(copy.deepcopy(log), mode)
    params = None if accepted is None else {'accepted': accepted}
    assert verdict(facts, 'XG-FLASK-04', params) == expected


# ---------------------------------------------------------------------------------------------
# XG-FLASK-03: guests judged by their FLASK type; libxl gives a guest without seclabel the policy's domU
# initial SID, system_u:system_r:domU_t (libxl_create.c, tools/flask/policy/policy/initial_sids)

FLASK_ON = {'framework': 'flask', 'mode': 'enforcing', 'evidence': []}
SHARED = 'so FLASK separates none of them (a guest without seclabel gets domU_t); give guests that must not reach ' \
    'each other their own types'


def _cfg(**keys):
    return {'keys': keys, 'error': None}


def _dom(domid, name, **b_info):
    c_info = {'type': b_info.pop('type', 'pv')}
    if 'ssid_label' in b_info:
        c_info['ssid_label'] = b_info.pop('ssid_label')
    return {'domid': domid, 'name': name, 'type': c_info['type'], 'config': {'c_info': c_info, 'b_info': b_info}}


def guest_host(configs=None, domains=None, xsm='flask'):
    """Lab facts with these guests; xsm: FLASK on (the default), None (not gathered) or the xsm facts."""
    facts = lab()
    facts['xsm'] = copy.deepcopy(FLASK_ON if xsm == 'flask' else xsm)
    facts['guest_configs'] = configs
    facts['domains'] = domains
    return facts


DOM0 = {'domid': 0, 'name': 'Domain-0', 'config': {'c_info': {}, 'b_info': {}}}


@pytest.mark.parametrize('configs,domains,expected', [
    (None, None, ('unknown', NOT_GATHERED_GUESTS, None)),
    ({}, None, ('not_applicable', 'fewer than two guests seen (none)', None)),
    (None, [DOM0], ('not_applicable', 'fewer than two guests seen (none)', None)),
    ({'/etc/xen/a.cfg': _cfg(name='a')}, [DOM0], ('not_applicable', 'fewer than two guests seen (a)', None)),
    # a configuration and its running domain are one guest (by name)
    ({'/etc/xen/a.cfg': _cfg(name='a')}, [_dom(3, 'a')], ('not_applicable', 'fewer than two guests seen (a)', None)),
    # two guests without a label share domU_t; a configuration without name= is named by its path
    ({'/etc/xen/a.cfg': _cfg(name='a'), '/etc/xen/b.cfg': _cfg()}, None,
     ('fail', 'all 2 guests run as the one type domU_t, ' + SHARED, 'shared_type')),
    # a label of a type other than domU_t separates; one written as domU_t does not
    ({'/etc/xen/a.cfg': _cfg(name='a'), '/etc/xen/b.cfg': _cfg(name='b', seclabel='system_u:system_r:domU_t')}, None,
     ('fail', 'all 2 guests run as the one type domU_t, ' + SHARED, 'shared_type')),
    ({'/etc/xen/a.cfg': _cfg(name='a'), '/etc/xen/b.cfg': _cfg(name='b', seclabel='system_u:system_r:web_t')}, None,
     ('pass', 'guests run as 2 types (domU_t: a; web_t: b)', None)),
    # a label without a type part gives no type: domU_t
    ({'/etc/xen/a.cfg': _cfg(name='a'), '/etc/xen/b.cfg': _cfg(name='b', seclabel='system_u:system_r')}, None,
     ('fail', 'all 2 guests run as the one type domU_t, ' + SHARED, 'shared_type')),
    # one shared type that is an isolating type (it reaches only dom0) passes; another shared type fails
    ({'/etc/xen/a.cfg': _cfg(name='a', seclabel='system_u:system_r:isolated_domU_t'),
      '/etc/xen/b.cfg': _cfg(name='b', seclabel='system_u:system_r:isolated_domU_t')}, None,
     ('pass', 'guests run as 1 types (isolated_domU_t: a, b)', None)),
    ({'/etc/xen/a.cfg': _cfg(name='a', seclabel='system_u:system_r:web_t'),
      '/etc/xen/b.cfg': _cfg(name='b', seclabel='system_u:system_r:web_t'),
      '/etc/xen/c.cfg': _cfg(name='c', seclabel='system_u:system_r:web_t')}, None,
     ('fail', 'all 3 guests run as the one type web_t, ' + SHARED, 'shared_type')),
    # driver domains and vTPM stub domains are helpers, not the guests judged
    ({'/etc/xen/a.cfg': _cfg(name='a'), '/etc/xen/net.cfg': _cfg(name='net', driver_domain=1),
      '/etc/xen/vtpm.cfg': _cfg(name='vtpm', kernel='/usr/lib/xen/boot/vtpm-stubdom.gz')}, None,
     ('not_applicable', 'fewer than two guests seen (a)', None)),
    # running domains: the label after the build (exec_ssid_label) wins over the creation label (ssid_label)
    (None, [DOM0, _dom(3, 'web', ssid_label='system_u:system_r:web_t'), _dom(4, 'db')],
     ('pass', 'guests run as 2 types (domU_t: db; web_t: web)', None)),
    (None, [_dom(3, 'web', ssid_label='system_u:system_r:web_t', exec_ssid_label='system_u:system_r:domU_t'),
            _dom(4, 'db')],
     ('fail', 'all 2 guests run as the one type domU_t, ' + SHARED, 'shared_type')),
    (None, [_dom(3, 'web', exec_ssid_label='system_u:system_r:web_t'), _dom(4, 'db')],
     ('pass', 'guests run as 2 types (domU_t: db; web_t: web)', None)),
    # a vTPM stub domain before the guests is skipped, the guests after it are still seen
    (None, [_dom(2, 'vtpm-a', kernel='/usr/lib/xen/boot/vtpm-stubdom.gz'), _dom(3, 'web'), _dom(4, 'db')],
     ('fail', 'all 2 guests run as the one type domU_t, ' + SHARED, 'shared_type')),
    (None, [_dom(2, 'vtpm-a', kernel='/usr/lib/xen/boot/vtpm-stubdom.gz'), _dom(3, 'web')],
     ('not_applicable', 'fewer than two guests seen (web)', None)),
    # a domain without a name is named by its domid
    (None, [{'domid': 5, 'config': {}}, _dom(4, 'db', ssid_label='system_u:system_r:db_t')],
     ('pass', 'guests run as 2 types (db_t: db; domU_t: 5)', None)),
    # an unreadable configuration leaves the guests unknown, even two of one type
    ({'/etc/xen/a.cfg': _cfg(name='a'), '/etc/xen/b.cfg': _cfg(name='b'),
      '/etc/xen/x.cfg': {'keys': {}, 'error': 'x.cfg:1: syntax error'}, '/etc/xen/y.cfg': None}, None,
     ('unknown', 'cannot read guest configuration(s): /etc/xen/x.cfg, /etc/xen/y.cfg', None)),
])
def test_guests_isolated_under_flask(configs, domains, expected):
    assert verdict(guest_host(copy.deepcopy(configs), copy.deepcopy(domains)), 'XG-FLASK-03') == expected


TWO_GUESTS = {'/etc/xen/a.cfg': _cfg(name='a'), '/etc/xen/b.cfg': _cfg(name='b')}


@pytest.mark.parametrize('xsm,params,expected', [
    # SILO forbids guest-to-guest communication whatever the labels
    ({'framework': 'silo', 'mode': 'disabled', 'evidence': []}, None,
     ('pass', 'XSM SILO forbids guest-to-guest communication by itself (2 guests)', None)),
    # without FLASK or SILO, types separate nothing
    ({'framework': 'dummy', 'mode': None, 'evidence': []}, None,
     ('not_applicable', 'no XSM module separates guests (XSM module: dummy): see XG-FLASK-01', None)),
    ({'framework': 'unknown', 'mode': 'disabled', 'evidence': []}, None,
     ('not_applicable', 'no XSM module separates guests (FLASK is disabled): see XG-FLASK-01', None)),
    (None, None, ('unknown', NOT_GATHERED_XSM, None)),
    # the catalogue may not ask for isolation; a missing isolate_guests means it does
    (FLASK_ON, {'isolate_guests': False},
     ('not_applicable', 'this catalogue does not ask for guests to be isolated from each other', None)),
    ({'framework': 'silo', 'mode': None, 'evidence': []}, {'isolate_guests': False},
     ('not_applicable', 'this catalogue does not ask for guests to be isolated from each other', None)),
    (FLASK_ON, {}, ('fail', 'all 2 guests run as the one type domU_t, ' + SHARED, 'shared_type')),
    # domU_t itself may be declared isolating by the catalogue
    (FLASK_ON, {'isolating_types': ['domU_t']}, ('pass', 'guests run as 1 types (domU_t: a, b)', None)),
])
def test_guests_isolated_by_module_and_params(xsm, params, expected):
    facts = guest_host(copy.deepcopy(TWO_GUESTS), None, xsm)
    if xsm is None:
        facts['dmesg'] = None
    assert verdict(facts, 'XG-FLASK-03', params) == expected


# ---------------------------------------------------------------------------------------------
# XG-PVBOOT-01: pygrub, and the ways the toolstack restricts it, by Xen release

OK = 'no pygrub, or pygrub restricted'
BAD = 'booted with pygrub in dom0'
PYGRUB = '/usr/lib/xen-4.17/bin/pygrub'
ENV_REASON = '/etc/default/xendomains exports LIBXL_BOOTLOADER_RESTRICT, for the guests xendomains starts'


def pv_host(version='4.20.0', guest=None, conf=None, env=None, domains=None, minor=None):
    """The lab host at a Xen release with one PV guest /etc/xen/pv.cfg booted by pygrub (unless guest says
    otherwise), xl.conf keys conf and the exported variables env of /etc/default/xendomains."""
    facts = lab()
    facts['version'] = version
    facts['info']['xen_minor'] = str(minor if minor is not None else version.split('.')[1])
    facts['guest_configs'] = None
    if guest != 'none':
        keys = {'name': 'pv', 'bootloader': PYGRUB}
        keys.update(guest or {})
        facts['guest_configs'] = {'/etc/xen/pv.cfg': _cfg(**keys)}
    facts['xl_conf'] = _conf(**(conf or {}))
    facts['toolstack_env'] = {'path': '/etc/default/xendomains', 'exported': env or {}}
    facts['domains'] = domains
    return facts


RESTRICTED = ('pass', OK + ' (/etc/xen/pv.cfg (pygrub restricted: %s))', None)


def _restricted(reason):
    return RESTRICTED[0], RESTRICTED[1] % reason, None


def _unrestricted(why='bootloader=' + PYGRUB):
    return 'fail', '%s: /etc/xen/pv.cfg (%s)' % (BAD, why), None


NEEDS_418 = 'bootloader_restrict needs Xen 4.18 or later'
ENV_INSTEAD = NEEDS_418 + '; export LIBXL_BOOTLOADER_RESTRICT=1 for the toolstack instead'


# the environment variable (XSA-443): from 4.17.3 (libxl_bootloader.c) and 4.18+ (libxl_create.c), any value;
# bootloader_restrict in xl.cfg and xl.conf: from 4.18 (xl_parse.c)
@pytest.mark.parametrize('version,guest,env,expected', [
    ('4.17.2', {}, {'LIBXL_BOOTLOADER_RESTRICT': '1'}, _unrestricted()),
    ('4.17.3', {}, {'LIBXL_BOOTLOADER_RESTRICT': '1'}, _restricted(ENV_REASON)),
    ('4.17.3-pre', {}, {'LIBXL_BOOTLOADER_RESTRICT': '0'}, _restricted(ENV_REASON)),
    ('4.17', {}, {'LIBXL_BOOTLOADER_RESTRICT': '1'}, _unrestricted()),  # no micro: 4.17.3 not known
    ('4.18.0', {}, {'LIBXL_BOOTLOADER_RESTRICT': '1'}, _restricted(ENV_REASON)),
    ('4.20.0', {}, {'LIBXL_BOOTLOADER_USER': 'xen-bl'}, _restricted(
        '/etc/default/xendomains exports LIBXL_BOOTLOADER_USER, for the guests xendomains starts')),
    ('4.20.0', {}, {'LIBXL_BOOTLOADER_USER': 'u', 'LIBXL_BOOTLOADER_RESTRICT': '1', 'LIBXL_BOOTLOADER_TIMEOUT': '9'},
     _restricted('/etc/default/xendomains exports LIBXL_BOOTLOADER_RESTRICT, LIBXL_BOOTLOADER_USER, for the guests '
                 'xendomains starts')),
    ('4.20.0', {}, {'LIBXL_BOOTLOADER_TIMEOUT': '9', 'OTHER': '1'}, _unrestricted()),  # the timeout restricts nothing
    # the environment wins over the guest's own bootloader_restrict=0 (libxl_create.c sets it true after)
    ('4.20.0', {'bootloader_restrict': 0}, {'LIBXL_BOOTLOADER_RESTRICT': '1'}, _restricted(ENV_REASON)),
    # xl 4.17 does not know bootloader_restrict= nor bootloader_user=
    ('4.17.5', {'bootloader_restrict': 1}, None, _unrestricted(ENV_INSTEAD)),
    ('4.17.5', {'bootloader_user': 'xen-bl'}, None, _unrestricted(ENV_INSTEAD)),
    ('4.17.2', {'bootloader_restrict': 1}, None, _unrestricted(NEEDS_418)),
    ('4.17', {'bootloader_restrict': 1}, None, _unrestricted(NEEDS_418)),
    ('4.18.0', {'bootloader_restrict': 1}, None, _restricted('bootloader_restrict=1')),
    ('4.20.0', {'bootloader_user': 'xen-bl'}, None, _restricted('bootloader_user=xen-bl')),
    ('4.20.0', {}, None, _unrestricted()),
    # not pygrub: nothing to restrict, at any release; pygrub is any file name holding it
    ('4.17.0', {'bootloader': '/usr/lib/xen-4.17/bin/pvgrub'}, None, ('pass', OK + ' (/etc/xen/pv.cfg)', None)),
    ('4.17.0', {'bootloader': None, 'kernel': '/usr/lib/grub-xen/grub-x86_64-xen.bin'}, None,
     ('pass', OK + ' (/etc/xen/pv.cfg)', None)),
    ('4.17.0', {'bootloader': '/opt/pygrub/bin/loader'}, None, ('pass', OK + ' (/etc/xen/pv.cfg)', None)),
    ('4.17.0', {'bootloader': 'pygrub2'}, None, _unrestricted('bootloader=pygrub2')),
    # libxl runs no bootloader for an HVM guest
    ('4.17.0', {'type': 'hvm'}, None, ('not_applicable', 'no guest configuration or running guest seen', None)),
])
def test_pygrub_by_release(version, guest, env, expected):
    assert verdict(pv_host(version, guest, env=env), 'XG-PVBOOT-01') == expected


def test_pygrub_without_a_known_release_or_environment_path():
    # no Xen version at all: neither the variable nor the keys can be counted on
    facts = pv_host('4.20.0', {'bootloader_restrict': 1}, env={'LIBXL_BOOTLOADER_RESTRICT': '1'})
    facts['version'] = None
    facts['info'] = {}
    assert verdict(facts, 'XG-PVBOOT-01') == _unrestricted(NEEDS_418)
    # the environment's path unknown: named generically
    facts = pv_host('4.20.0', env={'LIBXL_BOOTLOADER_RESTRICT': '1'})
    facts['toolstack_env'] = {'exported': {'LIBXL_BOOTLOADER_RESTRICT': '1'}}
    assert verdict(facts, 'XG-PVBOOT-01') == _restricted(
        'the toolstack environment exports LIBXL_BOOTLOADER_RESTRICT, for the guests xendomains starts')
    for env in (None, 'LIBXL_BOOTLOADER_RESTRICT=1', {'exported': None}, {'exported': ['LIBXL_BOOTLOADER_RESTRICT']}):
        facts['toolstack_env'] = env
        assert verdict(facts, 'XG-PVBOOT-01') == _unrestricted(), env
    # xl info's major/minor decide the release, the version text only adds the micro number
    facts = pv_host('4.17.3', env={'LIBXL_BOOTLOADER_RESTRICT': '1'}, minor=16)
    assert verdict(facts, 'XG-PVBOOT-01') == _unrestricted()


# bootloader_restrict as xl reads a number (xlu_cfg_get_defbool: strtol(text, 0) of the whole text, non-zero is
# true; anything else is ignored with a warning), on 4.20: the guest's own value, else xl.conf's, else
# bootloader_user implies it (xl_parse.c: xl.conf only fills a default; libxl_create.c: !!bootloader_user)
NOT_A_NUMBER = 'bootloader_restrict=%s is not a number xl reads, so xl ignores it'


@pytest.mark.parametrize('guest,conf,expected', [
    ({'bootloader_restrict': 1}, None, _restricted('bootloader_restrict=1')),
    ({'bootloader_restrict': 2}, None, _restricted('bootloader_restrict=2')),
    ({'bootloader_restrict': True}, None, _restricted('bootloader_restrict=True')),
    ({'bootloader_restrict': '1'}, None, _restricted('bootloader_restrict=1')),
    ({'bootloader_restrict': '-1'}, None, _restricted('bootloader_restrict=-1')),
    ({'bootloader_restrict': '0x1'}, None, _restricted('bootloader_restrict=0x1')),
    ({'bootloader_restrict': '0X1f'}, None, _restricted('bootloader_restrict=0X1f')),
    ({'bootloader_restrict': '010'}, None, _restricted('bootloader_restrict=010')),
    ({'bootloader_restrict': ' 1'}, None, _restricted('bootloader_restrict= 1')),  # strtol skips leading space
    ({'bootloader_restrict': 'True'}, None, _restricted('bootloader_restrict=True')),
    ({'bootloader_restrict': 0}, None, _unrestricted()),
    ({'bootloader_restrict': False}, None, _unrestricted()),
    ({'bootloader_restrict': '0'}, None, _unrestricted()),
    ({'bootloader_restrict': '+0'}, None, _unrestricted()),
    ({'bootloader_restrict': '0x0'}, None, _unrestricted()),
    ({'bootloader_restrict': '00'}, None, _unrestricted()),
    ({'bootloader_restrict': 'False'}, None, _unrestricted()),
    ({'bootloader_restrict': 'yes'}, None, _unrestricted(NOT_A_NUMBER % 'yes')),
    ({'bootloader_restrict': '08'}, None, _unrestricted(NOT_A_NUMBER % '08')),  # not octal
    ({'bootloader_restrict': '0x'}, None, _unrestricted(NOT_A_NUMBER % '0x')),
    ({'bootloader_restrict': '1.0'}, None, _unrestricted(NOT_A_NUMBER % '1.0')),
    ({'bootloader_restrict': '1 2'}, None, _unrestricted(NOT_A_NUMBER % '1 2')),
    # xlu_cfg_get_bounded_long: nothing may follow the number ("*ep"), and a number beyond a long is ERANGE
    ({'bootloader_restrict': '1 '}, None, _unrestricted(NOT_A_NUMBER % '1 ')),
    ({'bootloader_restrict': '0x1 '}, None, _unrestricted(NOT_A_NUMBER % '0x1 ')),
    ({'bootloader_restrict': '99999999999999999999'}, None, _unrestricted(NOT_A_NUMBER % '99999999999999999999')),
    ({'bootloader_restrict': ' 1'}, None, _restricted('bootloader_restrict= 1')),
    ({'bootloader_restrict': 1.0}, None, _unrestricted(NOT_A_NUMBER % '1.0')),
    ({'bootloader_restrict': ['1']}, None, _unrestricted(NOT_A_NUMBER % "['1']")),
    ({'bootloader_restrict': ''}, None, _unrestricted()),
    # xl.conf is the default for guests that do not set their own
    ({}, {'bootloader_restrict': 1}, _restricted('xl.conf bootloader_restrict=1')),
    ({}, {'bootloader_restrict': '0x2'}, _restricted('xl.conf bootloader_restrict=0x2')),
    ({}, {'bootloader_restrict': 0}, _unrestricted()),
    ({}, {'bootloader_restrict': 'yes'}, _unrestricted()),
    ({'bootloader_restrict': 0}, {'bootloader_restrict': 1}, _unrestricted()),
    ({'bootloader_restrict': 1}, {'bootloader_restrict': 0}, _restricted('bootloader_restrict=1')),
    ({'bootloader_restrict': 'yes'}, {'bootloader_restrict': 1}, _restricted('xl.conf bootloader_restrict=1')),
    # bootloader_user implies the restriction only when neither sets bootloader_restrict
    ({'bootloader_user': 'xen-bl'}, None, _restricted('bootloader_user=xen-bl')),
    ({'bootloader_user': 'xen-bl'}, {'bootloader_restrict': 'yes'}, _restricted('bootloader_user=xen-bl')),
    ({'bootloader_user': 'xen-bl'}, {'bootloader_restrict': 1}, _restricted('xl.conf bootloader_restrict=1')),
    ({'bootloader_user': 'xen-bl'}, {'bootloader_restrict': 0}, _unrestricted(
        'bootloader_user=xen-bl does not restrict: xl.conf sets bootloader_restrict=0, which wins over it; set '
        'bootloader_restrict=1 in the guest')),
    ({'bootloader_user': 'xen-bl', 'bootloader_restrict': 0}, None, _unrestricted()),
    ({'bootloader_user': 'xen-bl', 'bootloader_restrict': 0}, {'bootloader_restrict': 0}, _unrestricted()),
    ({'bootloader_user': 'xen-bl', 'bootloader_restrict': 1}, {'bootloader_restrict': 0},
     _restricted('bootloader_restrict=1')),
    ({'bootloader_user': ''}, None, _unrestricted()),
])
def test_pygrub_restriction_values_and_order(guest, conf, expected):
    assert verdict(pv_host('4.20.0', guest, conf), 'XG-PVBOOT-01') == expected


# xl.conf's keys are read from the xl_conf part (or the keys themselves), never from a file that failed to read
@pytest.mark.parametrize('xl_conf,expected', [
    ({'path': '/etc/xen/xl.conf', 'error': None, 'keys': {'bootloader_restrict': 1}},
     _restricted('xl.conf bootloader_restrict=1')),
    ({'bootloader_restrict': 1}, _restricted('xl.conf bootloader_restrict=1')),
    ({'path': '/etc/xen/xl.conf', 'error': 'lexical error', 'bootloader_restrict': 1}, _unrestricted()),
    ({'path': '/etc/xen/xl.conf', 'error': None, 'bootloader_restrict': 1}, _unrestricted()),
    (None, _unrestricted()),
    ('bootloader_restrict=1', _unrestricted()),
])
def test_pygrub_reads_the_xl_conf_part(xl_conf, expected):
    facts = pv_host('4.20.0')
    facts['xl_conf'] = xl_conf
    assert verdict(facts, 'XG-PVBOOT-01') == expected


RUNNING = 'running domain web (domid 3)'


# a running domain is judged by its b_info (xl list -l): from 4.18 it holds what libxl settled on, environment
# included; without it (or before 4.18) the environment xendomains exports is the best guess
@pytest.mark.parametrize('version,b_info,env,expected', [
    ('4.20.0', {'bootloader': PYGRUB}, None, ('fail', BAD + ': ' + RUNNING, None)),
    ('4.20.0', {'bootloader': PYGRUB, 'bootloader_restrict': 'True'}, None,
     ('pass', OK + ' (%s (pygrub restricted: bootloader_restrict=True))' % RUNNING, None)),
    ('4.20.0', {'bootloader': PYGRUB, 'bootloader_restrict': 'False'}, {'LIBXL_BOOTLOADER_RESTRICT': '1'},
     ('fail', BAD + ': ' + RUNNING, None)),
    ('4.20.0', {'bootloader': PYGRUB, 'bootloader_restrict': '<default>'}, {'LIBXL_BOOTLOADER_RESTRICT': '1'},
     ('pass', OK + ' (%s (pygrub restricted: %s))' % (RUNNING, ENV_REASON), None)),
    ('4.20.0', {'bootloader': PYGRUB}, {'LIBXL_BOOTLOADER_RESTRICT': '1'},
     ('pass', OK + ' (%s (pygrub restricted: %s))' % (RUNNING, ENV_REASON), None)),
    ('4.20.0', {'bootloader': PYGRUB, 'bootloader_user': 'xen-bl'}, None,
     ('pass', OK + ' (%s (pygrub restricted: bootloader_user=xen-bl))' % RUNNING, None)),
    # before 4.18 the b_info has no such key to trust: a value there is not an answer
    ('4.17.5', {'bootloader': PYGRUB, 'bootloader_restrict': 'True'}, None, ('fail', BAD + ': ' + RUNNING, None)),
    ('4.17.5', {'bootloader': PYGRUB, 'bootloader_restrict': 'False'}, {'LIBXL_BOOTLOADER_RESTRICT': '1'},
     ('pass', OK + ' (%s (pygrub restricted: %s))' % (RUNNING, ENV_REASON), None)),
    ('4.20.0', {'bootloader': '/usr/bin/pvgrub'}, None, ('pass', OK + ' (%s)' % RUNNING, None)),
    ('4.20.0', {}, None, ('pass', OK + ' (%s)' % RUNNING, None)),
    ('4.20.0', {'bootloader': PYGRUB, 'type': 'hvm'}, None,
     ('not_applicable', 'no guest configuration or running guest seen', None)),
])
def test_pygrub_running_domains(version, b_info, env, expected):
    facts = pv_host(version, 'none', env=env, domains=[copy.deepcopy(DOM0), _dom(3, 'web', **copy.deepcopy(b_info))])
    assert verdict(facts, 'XG-PVBOOT-01') == expected


def test_pygrub_names_every_guest_in_order():
    facts = pv_host('4.20.0', {'bootloader': 'pygrub'}, domains=[_dom(3, 'web', bootloader=PYGRUB), _dom(4, 'db')])
    facts['guest_configs']['/etc/xen/a.cfg'] = _cfg(name='a', kernel='/boot/vmlinuz')
    facts['guest_configs']['/etc/xen/x.cfg'] = {'keys': None, 'error': 'x.cfg:2: syntax error'}
    assert verdict(facts, 'XG-PVBOOT-01') == (
        'fail', BAD + ': /etc/xen/pv.cfg (bootloader=pygrub); ' + RUNNING + ' (also unreadable: /etc/xen/x.cfg)', None)
    facts['domains'][0]['config']['b_info']['bootloader'] = None
    del facts['guest_configs']['/etc/xen/pv.cfg']
    assert verdict(facts, 'XG-PVBOOT-01') == ('unknown', 'cannot read guest configuration(s): /etc/xen/x.cfg', None)
    del facts['guest_configs']['/etc/xen/x.cfg']
    assert verdict(facts, 'XG-PVBOOT-01') == (
        'pass', OK + ' (/etc/xen/a.cfg, running domain web (domid 3), running domain db (domid 4))', None)
    facts['guest_configs'] = facts['domains'] = None
    assert verdict(facts, 'XG-PVBOOT-01') == ('unknown', NOT_GATHERED_GUESTS, None)


# ---------------------------------------------------------------------------------------------
# XG-DM-01: every HVM guest's QEMU in a stub domain (device_model_stubdomain_override) or restricted
# (dm_restrict), read as xl reads a boolean; a running domain's b_info holds libxl's defbool ("True")

def _dm(configs=None, domains=None):
    facts = lab()
    facts['guest_configs'] = configs
    facts['domains'] = domains
    return facts


def _hvm(**keys):
    return _cfg(type='hvm', **keys)


@pytest.mark.parametrize('configs,domains,expected', [
    (None, None, ('unknown', NOT_GATHERED_GUESTS, None)),
    ({}, None, ('not_applicable', 'no HVM guest seen', None)),
    ({'/etc/xen/pv.cfg': _cfg(name='pv')}, [DOM0, _dom(3, 'web')], ('not_applicable', 'no HVM guest seen', None)),
    ({'/etc/xen/pv.cfg': _cfg(name='pv'), '/etc/xen/x.cfg': {'keys': {}, 'error': 'syntax'}}, None,
     ('unknown', 'cannot read guest configuration(s): /etc/xen/x.cfg', None)),
    ({'/etc/xen/w.cfg': _hvm()}, None,
     ('fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: /etc/xen/w.cfg. %s.' % TECH_PREVIEW, None)),
    ({'/etc/xen/w.cfg': _cfg(builder='hvm')}, None,
     ('fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: /etc/xen/w.cfg. %s.' % TECH_PREVIEW, None)),
    ({'/etc/xen/w.cfg': _hvm(), '/etc/xen/x.cfg': {'keys': {}, 'error': 'syntax'}}, None,
     ('fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: /etc/xen/w.cfg (also unreadable: '
      '/etc/xen/x.cfg). %s.' % TECH_PREVIEW, None)),
    ({'/etc/xen/w.cfg': _hvm(device_model_stubdomain_override=1)}, None,
     ('pass', 'every HVM device model is confined - stub domain: /etc/xen/w.cfg. %s.' % TECH_PREVIEW, None)),
    ({'/etc/xen/w.cfg': _hvm(dm_restrict='1')}, None,
     ('pass', 'every HVM device model is confined - restricted (dm_restrict): /etc/xen/w.cfg. %s.' % TECH_PREVIEW,
      None)),
    # a stub domain is named before dm_restrict when both are set
    ({'/etc/xen/w.cfg': _hvm(device_model_stubdomain_override='0x1', dm_restrict=1)}, None,
     ('pass', 'every HVM device model is confined - stub domain: /etc/xen/w.cfg. %s.' % TECH_PREVIEW, None)),
    # xl ignores words that are not numbers: "yes" leaves QEMU unrestricted
    ({'/etc/xen/w.cfg': _hvm(device_model_stubdomain_override='yes', dm_restrict='true')}, None,
     ('fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: /etc/xen/w.cfg. %s.' % TECH_PREVIEW, None)),
    ({'/etc/xen/w.cfg': _hvm(device_model_stubdomain_override=0, dm_restrict=0)}, None,
     ('fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: /etc/xen/w.cfg. %s.' % TECH_PREVIEW, None)),
    # every way, in the order neither, stub domain, restricted; configurations sorted by path
    ({'/etc/xen/c.cfg': _hvm(dm_restrict=1), '/etc/xen/b.cfg': _hvm(), '/etc/xen/a.cfg': _hvm(),
      '/etc/xen/s.cfg': _hvm(device_model_stubdomain_override=1), '/etc/xen/pv.cfg': _cfg()}, None,
     ('fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: /etc/xen/a.cfg, /etc/xen/b.cfg; stub domain: '
      '/etc/xen/s.cfg; restricted (dm_restrict): /etc/xen/c.cfg. %s.' % TECH_PREVIEW, None)),
    # running HVM domains (their device-model stub domains, "-dm", are not guests)
    (None, [DOM0, _dom(7, 'win', type='hvm', device_model_stubdomain='True'), _dom(8, 'win-dm')],
     ('pass', 'every HVM device model is confined - stub domain: running domain win (domid 7). %s.' % TECH_PREVIEW,
      None)),
    (None, [_dom(7, 'win', type='hvm', device_model_stubdomain=True)],
     ('pass', 'every HVM device model is confined - stub domain: running domain win (domid 7). %s.' % TECH_PREVIEW,
      None)),
    (None, [_dom(7, 'win', type='hvm', device_model_stubdomain='False', dm_restrict='True')],
     ('pass', 'every HVM device model is confined - restricted (dm_restrict): running domain win (domid 7). %s.'
      % TECH_PREVIEW, None)),
    (None, [_dom(7, 'win', type='hvm', device_model_stubdomain='<default>', dm_restrict='1')],
     ('fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: running domain win (domid 7). %s.'
      % TECH_PREVIEW, None)),
    ({'/etc/xen/w.cfg': _hvm(dm_restrict=1)}, [_dom(7, 'win', type='HVM')],
     ('fail', 'HVM guests whose QEMU runs unrestricted in dom0 - neither: running domain win (domid 7); restricted '
      '(dm_restrict): /etc/xen/w.cfg. %s.' % TECH_PREVIEW, None)),
])
def test_hvm_device_model_confined(configs, domains, expected):
    assert verdict(_dm(copy.deepcopy(configs), copy.deepcopy(domains)), 'XG-DM-01') == expected
