# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The checks of the control catalogue, one function per ``check`` name of catalogue.py.

A check takes ``(facts, params)`` and returns ``(status, detail)``, where the detail says what was
seen. Each is registered by name with ``@check('name')`` (so ``grep "check('name')"`` finds it).
Checks are pure and never raise on purpose: controls.evaluate turns an exception into ``unknown``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import posixpath
import re

from ansible_collections.xenguard.hardening.plugins.module_utils.verdicts import (
    FAIL,
    NA,
    PASS,
    UNKNOWN,
    check,
)
from ansible_collections.xenguard.hardening.plugins.module_utils import dom0net, netsplit, xencmdline, xenstored
from ansible_collections.xenguard.hardening.plugins.module_utils import tpm as tpm_facts
from ansible_collections.xenguard.hardening.plugins.module_utils.flasklabel import label_type
from ansible_collections.xenguard.hardening.plugins.module_utils.xl import virt_caps, xsm_facts
from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import is_hvm, is_vtpm_stub, xl_number, xl_true


# ---------------------------------------------------------------------------------------------
# helpers over the facts


def _missing(what):
    return UNKNOWN, 'the facts have no %s (not gathered)' % what


def _tokens(facts):
    """The booted Xen command line as tokens, or None when the facts do not have it."""
    tokens = facts.get('cmdline')
    if isinstance(tokens, list):
        return xencmdline.split(tokens)
    line = (facts.get('info') or {}).get('xen_commandline')
    if isinstance(line, str):
        return xencmdline.split(line)
    return None


def cmdline_check(name):
    """Register a check that reads the booted Xen command line: it is called as ``func(facts, params,
    tokens)``, and where the facts have no command line the control is unknown without calling it."""
    def register(func):
        def judge(facts, params):
            tokens = _tokens(facts)
            if tokens is None:
                return _missing('booted Xen command line')
            return func(facts, params, tokens)
        judge.__name__ = func.__name__
        judge.__doc__ = func.__doc__
        return check(name)(judge)
    return register


def _show(tokens):
    return ' '.join(tokens) if tokens else '(empty)'


def _libxl_true(value):
    """A boolean of xl list -l's JSON: libxl writes a defbool as "True", "False" or "<default>" (a plain bool
    as true or false). Guest configuration files are read with xlcfg.xl_true."""
    return value is True or value == 'True'


def _guest_configs(facts):
    """(configs, unreadable): {path: keys} of readable guest configuration files, and unreadable paths.

    None when the facts have no guest_configs.
    """
    raw = facts.get('guest_configs')
    if not isinstance(raw, dict):
        return None
    configs = {}
    unreadable = []
    for path in sorted(raw):
        entry = raw[path] or {}
        if entry.get('error') or not isinstance(entry.get('keys'), dict):
            unreadable.append(path)
        else:
            configs[path] = entry['keys']
    return configs, unreadable


def _is_helper_config(keys):
    """Driver, device-model and vTPM stub domains are not the guests these controls judge."""
    return xl_true(keys.get('driver_domain')) or is_vtpm_stub(keys)


def _is_hvm_domain(dom):
    """An HVM domain of xl list -l (libxl's JSON names the type in lower case)."""
    return str(dom.get('type') or _c_info(dom).get('type') or '').lower() == 'hvm'


def _guest_domains(facts):
    """Running guests (no dom0, no device-model stub domains), or None without domain facts."""
    domains = facts.get('domains')
    if not isinstance(domains, list):
        return None
    guests = []
    for dom in domains:
        if not isinstance(dom, dict) or str(dom.get('domid')) == '0':
            continue
        name = str(dom.get('name') or '')
        if name.endswith('-dm'):
            continue
        guests.append(dom)
    return guests


def _b_info(dom):
    return ((dom.get('config') or {}).get('b_info') or {})


def _c_info(dom):
    return ((dom.get('config') or {}).get('c_info') or {})


def _domain_label(dom):
    return 'running domain %s (domid %s)' % (dom.get('name'), dom.get('domid'))


def _guest_verdict(offenders, unreadable, judged, what_ok, what_bad, none_seen):
    """Common verdict for checks over guest configurations and running guests."""
    if offenders:
        detail = '%s: %s' % (what_bad, '; '.join(offenders))
        if unreadable:
            detail += ' (also unreadable: %s)' % ', '.join(unreadable)
        return FAIL, detail
    if unreadable:
        return UNKNOWN, 'cannot read guest configuration(s): %s' % ', '.join(unreadable)
    if not judged:
        return NA, none_seen
    return PASS, '%s (%s)' % (what_ok, ', '.join(judged))


def _judge_guests(facts, judge_config, judge_domain, what_ok, what_bad,
                  none_seen='no guest configuration or running guest seen'):
    """The verdict of a check over every guest: its configuration file and its running domain.

    judge_config(path, keys) and judge_domain(dom) answer (passes, label), label naming the guest in
    the detail, or None for a guest the check does not judge. what_ok and what_bad word a pass and a
    failure; none_seen is the detail when no guest was judged.
    """
    found = _guest_configs(facts)
    domains = _guest_domains(facts)
    if found is None and domains is None:
        return _missing('guest configurations (guest_configs) nor domains')
    configs, unreadable = found or ({}, [])
    verdicts = [judge_config(path, keys) for path, keys in configs.items()]
    verdicts += [judge_domain(dom) for dom in domains or []]
    offenders, judged = [], []
    for passes, label in (v for v in verdicts if v is not None):
        (judged if passes else offenders).append(label)
    return _guest_verdict(offenders, unreadable, judged, what_ok, what_bad, none_seen)


def _version_tuple(facts):
    info = facts.get('info') or {}
    try:
        if info.get('xen_major') is not None and info.get('xen_minor') is not None:
            return int(info['xen_major']), int(info['xen_minor'])
        parts = str(facts.get('version') or '').split('.')
        return int(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        return None


def _iommu(facts):
    dmesg = facts.get('dmesg')
    if not isinstance(dmesg, dict) or not isinstance(dmesg.get('iommu'), dict):
        return None
    return dmesg['iommu']


# ---------------------------------------------------------------------------------------------
# checks: one per `check` name of the catalogue

def _directio(facts):
    """(True/False, caps) from xl info virt_caps: hvm_directio/pv_directio is Xen's iommu_enabled
    (xen/common/sysctl.c XEN_SYSCTL_PHYSCAP_directio); (None, None) when virt_caps is not known."""
    caps = virt_caps(facts.get('info') or {})
    if caps is None:
        return None, None
    return ('hvm_directio' in caps or 'pv_directio' in caps), list(caps)


def _iommu_switched_off(facts):
    """The booted iommu=/no-iommu tokens when they leave the IOMMU off, or None.

    iommu= is a list Xen applies token by token, item by item (xencmdline.iommu_state): the last boolean
    item decides; force/required with the IOMMU off would not have booted (Xen panics).
    """
    tokens = _tokens(facts) or []
    state = xencmdline.iommu_state(tokens)
    if state['enable'] is False and not state['force']:
        return ' '.join(token for token, _value in xencmdline.custom_values(tokens, 'iommu'))
    return None


# CPU vendors whose hosts have AMD-Vi, not VT-d (Hygon's CPUs are AMD-derived)
AMD_VI_CPUS = ('amd', 'hygon')


def _iommu_cpu_vendor(facts, iommu):
    vendor = (iommu or {}).get('vendor')
    if vendor in ('intel', 'amd'):
        return vendor
    cpu = facts.get('cpu') if isinstance(facts.get('cpu'), dict) else {}
    return cpu.get('vendor')


def _iommu_state(facts):
    """(state, detail, problem) of the IOMMU itself: state True (enabled), False or None (unknown)."""
    iommu = _iommu(facts)
    directio, caps = _directio(facts)
    enabled = iommu.get('enabled') if iommu else None
    shown_caps = '; xl info virt_caps: %s' % ' '.join(caps) if caps is not None else ''
    if enabled is True:
        return True, 'IOMMU enabled (vendor %s): %s' % (
            iommu.get('vendor'), '; '.join(_iommu_summary(iommu)) or 'I/O virtualisation enabled'), None
    if enabled is None and directio:
        return True, 'xl info virt_caps has direct I/O (Xen enabled its IOMMU): %s%s' % (
            ' '.join(caps), '' if iommu is None else '; xl dmesg no longer holds the IOMMU lines'), None
    if enabled is None and directio is None:
        if iommu is None:
            return None, 'the facts have no xl dmesg analysis (dmesg.iommu) nor xl info virt_caps '\
                '(not gathered)', 'unknown'
        return None, 'xl dmesg does not say whether the IOMMU is enabled (the log may have wrapped; see '\
            'XG-XEN-06) and xl info virt_caps is not known', 'unknown'
    # not enabled: xl dmesg says so, or it is silent and virt_caps has no direct I/O
    if iommu is None or enabled is None:
        detail = 'xl info virt_caps has no hvm_directio/pv_directio: %s' % ' '.join(caps)
    else:
        detail = 'IOMMU not enabled (vendor seen: %s)' % iommu.get('vendor')
        if iommu.get('disabled_reason'):
            detail += '; Xen says: %s' % iommu['disabled_reason']
        if iommu.get('lines'):
            detail += '; log: %s' % '; '.join(iommu['lines'][-3:])
        detail += shown_caps
    off = _iommu_switched_off(facts)
    if off:
        return False, '%s; the booted command line has %s' % (detail, off), 'switched_off'
    if iommu and iommu.get('disabled_reason'):
        return False, detail, 'erratum'
    return False, detail, 'no_iommu'


@check('iommu_enabled')
def check_iommu_enabled(facts, params):
    state, detail, problem = _iommu_state(facts)
    if state is None:
        return UNKNOWN, detail, problem
    return (PASS if state else FAIL), detail, problem


def _iommu_summary(iommu):
    keep = ('I/O virtualisation', 'Interrupt remapping', 'Queued Invalidation', 'IOMMU 0 Enabled')
    return [line for line in iommu.get('lines') or [] if any(k in line for k in keep)]


@check('interrupt_remapping')
def check_interrupt_remapping(facts, params):
    # Xen calls remapping with one global table (AMD, XSA-36) or with Compatibility Format Interrupts
    # permitted (VT-d) insecure for device pass-through, the reason this control exists: it fails.
    iommu = _iommu(facts)
    state, detail, problem = _iommu_state(facts)
    if state is False:
        return FAIL, 'no interrupt remapping: the IOMMU is not enabled (see XG-IOMMU-01)', problem
    if iommu is None:
        return UNKNOWN, 'the facts have no xl dmesg analysis (dmesg.iommu) (not gathered)', 'unknown'
    lines = [line for line in iommu.get('lines') or [] if 'interrupt remapping' in line.lower()]
    remapping = iommu.get('interrupt_remapping')
    if remapping and iommu.get('interrupt_remapping_insecure'):
        return FAIL, 'interrupt remapping is enabled but insecure: Xen says: %s' % (
            iommu['interrupt_remapping_insecure']), 'intremap_insecure'
    if remapping:
        return PASS, 'interrupt remapping enabled: %s' % ('; '.join(lines) or 'per xl dmesg'), None
    if remapping is None:
        return UNKNOWN, 'xl dmesg does not say whether interrupt remapping is enabled (the log may have '\
            'wrapped; see XG-XEN-06)', 'unknown'
    vendor = 'amd' if _iommu_cpu_vendor(facts, iommu) in AMD_VI_CPUS else 'intel'
    return FAIL, 'interrupt remapping is not enabled: %s' % (
        '; '.join(lines) or 'no such line in xl dmesg'), 'no_intremap_' + vendor


@check('queued_invalidation')
def check_queued_invalidation(facts, params):
    iommu = _iommu(facts)
    if iommu is None:
        return _missing('xl dmesg analysis (dmesg.iommu)') + ('unknown',)
    vendor = iommu.get('vendor')
    qi = iommu.get('queued_invalidation')
    lines = [line for line in iommu.get('lines') or [] if 'Queued Invalidation' in line]
    if vendor == 'intel' and qi is True:
        return PASS, '; '.join(lines) or 'queued invalidation enabled', None
    if vendor == 'intel' and qi is False:
        return FAIL, 'VT-d without queued invalidation (so without interrupt remapping): %s' % (
            '; '.join(lines) or 'per xl dmesg'), 'no_qinval'
    not_vtd = 'queued invalidation is a VT-d feature'
    if vendor == 'amd':
        return NA, 'the IOMMU is AMD-Vi; %s' % not_vtd, None
    # VT-d that Xen disabled ("Failed to parse ACPI DMAR.  Disabling VT-d.", a chipset erratum) never gets to
    # vtd_setup, which prints the Queued Invalidation line: no IOMMU, not a wrapped log
    if _iommu_state(facts)[0] is False:
        return NA, 'no IOMMU is enabled (see XG-IOMMU-01); %s' % not_vtd, None
    if vendor != 'intel':
        cpu = _iommu_cpu_vendor(facts, iommu)
        if cpu in AMD_VI_CPUS:
            return NA, 'the CPU is %s (AMD-Vi); %s' % (cpu, not_vtd), None
    return UNKNOWN, 'xl dmesg does not say whether VT-d queued invalidation is enabled (the log may '\
        'have wrapped; see XG-XEN-06)', 'unknown'


@cmdline_check('iommu_required')
def check_iommu_required(facts, params, tokens):
    # xen-command-line.pandoc "### iommu": force and required are synonyms, booleans like every item;
    # iommu.c parse_iommu_param applies every iommu= token item by item.
    given = _given(tokens, 'iommu')
    if not given:
        return FAIL, 'booted command line has no iommu= option (tokens: %s)' % _show(tokens)
    state = xencmdline.iommu_state(tokens)
    if state['enable'] is False:
        return FAIL, 'booted command line turns the IOMMU off (%s)' % given
    if state['force']:
        return PASS, 'booted command line has %s: Xen refuses to boot without a working IOMMU' % given
    return FAIL, 'booted command line has %s, without required (or force)' % given


def _given(tokens, name):
    """The tokens of option ``name`` on the command line, as written ('' when there is none)."""
    return ' '.join(token for token, _value, _neg in xencmdline.occurrences(tokens, name))


@cmdline_check('smt_disabled')
def check_smt_disabled(facts, params, tokens):
    # xen-command-line.pandoc "### smt (x86)": a boolean_param (kernel.c parse_params: exact lower-case
    # words, no-smt, each valid occurrence in turn); "### sched-gran (x86)": core (or socket) scheduling
    # runs only one guest's vCPUs on the sibling threads of a core.
    threads = (facts.get('info') or {}).get('threads_per_core')
    extra = '; xl info threads_per_core: %s' % threads if threads is not None else ''
    smt = xencmdline.bool_option(tokens, 'smt')
    given = _given(tokens, 'smt')
    if smt is False:
        return PASS, 'booted command line turns SMT off (%s)%s' % (given, extra)
    gran = xencmdline.choice(tokens, 'sched-gran', ('cpu', 'core', 'socket'))
    if gran in ('core', 'socket'):
        return PASS, 'booted command line has sched-gran=%s: sibling threads only run vCPUs of one guest at a ' \
            'time%s' % (gran, extra)
    if smt is True:
        return FAIL, 'booted command line has %s: SMT stays on%s' % (given, extra)
    if given:
        return FAIL, 'booted command line has %s, which Xen does not read as a boolean (only %s), so SMT stays ' \
            'on%s' % (given, '|'.join(xencmdline.BOOL_WORDS), extra)
    return FAIL, 'booted command line has no smt=0 (tokens: %s)%s' % (_show(tokens), extra)


@check('spec_ctrl_not_disabled')
def check_spec_ctrl_not_disabled(facts, params):
    # xen-command-line.pandoc "### spec-ctrl (x86)", "### xpti (x86)", "### pv-l1tf (x86)", "### tsx";
    # spec_ctrl.c parse_spec_ctrl applies every item in turn (xencmdline.mitigations_off).
    tokens = _tokens(facts)
    spec = (facts.get('dmesg') or {}).get('spec_ctrl') or {}
    if tokens is None and not spec:
        return _missing('booted Xen command line')
    settings = [line for line in spec.get('lines') or [] if line.startswith('Xen settings')]
    seen = ('; xl dmesg: %s' % settings[0]) if settings else ''
    off = xencmdline.mitigations_off(tokens or [])
    if off:
        return FAIL, 'mitigations turned off by the booted command line: %s%s' % (
            '; '.join('%s (%s)' % item for item in off), seen)
    if spec.get('disabled'):
        return FAIL, 'mitigations turned off according to the xl dmesg analysis%s' % seen
    given = ' '.join(_given(tokens or [], name) for name in ('spec-ctrl', 'xpti', 'pv-l1tf', 'tsx')).split()
    if not given:
        return PASS, 'booted command line has no spec-ctrl=, xpti=, pv-l1tf= or tsx= (defaults on)%s' % seen
    return PASS, 'booted command line has %s, which turns no mitigation off%s' % (' '.join(given), seen)


@cmdline_check('pv_linear_pt_off')
def check_pv_linear_pt_off(facts, params, tokens):
    # xen-command-line.pandoc "### pv-linear-pt (x86)": a boolean_param, only with CONFIG_PV_LINEAR_PT.
    value = xencmdline.bool_option(tokens, 'pv-linear-pt')
    given = _given(tokens, 'pv-linear-pt')
    if value is False:
        return PASS, 'booted command line has %s' % given
    if value is True:
        return FAIL, 'booted command line has %s: PV guests may use linear page tables' % given
    if given:
        return FAIL, 'booted command line has %s, which Xen does not read as a boolean; linear page tables stay ' \
            'allowed' % given
    return FAIL, 'booted command line has no pv-linear-pt=0 (tokens: %s)' % _show(tokens)


@check('no_pv32')
def check_no_pv32(facts, params):
    # xen-command-line.pandoc "### pv": List of [ 32=<bool> ] (pv/domain.c parse_pv, every item in turn).
    tokens = _tokens(facts)
    info = facts.get('info') or {}
    caps = info.get('xen_caps')
    if tokens is not None and xencmdline.list_boolean(tokens, 'pv', '32') is False:
        return PASS, 'booted command line has %s' % _given(tokens, 'pv')
    if caps is not None:
        if any(c.startswith('xen-') and c.endswith('x86_32p') for c in caps.split()):
            return FAIL, 'xl info xen_caps offers 32-bit PV guests (%s) and the command line has no pv=no-32' \
                % caps.strip()
        return PASS, 'xl info xen_caps offers no 32-bit PV ABI (%s); pv=no-32 would pin it' % caps.strip()
    if tokens is None:
        return _missing('booted Xen command line nor xl info xen_caps')
    return FAIL, 'booted command line has no pv=no-32 (tokens: %s) and xen_caps is not known' % _show(tokens)


@cmdline_check('dom0_mem_fixed')
def check_dom0_mem_fixed(facts, params, tokens):
    # xen-command-line.pandoc "### dom0_mem (x86)"; dom0_build.c parse_dom0_mem reads every token.
    given = _given(tokens, 'dom0_mem')
    try:
        mem = xencmdline.dom0_mem(tokens)
    except xencmdline.XenCmdlineError as exc:
        return FAIL, '%s: Xen refuses this dom0_mem' % exc.msg
    if mem is None:
        return FAIL, 'booted command line has no dom0_mem= (tokens: %s)' % _show(tokens)
    size, maximum = mem['size'], mem['max']
    if size is None or maximum is None:
        return FAIL, '%s does not give both a size and max:<size>' % given
    if any(size[k] != maximum[k] for k in ('minus', 'bytes', 'percent')):
        return FAIL, '%s: the size and max: differ, so dom0 can balloon' % given
    return PASS, 'booted command line has %s' % given


@cmdline_check('conring_size')
def check_conring_size(facts, params, tokens):
    # xen-command-line.pandoc "### conring_size" (a size_param; 0 means default); console.c
    # console_init_postirq: by default num_present_cpus() << (9 + loglvl's lower threshold), rounded up to
    # a power of two and at least 16 KiB.
    minimum = int(params.get('min_kib', 1024))
    nr_cpus = (facts.get('info') or {}).get('nr_cpus')
    try:
        nr_cpus = int(nr_cpus) if nr_cpus is not None else None
    except ValueError:
        nr_cpus = None
    ring, how = xencmdline.conring_bytes(tokens, nr_cpus)
    given = _given(tokens, 'conring_size')
    note = ''
    if given and how == 'default':
        note = '%s gives no size Xen uses, so Xen takes its default; ' % given
    elif given and any(xencmdline.size_bytes(v) is None for _t, v, _n in xencmdline.occurrences(tokens, 'conring_size')):
        note = '%s is not entirely a size Xen reads; ' % given
    if ring is None:
        return FAIL, '%sno conring_size= and xl info has no nr_cpus: Xen\'s default ring depends on the number ' \
            'of CPUs and loglvl (want at least %d KiB)' % (note, minimum)
    kib = ring >> 10
    if how == 'default':
        what = '%sXen\'s default ring for %d CPUs at this loglvl is %d KiB' % (note, nr_cpus, kib)
    else:
        what = '%sbooted command line has %s (%d KiB)' % (note, given, kib)
    if kib < minimum:
        return FAIL, '%s, less than %d KiB' % (what, minimum)
    return PASS, what


@cmdline_check('ucode_loading')
def check_ucode_loading(facts, params, tokens):
    # xen-command-line.pandoc "### ucode": scan or a module index loads microcode; nmi= and
    # digest-check= alone load nothing (microcode/core.c parse_ucode, every item in turn).
    given = _given(tokens, 'ucode')
    if not given:
        return FAIL, 'booted command line has no ucode= (tokens: %s)' % _show(tokens)
    state = xencmdline.ucode_state(tokens, _version(facts))
    if state['scan']:
        return PASS, 'booted command line has %s: Xen scans the boot modules for microcode' % given
    if state['module']:
        return PASS, 'booted command line has %s: Xen loads microcode from boot module %s' % (
            given, state['module'])
    return FAIL, 'booted command line has %s, which loads no microcode (it needs scan or a module index)' % given


def _today(facts):
    when = facts.get('evaluated_on')
    if when:
        return datetime.datetime.strptime(str(when)[:10], '%Y-%m-%d').date()
    return datetime.date.today()


@check('security_support')
def check_security_support(facts, params):
    version = _version_tuple(facts)
    if version is None:
        return _missing('Xen version')
    table = params.get('security_support_until') or {}
    known = {}
    for key, until in table.items():
        major, minor = key.split('.')
        known[(int(major), int(minor))] = until
    name = '%d.%d' % version
    today = _today(facts)
    if version in known:
        until = datetime.datetime.strptime(known[version], '%Y-%m-%d').date()
        if today > until:
            return FAIL, 'Xen %s: upstream security support ended %s (the distribution may still backport ' \
                'fixes)' % (facts.get('version') or name, known[version])
        return PASS, 'Xen %s: upstream security support until %s' % (facts.get('version') or name, known[version])
    if known and version < min(known):
        return FAIL, 'Xen %s is older than every release this catalogue knows (%s)' % (
            name, ', '.join('%d.%d' % v for v in sorted(known)))
    return UNKNOWN, 'no security-support date known for Xen %s' % name


# xl.conf is xl's language, not Xen's command line: tools/xl/xl.c parse_global_config compares
# autoballoon with exactly "on", "1", "off", "0" and "auto"; anything else is "invalid autoballoon
# option" and the default ("auto") stays.
XL_AUTOBALLOON_WORDS = {'on': 'on', '1': 'on', 'off': 'off', '0': 'off', 'auto': 'auto'}
# tools/xl/xl.c auto_autoballoon: "auto" means off when the Xen command line matches this.
_XL_SIZE = r'-?[0-9]+[bBkKmMgGtT]?'
_XL_DOM0_MEM = re.compile(r'(^| )dom0_mem=((|min:|max:)(%s|(%s\+)?[0-9]{1,2}%%),?)+($| )' % (_XL_SIZE, _XL_SIZE))


def xl_autoballoon_word(value):
    """xl.conf's autoballoon as xl reads it: 'on', 'off', 'auto', or None for a value xl rejects."""
    if isinstance(value, bool):
        return None
    return XL_AUTOBALLOON_WORDS.get(str(value))


@check('autoballoon_off')
def check_autoballoon_off(facts, params):
    # xl.conf(5) "autoballoon": "off", or "auto" (the default) with dom0_mem on the Xen command line.
    xl_conf = facts.get('xl_conf')
    if not isinstance(xl_conf, dict):
        return _missing('/etc/xen/xl.conf (xl_conf)')
    keys = xl_conf
    if isinstance(xl_conf.get('keys'), dict) or 'error' in xl_conf:
        if xl_conf.get('error'):
            return UNKNOWN, 'cannot read %s: %s' % (xl_conf.get('path') or 'xl.conf', xl_conf['error'])
        keys = xl_conf.get('keys') or {}
    if 'autoballoon' in keys:
        value = keys['autoballoon']
        word = xl_autoballoon_word(value)
        said = 'xl.conf has autoballoon=%r' % (value,)
        if word is None:
            return FAIL, '%s, which xl rejects ("invalid autoballoon option"; it accepts only off, 0, on, 1, auto) ' \
                'and then balloons as "auto"; write autoballoon="off"' % said
    else:
        word = 'auto'
        said = 'xl.conf does not set autoballoon (xl defaults to "auto")'
    if word == 'off':
        return PASS, said
    if word == 'on':
        return FAIL, '%s: xl takes memory from dom0 for new guests' % said
    tokens = _tokens(facts)
    if tokens is None:
        return UNKNOWN, '%s, which depends on dom0_mem on the Xen command line; the facts do not have it' % said
    if _XL_DOM0_MEM.search(' '.join(tokens)):
        return PASS, '%s and the booted command line has %s, so xl does not balloon dom0' % (
            said, _given(tokens, 'dom0_mem'))
    return FAIL, '%s and the booted command line has no dom0_mem= that xl recognises, so xl balloons dom0' % said


def _flask_mode(facts):
    flask = facts.get('flask')
    if isinstance(flask, dict) and flask.get('mode'):
        return flask['mode']
    return None


def _xsm(facts):
    """The xsm facts (xl.xsm_facts), computed from dmesg.xsm and flask.mode when the facts lack them."""
    xsm = facts.get('xsm')
    if isinstance(xsm, dict) and xsm.get('framework'):
        return xsm
    dmesg_xsm = (facts.get('dmesg') or {}).get('xsm')
    mode = _flask_mode(facts)
    if not isinstance(dmesg_xsm, dict) and mode is None:
        return None
    return xsm_facts(dmesg_xsm, mode, _tokens(facts))


def _xsm_detail(facts):
    xsm = (facts.get('dmesg') or {}).get('xsm') or {}
    if xsm.get('flask_param_unknown'):
        return '; xl dmesg: parameter "flask" unknown (this Xen is built without FLASK)'
    found = _xsm(facts) or {}
    evidence = [e for e in found.get('evidence') or [] if not e.startswith('xl getenforce')]
    return ('; evidence: %s' % '; '.join(evidence)) if evidence else ''


def _no_xsm_policy(facts, xsm):
    """The verdict when neither FLASK nor SILO is seen: fail, or unknown where SILO may be running."""
    mode = xsm.get('mode')
    said = 'FLASK is %s' % mode if mode else 'XSM module: %s' % xsm['framework']
    if xsm['framework'] == 'unknown':
        if mode == 'disabled' and 'xsm=silo' in (_tokens(facts) or []):
            return UNKNOWN, '%s; xsm=silo is on the booted command line but xl dmesg no longer shows whether ' \
                'SILO started (see XG-XEN-06)%s' % (said, _xsm_detail(facts))
        if mode != 'disabled':
            return UNKNOWN, 'neither xl getenforce nor xl dmesg tells which XSM module runs%s' % _xsm_detail(facts)
    return FAIL, '%s%s' % (said, _xsm_detail(facts))


def _xsm_unknown(facts, xsm, silo=True):
    """XG-FLASK-01's unknown verdict where the facts do not tell which XSM module runs (the controls that
    need FLASK, or with ``silo`` FLASK or SILO, are then unknown too, not "not applicable"), else None.
    Without ``silo``, FLASK known to be disabled (xl getenforce) is no unknown."""
    if not silo and xsm.get('mode') == 'disabled':
        return None
    if xsm['framework'] not in ('flask', 'silo'):
        status, detail = _no_xsm_policy(facts, xsm)
        if status == UNKNOWN:
            return status, detail
    return None


@check('flask_active')
def check_flask_active(facts, params):
    xsm = _xsm(facts)
    if xsm is None:
        return _missing('FLASK mode (flask.mode) nor xl dmesg analysis (dmesg.xsm)')
    if xsm['framework'] == 'flask':
        return PASS, 'FLASK is %s%s' % (xsm.get('mode') or 'active', _xsm_detail(facts))
    if xsm['framework'] == 'silo':
        return PASS, 'XSM SILO is active: guests can reach dom0 but not each other%s' % _xsm_detail(facts)
    return _no_xsm_policy(facts, xsm)


@check('flask_enforcing')
def check_flask_enforcing(facts, params):
    xsm = _xsm(facts)
    if xsm is None:
        return _missing('FLASK mode (flask.mode) nor xl dmesg analysis (dmesg.xsm)')
    mode = xsm.get('mode')
    if xsm['framework'] == 'flask':
        if mode == 'enforcing':
            return PASS, 'FLASK is enforcing'
        if mode is None:
            return UNKNOWN, 'FLASK is active but xl getenforce was not read (flask.mode)'
        return FAIL, 'FLASK is %s, not enforcing%s' % (mode, _xsm_detail(facts))
    if xsm['framework'] == 'silo':
        return PASS, 'XSM SILO is active; it has no permissive mode'
    status, detail = _no_xsm_policy(facts, xsm)
    return status, detail.replace('FLASK is disabled', 'FLASK is disabled, not enforcing', 1)


@check('flask_no_denials')
def check_flask_no_denials(facts, params):
    xsm = _xsm(facts)
    if xsm is None:
        return _missing('FLASK mode (flask.mode) nor xl dmesg analysis (dmesg.xsm)')
    unknown = _xsm_unknown(facts, xsm, silo=False)
    if unknown:
        return unknown
    if xsm['framework'] != 'flask':
        return NA, 'FLASK is not active (XSM module: %s): nothing audits accesses' % xsm['framework']
    logged = (facts.get('dmesg') or {}).get('xsm')
    if not isinstance(logged, dict) or 'avc_denied' not in logged:
        return _missing('xl dmesg analysis (dmesg.xsm.avc_denied)')
    accepted = [re.compile(rule) for rule in params.get('accepted') or ()]
    denials = [d for d in logged.get('avc_denials') or [] if not any(rule.search(d) for rule in accepted)]
    if not logged['avc_denied']:
        return PASS, 'no avc: denied line in xl dmesg (FLASK %s)' % (xsm.get('mode') or 'active')
    if not denials:
        return PASS, '%d avc: denied line(s), every one accepted by rule' % logged['avc_denied']
    return FAIL, '%d avc: denied line(s) in xl dmesg (FLASK %s), %d distinct not accepted: %s' % (
        logged['avc_denied'], xsm.get('mode') or 'active', len(denials), '; '.join(denials[:5])), 'denials'


def _label_type(label):
    """The type of an XSM label user:role:type[:level], or None."""
    return label_type(label) or None


# libxl gives a guest without seclabel the policy's "domU" initial SID (libxl_create.c:56-57,
# SECINITSID_DOMU), which Xen's policy labels system_u:system_r:domU_t (tools/flask/policy/policy/initial_sids).
DEFAULT_GUEST_TYPE = 'domU_t'


@check('guests_isolated')
def check_guests_isolated(facts, params):
    xsm = _xsm(facts)
    if xsm is None:
        return _missing('FLASK mode (flask.mode) nor xl dmesg analysis (dmesg.xsm)')
    unknown = _xsm_unknown(facts, xsm)
    if unknown:
        return unknown
    if xsm['framework'] not in ('flask', 'silo'):
        return NA, 'no XSM module separates guests (%s): see XG-FLASK-01' % (
            'FLASK is %s' % xsm['mode'] if xsm.get('mode') else 'XSM module: %s' % xsm['framework'])
    if not params.get('isolate_guests', True):
        return NA, 'this catalogue does not ask for guests to be isolated from each other'
    found = _guest_configs(facts)
    domains = _guest_domains(facts)
    if found is None and domains is None:
        return _missing('guest configurations (guest_configs) nor domains')
    configs, unreadable = found or ({}, [])
    types = {}
    for path, keys in configs.items():
        if not _is_helper_config(keys):
            types[str(keys.get('name') or path)] = _label_type(keys.get('seclabel')) or DEFAULT_GUEST_TYPE
    for dom in domains or []:
        b_info, c_info = _b_info(dom), _c_info(dom)
        if is_vtpm_stub(b_info):
            continue
        label = b_info.get('exec_ssid_label') or c_info.get('ssid_label')
        types[str(dom.get('name') or dom.get('domid'))] = _label_type(label) or DEFAULT_GUEST_TYPE
    if unreadable:
        return UNKNOWN, 'cannot read guest configuration(s): %s' % ', '.join(unreadable)
    if len(types) < 2:
        return NA, 'fewer than two guests seen (%s)' % (', '.join(sorted(types)) or 'none')
    if xsm['framework'] == 'silo':
        return PASS, 'XSM SILO forbids guest-to-guest communication by itself (%d guests)' % len(types)
    isolating = set(params.get('isolating_types') or ())
    groups = {}
    for name, kind in sorted(types.items()):
        groups.setdefault(kind, []).append(name)
    shown = '; '.join('%s: %s' % (kind, ', '.join(names)) for kind, names in sorted(groups.items()))
    if len(groups) == 1 and not set(groups) <= isolating:
        return FAIL, 'all %d guests run as the one type %s, so FLASK separates none of them (a guest ' \
            'without seclabel gets %s); give guests that must not reach each other their own types' % (
                len(types), list(groups)[0], DEFAULT_GUEST_TYPE), 'shared_type'
    return PASS, 'guests run as %d types (%s)' % (len(groups), shown)


def _xen_release(facts):
    """(major, minor, micro) of the running Xen; micro None when the facts do not give it."""
    version = _version_tuple(facts)
    if version is None:
        return None
    match = re.match(r'^\s*\d+\.\d+\.(\d+)', str(facts.get('version') or ''))
    return version + (int(match.group(1)) if match else None,)


def _xl_conf_keys(facts):
    xl_conf = facts.get('xl_conf')
    if not isinstance(xl_conf, dict):
        return {}
    if isinstance(xl_conf.get('keys'), dict):
        return xl_conf['keys']
    return {} if 'error' in xl_conf else xl_conf


def _xl_bool(value):
    """A boolean as xl reads it (xlu_cfg_get_defbool: strtol(value, 0) of the whole string, non-zero is
    true), or libxl's "True"/"False" in `xl list -l`; None when xl would not take it (it then keeps the
    default and warns)."""
    if isinstance(value, bool):
        return value
    if value in ('True', 'False'):
        return value == 'True'
    number = xl_number(value)
    return None if number is None else number != 0


def _bootloader_restriction(facts):
    """How the toolstack restricts a bootloader on this host, as functions of a guest's settings.

    Returns (host_reason, guest_reason, has_env, has_keys): host_reason is why every pygrub run xl makes
    from the xendomains script is restricted (or None); guest_reason(settings, running) is why one
    guest's is (or None), settings being its xl.cfg keys or, for a running domain, its b_info.

    Xen 4.17.3 and later (XSA-443): the environment variable LIBXL_BOOTLOADER_RESTRICT or
    LIBXL_BOOTLOADER_USER, set to any value, even 0 (xl(1) ENVIRONMENT VARIABLES), restricts every
    bootloader that xl starts (4.17: libxl_bootloader.c make_bootloader_args; 4.18+: libxl_create.c,
    where it overrides the guest's own setting). Xen 4.18 and later also read, in this order
    (xl_parse.c, then libxl_create.c):
      1. the guest's own bootloader_restrict (xl.cfg(5)), when xl can read it as a number;
      2. else the host-wide bootloader_restrict of xl.conf(5);
      3. else bootloader_restrict follows bootloader_user: a user implies restrict - but only when
         neither 1 nor 2 set it, so bootloader_restrict=0 in xl.conf wins over a guest's bootloader_user.
    A running domain's b_info (xl list -l) carries the value libxl settled on (4.18+): it is the answer.
    """
    release = _xen_release(facts)
    has_env = release is not None and (release[:2] >= (4, 18) or (
        release[:2] == (4, 17) and release[2] is not None and release[2] >= 3))
    has_keys = release is not None and release[:2] >= (4, 18)
    env = facts.get('toolstack_env') if isinstance(facts.get('toolstack_env'), dict) else {}
    exported = env.get('exported') if isinstance(env.get('exported'), dict) else {}
    set_vars = sorted(name for name in exported
                      if name.startswith('LIBXL_BOOTLOADER_') and name != 'LIBXL_BOOTLOADER_TIMEOUT')
    host_reason = None
    if set_vars and has_env:
        host_reason = '%s exports %s, for the guests xendomains starts' % (
            env.get('path') or 'the toolstack environment', ', '.join(set_vars))
    conf_raw = _xl_conf_keys(facts).get('bootloader_restrict')
    conf_default = _xl_bool(conf_raw)

    def guest_reason(settings, running=False):
        own = _xl_bool(settings.get('bootloader_restrict'))
        if running and has_keys and own is not None:
            # what libxl settled on when it built the domain, environment included
            return 'bootloader_restrict=%s' % settings.get('bootloader_restrict') if own else None
        if host_reason:
            return host_reason
        if not has_keys:
            return None
        if own is not None:
            return 'bootloader_restrict=%s' % settings.get('bootloader_restrict') if own else None
        if conf_default is not None:
            return 'xl.conf bootloader_restrict=%s' % conf_raw if conf_default else None
        if settings.get('bootloader_user'):
            return 'bootloader_user=%s' % settings['bootloader_user']
        return None

    return host_reason, guest_reason, has_env, has_keys


@check('no_pygrub')
def check_no_pygrub(facts, params):
    host_reason, guest_reason, has_env, has_keys = _bootloader_restriction(facts)
    conf_off = _xl_bool(_xl_conf_keys(facts).get('bootloader_restrict')) is False

    def why_not(settings):
        own = _xl_bool(settings.get('bootloader_restrict'))
        if own or settings.get('bootloader_user'):
            if not has_keys:
                return 'bootloader_restrict needs Xen 4.18 or later%s' % (
                    '; export LIBXL_BOOTLOADER_RESTRICT=1 for the toolstack instead' if has_env else '')
        if own is None and settings.get('bootloader_restrict') not in (None, ''):
            return 'bootloader_restrict=%s is not a number xl reads, so xl ignores it' % (
                settings.get('bootloader_restrict'))
        if own is None and settings.get('bootloader_user') and conf_off:
            return 'bootloader_user=%s does not restrict: xl.conf sets bootloader_restrict=0, which ' \
                'wins over it; set bootloader_restrict=1 in the guest' % settings['bootloader_user']
        return None

    def judge_config(path, keys):
        if is_hvm(keys):
            return None  # libxl runs no bootloader for HVM guests (libxl_bootloader.c)
        loader = posixpath.basename(str(keys.get('bootloader') or ''))
        if 'pygrub' not in loader:
            return True, path
        reason = guest_reason(keys)
        if reason:
            return True, '%s (pygrub restricted: %s)' % (path, reason)
        return False, '%s (%s)' % (path, why_not(keys) or 'bootloader=%s' % keys.get('bootloader'))

    def judge_domain(dom):
        b_info = _b_info(dom)
        if _is_hvm_domain(dom):
            return None
        loader = posixpath.basename(str(b_info.get('bootloader') or ''))
        if 'pygrub' not in loader:
            return True, _domain_label(dom)
        reason = guest_reason(b_info, running=True)
        if reason:
            return True, '%s (pygrub restricted: %s)' % (_domain_label(dom), reason)
        return False, _domain_label(dom)

    return _judge_guests(facts, judge_config, judge_domain, 'no pygrub, or pygrub restricted',
                         'booted with pygrub in dom0')


TECH_PREVIEW = ('Xen\'s SUPPORT.md lists Linux device-model stub domains and dm_restrict (device model '
                'deprivileging) as Tech Preview')


@check('hvm_device_model_confined')
def check_hvm_device_model_confined(facts, params):
    """Every HVM guest's QEMU runs in a stub domain or restricted in dom0; the detail names each guest and how."""
    found = _guest_configs(facts)
    domains = _guest_domains(facts)
    if found is None and domains is None:
        return _missing('guest configurations (guest_configs) nor domains')
    configs, unreadable = found or ({}, [])
    ways = {'stub domain': [], 'restricted (dm_restrict)': [], 'neither': []}

    def how(settings, stub_key, true):
        if true(settings.get(stub_key)):
            return 'stub domain'
        if true(settings.get('dm_restrict')):
            return 'restricted (dm_restrict)'
        return 'neither'

    for path, keys in configs.items():
        if is_hvm(keys):
            ways[how(keys, 'device_model_stubdomain_override', xl_true)].append(path)
    for dom in domains or []:
        if _is_hvm_domain(dom):
            ways[how(_b_info(dom), 'device_model_stubdomain', _libxl_true)].append(_domain_label(dom))
    shown = '; '.join('%s: %s' % (way, ', '.join(ways[way])) for way in
                      ('neither', 'stub domain', 'restricted (dm_restrict)') if ways[way])
    if ways['neither']:
        detail = 'HVM guests whose QEMU runs unrestricted in dom0 - %s' % shown
        if unreadable:
            detail += ' (also unreadable: %s)' % ', '.join(unreadable)
        return FAIL, '%s. %s.' % (detail, TECH_PREVIEW)
    if unreadable:
        return UNKNOWN, 'cannot read guest configuration(s): %s' % ', '.join(unreadable)
    if not shown:
        return NA, 'no HVM guest seen'
    return PASS, 'every HVM device model is confined - %s. %s.' % (shown, TECH_PREVIEW)


@check('vif_backends_not_dom0')
def check_vif_backends_not_dom0(facts, params):
    backends = facts.get('backends')
    if not isinstance(backends, dict) or not isinstance(backends.get('vif'), list):
        return _missing('xenstore backends (backends.vif)')
    vifs = backends['vif']
    if not vifs:
        return NA, 'no guest network interface (vif) in xenstore'
    in_dom0 = ['domain %s vif %s' % (v.get('frontend_domid'), v.get('devid')) for v in vifs
               if str(v.get('backend_domid')) == '0']
    if in_dom0:
        return FAIL, '%d of %d guest vifs have their backend in dom0: %s' % (
            len(in_dom0), len(vifs), ', '.join(in_dom0))
    where = sorted(set(str(v.get('backend_domid')) for v in vifs))
    return PASS, 'all %d guest vifs have their backend outside dom0 (backend domains %s)' % (
        len(vifs), ', '.join(where))


def _quota_summary(state, implementation):
    quotas = state.get('quotas') or {}
    if implementation == 'oxenstored':
        shown = ('quota-maxentity', 'quota-maxsize', 'quota-maxwatch', 'quota-transaction', 'quota-maxrequests')
        return 'quota-activate = true, ' + ', '.join('%s = %s' % (k, quotas.get(k)) for k in shown)
    shown = ('nodes', 'watches', 'transactions', 'outstanding', 'memory', 'node-size')
    return ', '.join('%s=%s' % (k, quotas.get(k)) for k in shown)


@check('xenstored_quotas')
def check_xenstored_quotas(facts, params):
    daemon = facts.get('xenstored')
    if not isinstance(daemon, dict):
        return _missing('xenstore daemon facts (xenstored)')
    if not daemon.get('found'):
        return UNKNOWN, daemon.get('reason') or 'no xenstore daemon was found in dom0'
    impl = daemon.get('implementation') or 'xenstored'
    who = '%s (pid %s)' % (impl, daemon.get('pid'))
    if daemon.get('config_error'):
        return UNKNOWN, '%s reads %s, which could not be read: %s' % (
            who, daemon.get('config_path'), daemon['config_error'])
    state = daemon.get('state') or {}
    if state.get('dangerous'):
        return FAIL, '%s: %s' % (who, '; '.join(state['dangerous'] + (state.get('off') or []))), (
            'xenstored_keep_orphans' if state.get('keep_orphans') else 'xenstored_unsafe_option')
    if state.get('off'):
        return FAIL, '%s runs without some per-domain quotas: %s' % (who, '; '.join(state['off'])), \
            'xenstored_quota_off'
    raised = xenstored.raised(state)
    where = ('from %s' % daemon.get('config_path')) if impl == 'oxenstored' else \
        'from its arguments (%s); quotas changed later with xenstore-control are not seen' % (
            ' '.join(daemon.get('argv')[1:]) or 'none: Xen\'s defaults')
    return PASS, '%s limits every guest (%s) %s%s%s' % (
        who, _quota_summary(state, impl), where,
        '; raised above Xen\'s default: %s' % ', '.join(raised) if raised else '',
        '; %s' % '; '.join(state['notes']) if state.get('notes') else '')


def _guest_network(interfaces, params, guest_configs, network=None):
    """(names, how) of the interfaces that make up the guest network, or (None, why) when none is seen."""
    by_name = dict((i['name'], i) for i in interfaces)
    named = [str(n) for n in params.get('guest_interfaces') or []]
    if named:
        return named, 'named by guest_interfaces'
    split = (network or {}).get('split') if isinstance(network, dict) else None
    if isinstance(split, dict) and split.get('bridge'):
        return [split['bridge']], 'declared by the network_split role'
    all_bridges = dom0net.bridges(interfaces)
    found = sorted(b for b, ports in all_bridges.items() if any(dom0net.GUEST_PORT.match(p) for p in ports))
    configured = sorted(b for b in dom0net.vif_bridges(guest_configs) if b in by_name and b not in found)
    how = ['bridges carrying guest vifs'] if found else []
    if configured:
        how.append('bridges the guest configurations name')
    return found + configured, ' and '.join(how)


def _guest_side(facts, params):
    """(network, guest, members, by_name, shown) of the guest network, or (status, detail) when it cannot be judged.

    guest: the guest network's interfaces (bridges); members: those and their ports; shown: both, in words."""
    network = facts.get('network')
    if not isinstance(network, dict) or not isinstance(network.get('interfaces'), list):
        return _missing("dom0's network interfaces (network)")
    interfaces = network['interfaces']
    by_name = dict((i['name'], i) for i in interfaces)
    configs = facts.get('guest_configs') if isinstance(facts.get('guest_configs'), dict) else {}
    guest, how = _guest_network(interfaces, params, configs, network)
    if not guest:
        return NA, 'no guest network in dom0: no bridge carries a guest vif (vif<domid>.<devid>), no guest ' \
            'configuration names a dom0 bridge, the network_split role declared none and guest_interfaces is ' \
            'empty (%d interfaces: %s)' % (len(interfaces), ', '.join(sorted(by_name)) or 'none')
    absent = [name for name in guest if name not in by_name]
    if absent:
        return UNKNOWN, 'the guest network (%s) names %s, which dom0 does not have (interfaces: %s)' % (
            how, ', '.join(absent), ', '.join(sorted(by_name)))
    ports = dom0net.bridges(interfaces)
    members = []
    for name in guest:
        for member in [name] + sorted(ports.get(name, [])):
            if member not in members:
                members.append(member)
    return network, guest, members, by_name, '%s (%s)' % (', '.join(members), how)


def _vif_link_local(name, addr):
    """Xen's hotplug scripts flush a vif's addresses; the kernel then gives it an IPv6 link-local address
    scoped to that port, whose frames all go to the bridge: such an address is no address of dom0 there."""
    return bool(dom0net.GUEST_PORT.match(name)) and addr.get('family') == 'inet6' and addr.get('scope') == 'link'


@check('dom0_off_guest_network')
def check_dom0_off_guest_network(facts, params):
    side = _guest_side(facts, params)
    if not isinstance(side[0], dict):
        return side  # (status, detail): no guest network to judge
    _network, _guest, members, by_name, shown = side
    offences = []
    for name in members:
        iface = by_name.get(name) or {}
        for addr in iface.get('addresses') or []:
            if not _vif_link_local(name, addr):
                offences.append('%s has %s/%s' % (name, addr.get('address'), addr.get('prefixlen')))
        ipv6 = iface.get('ipv6')
        if dom0net.GUEST_PORT.match(name) or not isinstance(ipv6, dict) or ipv6.get('disable_ipv6'):
            continue
        if dom0net.accepts_ra(ipv6):
            offences.append('%s accepts IPv6 router advertisements (accept_ra=%s)' % (name, ipv6.get('accept_ra', 1)))
        if ipv6.get('autoconf', 1):
            offences.append('%s configures IPv6 addresses itself (autoconf=1)' % name)
    if offences:
        return FAIL, 'dom0 is reachable on the guest network %s: %s' % (shown, '; '.join(offences)), \
            'dom0_address_on_guest_network'
    return PASS, 'dom0 has no address on the guest network %s and takes no IPv6 autoconfiguration there' % shown


def _guest_addresses(members, by_name):
    """dom0's addresses on the guest network's members (without a vif port's own link-local address)."""
    return [addr.get('address') for name in members for addr in by_name[name].get('addresses') or []
            if not _vif_link_local(name, addr)]


@check('no_listener_on_guest_network')
def check_no_listener_on_guest_network(facts, params):
    side = _guest_side(facts, params)
    if not isinstance(side[0], dict):
        return side  # (status, detail): no guest network to judge
    network, _guest, members, by_name, shown = side
    addresses = _guest_addresses(members, by_name)
    if not isinstance(network.get('sockets'), list):
        return _missing("dom0's listening sockets (network.sockets, from /proc/net)")
    reachable = netsplit.reachable_listeners(network['sockets'], addresses)
    if reachable:
        return FAIL, 'dom0 listens where the guest network %s reaches it (dom0 has %s there): %s' % (
            shown, ', '.join(addresses), ', '.join(reachable)), 'listener_on_guest_network'
    bound = sorted(set('%s %s' % (s['proto'], s['address']) for s in network['sockets']))
    return PASS, 'no listening socket of dom0 is bound to an address on the guest network %s, which has no dom0 ' \
        'address (%d listening sockets: %s)' % (shown, len(network['sockets']), ', '.join(bound) or 'none')


@check('guest_network_filtered')
def check_guest_network_filtered(facts, params):
    side = _guest_side(facts, params)
    if not isinstance(side[0], dict):
        return side  # (status, detail): no guest network to judge
    network, guest, _members, _by_name, shown = side
    if not isinstance(network.get('nftables'), dict):
        return UNKNOWN, 'the nftables ruleset could not be read: %s' % (network.get('nft_error') or 'not gathered')
    missing = netsplit.unfiltered(network['nftables'].get('chains') or [], guest)
    if missing:
        return FAIL, 'traffic to dom0 from the guest network %s is not dropped: %s' % (shown, '; '.join(missing)), \
            'guest_network_unfiltered'
    chains = sorted(set('%s %s/%s' % (c['family'], c['table'], c['name'])
                        for c in network['nftables']['chains'] if set(guest) & set(c['drops_iifnames'])))
    return PASS, 'nftables drops traffic to dom0 from the guest network %s (chains %s)' % (shown, ', '.join(chains))


def _tpm_where(tpm):
    """Where the facts saw the TPM, in words."""
    seen = ['%s (%s%s)' % (c['name'], ('TPM %s' % c['version']) if c.get('version') else 'version not given',
                           (', driver %s' % c['driver']) if c.get('driver') else '')
            for c in tpm.get('chips') or [] if c.get('driver') != tpm_facts.TPMFRONT_DRIVER]
    firmware = tpm.get('firmware') or {}
    seen += ['ACPI table %s' % t for t in firmware.get('acpi_tables') or []]
    seen += ['ACPI device %s' % d for d in firmware.get('acpi_devices') or []]
    return ', '.join(seen) or ', '.join(tpm.get('devices') or []) or 'no device path given'


@check('tpm_present')
def check_tpm_present(facts, params):
    # xen-vtpm(7): "You must have an x86 machine with a TPM on the motherboard"; the manager seals the
    # vTPMs' keys to it. xen-vtpmmgr(7) Appendix B: on TPM 2.0 the manager cannot persist vTPM data.
    tpm = facts.get('tpm')
    if not isinstance(tpm, dict) or 'present' not in tpm:
        return _missing('TPM facts (tpm.present)')
    if not tpm.get('present'):
        return FAIL, 'no hardware TPM: no TPM chip in /sys/class/tpm bound to a hardware driver, no ACPI TPM2 or ' \
            'TCPA table, no ACPI TPM device'
    version = tpm.get('version')
    where = _tpm_where(tpm)
    if version == '2.0':
        return PASS, 'TPM 2.0 present: %s. Xen documents the vTPM manager on TPM 2.0 as incomplete: it cannot ' \
            'persist its key, so vTPM contents do not survive a reboot (xen-vtpmmgr(7), Appendix B)' % where
    if version == '1.2':
        return PASS, 'TPM 1.2 present: %s' % where
    return PASS, 'TPM present (version not known): %s' % where


def _manager_configs(facts):
    """{path: keys} of the vTPM manager configurations (kernel vtpmmgr*) among the guest configurations."""
    found = _guest_configs(facts)
    if found is None:
        return None
    return dict((path, keys) for path, keys in found[0].items()
                if posixpath.basename(str(keys.get('kernel') or '')).startswith('vtpmmgr'))


@check('dom0_off_manager_locality')
def check_dom0_off_manager_locality(facts, params):
    # xen-vtpm(7) "Compiling the LINUX dom0 kernel": keep dom0 off the physical TPM (no driver, or the module
    # blacklisted), or give the manager another locality than Linux's 0 (locality 2 recommended);
    # xen-vtpmmgr(7): enforce locality 2 (page 0xFED42xxx) with XSM iomem labels.
    tpm = facts.get('tpm')
    if not isinstance(tpm, dict) or 'present' not in tpm:
        return _missing('TPM facts (tpm.present)')
    if not tpm.get('present'):
        return NA, 'no hardware TPM (XG-VTPM-01)'
    driver = tpm.get('dom0_driver')
    if not isinstance(driver, dict):
        return _missing("dom0's TPM driver state (tpm.dom0_driver)")
    managers = _manager_configs(facts)
    if managers is None:
        return _missing('guest configurations (guest_configs)')
    bound = driver.get('bound') or []
    off = [m for m in driver.get('blacklisted') or [] if m in tpm_facts.HW_DRIVERS]
    builtin = [m for m in driver.get('builtin') or [] if m in tpm_facts.HW_DRIVERS]
    if not bound:
        how = ('its TPM drivers are blacklisted (%s)' % ', '.join(off)) if off else 'no TPM driver is bound'
        if builtin:
            how += '; %s built into the kernel, which a blacklist does not stop' % ', '.join(builtin)
        return PASS, 'dom0 keeps off the hardware TPM: %s' % how
    if not managers:
        return NA, 'dom0 uses the TPM (%s bound) and no vTPM manager is configured (no configuration with a ' \
            'vtpmmgr kernel): nothing shares it' % ', '.join(bound)
    offenders, split = [], []
    for path in sorted(managers):
        seen = tpm_facts.manager_locality(managers[path])
        if seen['problems']:
            offenders.append('%s: %s' % (path, '; '.join(seen['problems'])))
        elif seen['locality'] == 0:
            offenders.append('%s uses locality 0, the one Linux in dom0 uses' % path)
        elif 0 in seen['localities_mapped']:
            offenders.append('%s maps the locality 0 page (iomem %s)' % (path, ', '.join(seen['pages'])))
        elif seen['locality'] not in seen['localities_mapped']:
            offenders.append('%s uses locality %d but its iomem= (%s) does not give it that page'
                             % (path, seen['locality'], ', '.join(seen['pages']) or 'none'))
        else:
            split.append('%s (locality %d)' % (path, seen['locality']))
    if offenders:
        return FAIL, 'dom0 uses the TPM (%s bound) and the vTPM manager shares its locality: %s. Blacklist dom0\'s ' \
            'TPM driver, or run the manager at locality 2 (extra="tpmlocality=2", iomem=["fed42,1"])' \
            % (', '.join(bound), '; '.join(offenders)), 'manager_shares_dom0_locality'
    return PASS, 'locality split: dom0 uses the TPM at locality 0 (%s bound), the vTPM manager %s; only XSM ' \
        'iomem labels stop dom0 from reaching the manager\'s page (xen-vtpmmgr(7))' % (', '.join(bound), ', '.join(split))


def _vtpm_backend_names(entries):
    """The backend= of each vtpm= entry of a guest configuration."""
    if isinstance(entries, str):
        entries = [entries]
    names = []
    for entry in entries or []:
        for item in str(entry).split(','):
            key, _sep, value = item.strip().partition('=')
            if key == 'backend':
                names.append(value.strip())
    return names


@check('guests_have_vtpm')
def check_guests_have_vtpm(facts, params):
    # xen-vtpm(7): a guest's vtpm= names its vTPM stub domain; dom0 (or the manager) is no vTPM.
    backends = facts.get('backends') or {}
    helpers = set()
    for dom in facts.get('domains') or []:
        if isinstance(dom, dict) and is_vtpm_stub(_b_info(dom)):
            helpers.add(str(dom.get('domid')))
    vtpm_front = set(str(v.get('frontend_domid')) for v in backends.get('vtpm') or []
                     if str(v.get('backend_domid')) in helpers)

    def judge_domain(dom):
        if str(dom.get('domid')) in helpers:
            return None  # a vTPM (or manager) stub domain: it serves a guest's vTPM
        if _libxl_true(_c_info(dom).get('driver_domain')):
            return None
        return str(dom.get('domid')) in vtpm_front, _domain_label(dom)

    def judge_config(path, keys):
        if _is_helper_config(keys):
            return None
        names = _vtpm_backend_names(keys.get('vtpm'))
        served = [n for n in names if n and n not in ('0', 'Domain-0')]
        if names and not served:
            return False, '%s (its vtpm= backend is dom0, not a vTPM domain)' % path
        return bool(served), path

    return _judge_guests(facts, judge_config, judge_domain, 'every guest has a vTPM', 'without vTPM')


# ---------------------------------------------------------------------------------------------
# more of the Xen command line, each from xen-command-line.pandoc (4.17 and 4.20)

def _version(facts):
    info = facts.get('info') or {}
    if info.get('xen_major') and info.get('xen_minor'):
        return '%s.%s%s' % (info['xen_major'], info['xen_minor'], info.get('xen_extra', ''))
    return facts.get('version')


@cmdline_check('vpmu_off')
def check_vpmu_off(facts, params, tokens):
    # "### vpmu (x86)": off by default; "don't use the vpmu flag on production systems" (XSA-163).
    given = _given(tokens, 'vpmu')
    if xencmdline.vpmu_enabled(tokens):
        return FAIL, 'booted command line has %s: guests get the virtual PMU, which is not safe in production ' \
            '(XSA-163)' % given
    if given:
        return PASS, 'booted command line has %s: the virtual PMU stays off' % given
    return PASS, 'booted command line has no vpmu= (off by default)'


@cmdline_check('hvm_fep_off')
def check_hvm_fep_off(facts, params, tokens):
    # "### hvm_fep (x86)": for development; no security support when set.
    given = _given(tokens, 'hvm_fep')
    if xencmdline.bool_option(tokens, 'hvm_fep'):
        return FAIL, 'booted command line has %s: HVM guests can make Xen emulate arbitrary instructions ' \
            '(no security support)' % given
    if given:
        return PASS, 'booted command line has %s: the forced emulation prefix stays off' % given
    return PASS, 'booted command line has no hvm_fep (off by default)'


@cmdline_check('ept_exec_sp_off')
def check_ept_exec_sp_off(facts, params, tokens):
    # "### ept": exec-sp=1 lets HVM guest kernels crash hosts vulnerable to CVE-2018-12207; by default
    # Xen turns executable superpages off on affected hardware.
    given = _given(tokens, 'ept')
    value = xencmdline.list_boolean(tokens, 'ept', 'exec-sp')
    if value:
        return FAIL, 'booted command line has %s: executable EPT superpages are allowed even where HVM guests ' \
            'can use them to crash the host (CVE-2018-12207)' % given
    if value is False:
        return PASS, 'booted command line has %s' % given
    return PASS, 'booted command line leaves ept=exec-sp at its default (off on affected hardware); note that ' \
        '"xl set-parameters ept=exec-sp" can change it at run time'


def _passthrough(facts):
    """Labels of guests with a PCI device passed through, or None when the facts have no guests."""
    found = _guest_configs(facts)
    domains = _guest_domains(facts)
    if found is None and domains is None:
        return None
    labels = []
    for path, keys in (found or ({}, []))[0].items():
        if keys.get('pci'):
            labels.append(path)
    for dom in domains or []:
        if (dom.get('config') or {}).get('pcidevs'):
            labels.append(_domain_label(dom))
    return labels


@cmdline_check('unpriv_mmio')
def check_unpriv_mmio(facts, params, tokens):
    # "### spec-ctrl (x86)": unpriv-mmio= says less than fully privileged domains have MMIO devices;
    # off by default, and then Xen does not mitigate MMIO Stale Data between domains.
    guests = _passthrough(facts)
    on = (xencmdline.spec_ctrl_state(tokens).get('unpriv-mmio') or (None,))[0]
    if guests is None:
        return _missing('guest configurations (guest_configs) nor domains')
    if not guests:
        if on:
            return PASS, 'booted command line has spec-ctrl=unpriv-mmio (no guest has a PCI device now)'
        return NA, 'no guest has a PCI device passed through'
    if on:
        return PASS, 'booted command line has spec-ctrl=unpriv-mmio for the guests with PCI devices (%s)' % \
            ', '.join(guests)
    return FAIL, 'guests with PCI devices passed through (%s), but the booted command line has no ' \
        'spec-ctrl=unpriv-mmio' % ', '.join(guests)


@cmdline_check('dom0_entry_barriers')
def check_dom0_entry_barriers(facts, params, tokens):
    # "### spec-ctrl (x86)": ibpb-entry= and bhb-entry= leave dom0 unprotected by default; "if it is
    # necessary to protect dom0 too, boot with spec-ctrl=ibpb-entry" (bhb-entry: Xen 4.17.4+, 4.20).
    version = _version(facts)
    if not xencmdline.spec_ctrl_known('ibpb-entry', version):
        return NA, 'Xen %s has no spec-ctrl=ibpb-entry' % version
    wanted = ['ibpb-entry']
    if xencmdline.spec_ctrl_known('bhb-entry', version):
        wanted.append('bhb-entry')
    state = xencmdline.spec_ctrl_state(tokens)
    missing = [w for w in wanted if not (state.get('%s=dom0' % w) or (None,))[0]]
    if missing:
        return FAIL, 'dom0 is not protected on entry to Xen: the booted command line lacks %s' % ', '.join(
            'spec-ctrl=%s' % w for w in missing)
    return PASS, 'booted command line protects dom0 on entry (%s)' % _given(tokens, 'spec-ctrl')


@cmdline_check('lock_harden')
def check_lock_harden(facts, params, tokens):
    # "### spec-ctrl (x86)": lock-harden (Xen 4.17.4+, 4.20) needs CONFIG_SPECULATIVE_HARDEN_LOCK and
    # is never on by default.
    version = _version(facts)
    if not xencmdline.spec_ctrl_known('lock-harden', version):
        return NA, 'Xen %s has no spec-ctrl=lock-harden (4.17.4 and 4.20.0 and later have it)' % version
    if (xencmdline.spec_ctrl_state(tokens).get('lock-harden') or (None,))[0]:
        return PASS, 'booted command line has %s' % _given(tokens, 'spec-ctrl')
    return FAIL, 'the booted command line has no spec-ctrl=lock-harden (off unless asked for)'


@cmdline_check('iommu_quarantine')
def check_iommu_quarantine(facts, params, tokens):
    # "### iommu": quarantine=<bool>|scratch-page; false quarantines only what the toolstack arranged.
    value = xencmdline.iommu_state(tokens)['quarantine']
    given = _given(tokens, 'iommu')
    if value is False:
        return FAIL, 'booted command line has %s: devices taken from guests are not quarantined' % given
    if value is None:
        return PASS, 'booted command line leaves iommu=quarantine at its default (chosen when Xen is built; ' \
            'true unless built with CONFIG_IOMMU_QUARANTINE_NONE)'
    return PASS, 'booted command line has %s' % given


@cmdline_check('dom0_iommu_strict')
def check_dom0_iommu_strict(facts, params, tokens):
    # "### dom0-iommu": strict limits a PV dom0's IOMMU mappings to its own RAM (hardwired for PVH dom0);
    # none is for development only. passthrough/iommu.c check_hwdom_reqs: unless none, a PVH dom0 gets
    # strict and no passthrough whatever the line says (after iommu_setup logged "Dom0 mode").
    state = xencmdline.iommu_state(tokens)
    given = ' '.join(filter(None, (_given(tokens, 'dom0-iommu'), _given(tokens, 'iommu'))))
    if state['dom0_none']:
        return FAIL, 'booted command line has %s: "none" skips dom0 IOMMU safety checks (development only)' % given
    if xencmdline.dom0_pvh(tokens):
        return PASS, 'booted command line has %s: Xen makes a PVH dom0\'s IOMMU mappings strict itself' \
            % _given(tokens, 'dom0')
    if state['dom0_passthrough']:
        return FAIL, 'booted command line has %s: dom0 devices bypass the IOMMU' % given
    if state['dom0_strict']:
        return PASS, 'booted command line has %s' % given
    return FAIL, 'booted command line has no dom0-iommu=strict: dom0 may have IOMMU mappings of all RAM'


@cmdline_check('scrub_domheap')
def check_scrub_domheap(facts, params, tokens):
    # "### scrub-domheap": a boolean, off by default; scrubs the pages domains free.
    given = _given(tokens, 'scrub-domheap')
    if xencmdline.bool_option(tokens, 'scrub-domheap'):
        return PASS, 'booted command line has %s' % given
    return FAIL, 'booted command line %s: freed guest pages are not scrubbed' % (
        'has %s' % given if given else 'has no scrub-domheap')


@cmdline_check('grant_table_limits')
def check_grant_table_limits(facts, params, tokens):
    # "### gnttab_max_frames" (default 64) and "### gnttab_max_maptrack_frames" (default 1024): the
    # upper bound every domain gets unless its configuration says otherwise.
    limits = (('gnttab_max_frames', int(params.get('max_frames', 64))),
              ('gnttab_max_maptrack_frames', int(params.get('max_maptrack_frames', 1024))))
    raised, seen = [], []
    for name, limit in limits:
        value = xencmdline.last_integer(tokens, name, maximum=xencmdline.GNTTAB_LIMIT_MAX)
        if value is None:
            continue
        seen.append('%s=%d' % (name, value))
        if value > limit:
            raised.append('%s=%d (more than %d)' % (name, value, limit))
    if raised:
        return FAIL, 'booted command line raises the grant-table limits of every domain: %s' % ', '.join(raised)
    if seen:
        return PASS, 'booted command line keeps the grant-table limits: %s' % ', '.join(seen)
    return PASS, 'booted command line keeps Xen\'s default grant-table limits (64 frames, 1024 maptrack frames)'
