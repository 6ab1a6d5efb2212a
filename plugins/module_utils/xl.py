# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The xl runner and pure parsers for what xl prints.

Parsers take text (and exit status where it carries meaning) and return plain data; they
never run anything. XlRunner wraps the few xl sub-commands the collection reads.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re
import shlex
import time

from ansible_collections.xenguard.hardening.plugins.module_utils import xencmdline
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import (
    CommandRunner,
    XenCommandError,
    XenGuardError,
    describe_failure,
)

# ---------------------------------------------------------------------------
# xl info
# ---------------------------------------------------------------------------

# xl prints "key<padding to column 23>: value". A key line has whitespace before its colon;
# the tables of `xl info -n` ("cpu:    core ...", "  0:  ...") do not, and are continuations.
# One key has a space in it ("device topology"); it is given with an underscore.
_INFO_KEY = re.compile(r'^([A-Za-z_][A-Za-z0-9_ ]*?)\s+:(?: (.*))?$')


def parse_xl_info(text):
    """Parse `xl info` (or `xl info -n`) into a dict of every key.

    Values are stripped strings. Lines that do not start a key (the tables of `xl info -n`)
    are appended to the previous key's value, one per line. `virt_caps` is also given as
    the list `virt_caps_list`.
    """
    info = {}
    key = None
    for raw in (text or '').splitlines():
        line = raw.rstrip('\r')
        if not line.strip():
            continue
        match = _INFO_KEY.match(line)
        if match:
            key = match.group(1).replace(' ', '_')
            info[key] = (match.group(2) or '').strip()
        elif key is not None:
            info[key] = (info[key] + '\n' + line.rstrip()) if info[key] else line.rstrip()
        else:
            raise XenGuardError('Cannot parse xl info output: the first line is not "key : value"',
                                line=line)
    if not info:
        raise XenGuardError('xl info printed nothing')
    info['virt_caps_list'] = info.get('virt_caps', '').split()
    return info


def virt_caps(info):
    """The words of xl info's virt_caps (``hvm``, ``hvm_directio``, ...) from parsed `xl info` facts: the list
    ``virt_caps_list``, else the text ``virt_caps`` split; None when the facts hold neither."""
    caps = info.get('virt_caps_list')
    if caps is None and info.get('virt_caps') is not None:
        caps = str(info['virt_caps']).split()
    return caps


def xen_version(info):
    """`4.17.5` from parsed xl info (major.minor + extra), or None."""
    if info.get('xen_major') and info.get('xen_minor'):
        return '%s.%s%s' % (info['xen_major'], info['xen_minor'], info.get('xen_extra', ''))
    return info.get('xen_version') or None


# ---------------------------------------------------------------------------
# xl list -l
# ---------------------------------------------------------------------------

DEFAULT_MARKER = '<default>'


def _undefault(value):
    """Turn xl's "<default>" markers into None, recursively."""
    if isinstance(value, dict):
        return dict((k, _undefault(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_undefault(v) for v in value]
    if value == DEFAULT_MARKER:
        return None
    return value


def parse_xl_list_long(text):
    """Parse the JSON of `xl list -l` into a list of domains.

    Each domain: {domid, name, type, uuid, config}. xl leaves out fields at their default
    and prints some defaults as "<default>" (given here as None); dom0 has no uuid in it.
    Empty output (no domain could be read) is an empty list.
    """
    text = (text or '').strip()
    if not text:
        return []
    if text.startswith('('):
        raise XenGuardError('xl list -l printed SXP, not JSON: set output_format="json" in /etc/xen/xl.conf')
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise XenGuardError('Cannot parse the JSON printed by xl list -l: %s' % exc)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise XenGuardError('xl list -l printed JSON that is not a list of domains')
    domains = []
    for entry in data:
        if not isinstance(entry, dict):
            raise XenGuardError('xl list -l printed a domain entry that is not an object')
        config = _undefault(entry.get('config') or {})
        c_info = config.get('c_info') or {}
        domains.append({
            'domid': entry.get('domid'),
            'name': c_info.get('name'),
            'type': c_info.get('type'),
            'uuid': c_info.get('uuid'),
            'config': config,
        })
    return domains


def parse_xl_list(text):
    """Parse the table of `xl list`, `xl list -v` or `xl list -Z` into a list of dicts.

    Fields: name, domid, mem (MiB), vcpus, state, time; with -v also uuid, reason_code and
    security_label; with -Z security_label. Names are taken as everything before the fixed
    columns, so a name with spaces survives.
    """
    lines = [line for line in (text or '').splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0]
    if not header.startswith('Name'):
        raise XenGuardError('Cannot parse xl list output: no "Name ... ID" header', line=header)
    extra = []
    if 'UUID' in header:
        extra = ['uuid', 'reason_code', 'security_label']
    elif 'Security Label' in header:
        extra = ['security_label']
    fields = ['domid', 'mem', 'vcpus', 'state', 'time'] + extra
    domains = []
    for line in lines[1:]:
        parts = line.split()
        if len(parts) < len(fields) + 1:
            raise XenGuardError('Cannot parse xl list line: %s' % line, line=line)
        name = ' '.join(parts[:len(parts) - len(fields)])
        row = dict(zip(fields, parts[len(parts) - len(fields):]))
        row['name'] = name
        for key in ('domid', 'mem', 'vcpus'):
            row[key] = int(row[key])
        row['time'] = float(row['time'])
        domains.append(row)
    return domains


# ---------------------------------------------------------------------------
# xl dmesg
# ---------------------------------------------------------------------------

_XEN_PREFIX = re.compile(r'^\(XEN\) ?')
# console_timestamps=... puts "[  12.345678]" or "[2026-11-26 10:00:00]" after the prefix
_TIMESTAMP = re.compile(r'^\[\s*\d[\d\s.:-]*\]\s?')

# IVHD: amd/iommu_acpi.c prints "IVHD Error: ..." (XENLOG_ERR) with no other of these words
_IOMMU_LINE = re.compile(
    r'VT-d|\[VT-D\]|AMD-Vi|IVRS|IVHD|DMAR|IOMMU|I/O virtuali[sz]ation|Interrupt remapping',
    re.IGNORECASE)

# The hypervisor's own words, as its source prints them (file:line at RELEASE-4.17.5 / RELEASE-4.20.0).
# Lines without an explicit level print at XENLOG_WARNING (console.c XENLOG_DEFAULT), so they are in
# the log at Xen's default loglvl=warning; XENLOG_INFO/DEBUG lines are not (console.c:139-153).
#
# Messages after which Xen runs without an IOMMU (each is followed by "I/O virtualisation disabled"):
_IOMMU_FATAL = [
    # amd/pci_amd_iommu.c:311 / :321, iov_detect() failed: printk, no level (warning)
    re.compile(r'^AMD-Vi: Error initialization'),
    # amd/iommu_init.c:1350 / :1354, XENLOG_WARNING; amd_iommu_prepare() gives up
    re.compile(r'^AMD-Vi: SP5100 erratum 28 detected, disabling IOMMU'),
    # vtd/quirks.c:357 and :363, XENLOG_WARNING; iommu_enable = false
    re.compile(r'^\[VT-D\] ?Disabling IOMMU due to Intel (5500/5520|X58) chipset errat'),
    # vtd/dmar.c:835 / :916, XENLOG_WARNING; every DMAR unit is disabled
    re.compile(r'^Failed to parse ACPI DMAR\.\s+Disabling VT-d'),
]
# Errors in the firmware tables: not fatal by themselves (the IOMMU may come up after them), but when
# it does not come up they say why: AMD_IOMMU_ERROR (amd/iommu.h:207, "AMD-Vi: Error: ..."), the IVHD
# errors of amd/iommu_acpi.c, and the southbridge line below.
_IOMMU_TABLE_ERROR = [
    re.compile(r'^AMD-Vi: Error\b'),
    re.compile(r'^IVHD Error: '),
    re.compile(r'^No southbridge IO-APIC found in IVRS table'),
]
# Not fatal, though they name errors or errata (the IOMMU may well come up after them):
#   "AMD-Vi: Applying erratum 746 workaround ..." (amd/iommu_init.c:852 / :856, XENLOG_INFO): a fix applied;
#   "AMD-Vi: Error %d initializing for x2APIC mode" (pci_amd_iommu.c:332 / :342): only x2APIC mode failed,
#     iov_detect() initialises the IOMMU again afterwards;
#   "AMD-Vi: Error: IVMD ..." / "IVHD ..." (AMD_IOMMU_ERROR, amd/iommu_acpi.c): one table entry rejected;
#   "No southbridge IO-APIC found in IVRS table" (amd/iommu_acpi.c:1192 / :1166): an error only with
#     per-device interrupt remapping, where initialisation then fails and "AMD-Vi: Error initialization"
#     follows; with a global table a warning.
# Interrupt remapping that Xen itself calls insecure:
_INTREMAP_INSECURE = [
    # amd/pci_amd_iommu.c:318 / :328, XENLOG_WARNING: iommu=no-amd-iommu-perdev-intremap; one table for
    # every device, so devices can forge each other's interrupts (XSA-36); xen-command-line.pandoc:
    # "Using a global table is not security supported"
    re.compile(r'^AMD-Vi: Using global interrupt remap table is not recommended'),
    # vtd/intremap.c:704 / :672, XENLOG_WARNING: the firmware leaves Compatibility Format Interrupts on
    re.compile(r'^\[VT-D\] ?Compatibility Format Interrupts permitted on IOMMU #\d+'),
]
# iommu.c:576 / :589 and :594 / :604 (no level: warning); vtd/iommu.c:2735 / :2698 "Intel VT-d %s %senabled."
_IO_VIRT = re.compile(r'^I/O virtualisation (en|dis)abled')
_INTREMAP_GLOBAL = re.compile(r'^Interrupt remapping (en|dis)abled')
_VTD_FEATURE = re.compile(r'^Intel VT-d (Queued Invalidation|Interrupt Remapping) (not )?enabled\.')


def xen_log_lines(text):
    """The lines of `xl dmesg` with the "(XEN) " prefix and any timestamp removed."""
    lines = []
    for raw in (text or '').splitlines():
        line = raw.rstrip('\r\n')
        if _XEN_PREFIX.match(line):
            line = _XEN_PREFIX.sub('', line, count=1)
            line = _TIMESTAMP.sub('', line, count=1)
        lines.append(line)
    return lines


def dmesg_cmdline(text):
    """The Xen command line as logged at boot ("Command line: ..."), or None."""
    found = None
    for line in xen_log_lines(text):
        if line.startswith('Command line:'):
            found = line[len('Command line:'):].strip()
    return found


def _analyse_iommu(lines):
    """The IOMMU part of analyse_dmesg: only what the log says, None where it says nothing.

    enabled, interrupt_remapping and queued_invalidation are True, False or None (the log does not
    say, e.g. it wrapped); interrupt_remapping_insecure is the line where Xen calls its interrupt
    remapping insecure, or None; disabled_reason is, when the IOMMU is not
    enabled, the first line that says why (a fatal message, or an error in the firmware's tables);
    never set when the log says the IOMMU is enabled.
    """
    iommu = {'vendor': 'none', 'enabled': None, 'interrupt_remapping': None,
             'interrupt_remapping_insecure': None, 'queued_invalidation': None,
             'disabled_reason': None, 'lines': []}
    intel = amd = False
    global_intremap = vtd_intremap = fatal = None
    said_off = False
    for line in lines:
        if not _IOMMU_LINE.search(line) or line.startswith('PCI add device'):
            continue
        line = line.strip()
        iommu['lines'].append(line)
        if re.search(r'VT-d|\[VT-D\]|\bDMAR\b', line, re.IGNORECASE):
            intel = True
        if re.search(r'AMD-Vi|\bIVRS\b|\bIVHD\b', line, re.IGNORECASE):
            amd = True
        match = _IO_VIRT.match(line)
        if match:
            iommu['enabled'] = match.group(1) == 'en'
        match = _INTREMAP_GLOBAL.match(line)
        if match:
            global_intremap = match.group(1) == 'en'
        match = _VTD_FEATURE.match(line)
        if match and match.group(1) == 'Queued Invalidation':
            iommu['queued_invalidation'] = not match.group(2)
        elif match:
            vtd_intremap = not match.group(2)
        if fatal is None and any(p.search(line) for p in _IOMMU_FATAL + _IOMMU_TABLE_ERROR):
            fatal = line
        if any(p.search(line) for p in _IOMMU_FATAL):
            said_off = True
        if iommu['interrupt_remapping_insecure'] is None and any(p.search(line) for p in _INTREMAP_INSECURE):
            iommu['interrupt_remapping_insecure'] = line

    if intel:
        iommu['vendor'] = 'intel'
    elif amd:
        iommu['vendor'] = 'amd'
    if iommu['vendor'] != 'intel':
        iommu['queued_invalidation'] = None
    if iommu['enabled'] is None and said_off:
        iommu['enabled'] = False
    if not iommu['enabled']:
        iommu['disabled_reason'] = fatal
    # The global line (iommu.c) is printed last and holds; logs without it (before Xen 4.3, or cut)
    # may still have VT-d's own "Intel VT-d Interrupt Remapping enabled." line.
    iommu['interrupt_remapping'] = global_intremap if global_intremap is not None else vtd_intremap
    if iommu['enabled'] is False:
        iommu['interrupt_remapping'] = False  # iommu.c: no IOMMU, no interrupt remapping
    return iommu


# XSM messages (file:line at RELEASE-4.17.5 and RELEASE-4.20.0; level as printed):
#   xsm/xsm_core.c:149 "XSM Framework v1.0.1 initialized" - warning: any Xen built with CONFIG_XSM,
#     whichever module (dummy, FLASK, SILO) it runs;
#   xsm/silo.c:119 "Initialising XSM SILO mode" - warning, printed before the line above;
#   xsm/flask/hooks.c:2022-2026 / :2044-2048 "Flask:  Starting in enforcing|permissive mode.",
#     "Flask:  Access controls disabled until policy is loaded." - INFO, so missing at the default loglvl;
#   xsm/flask/hooks.c:1997 / :2018 "Flask: Disabled at boot." - INFO;
#   xsm/flask/flask_op.c:460 / :458 "Flask: Policy loaded, continuing in %s mode." - INFO;
#   xsm/flask/avc.c:563 "avc:  denied|granted { ... }" - warning; only FLASK audits accesses;
#   common/kernel.c:191 'parameter "flask" unknown!' - warning: this Xen has no FLASK;
#   drivers/char/console.c:1074 "Std. Loglevel: ..." - the log level, printed at the end of boot.
_FLASK_ACTIVE = re.compile(r'^Flask:\s+(Starting in (enforcing|permissive) mode'
                           r'|Access controls disabled until policy is loaded'
                           r'|Policy loaded, continuing in)|^avc:\s+(denied|granted)\b')
# "avc:  denied  { perm } for source=d1 target=d2 [device=...|irq=...|pte=... mfn=...] scontext=... tcontext=...
# tclass=..." (xen/xsm/flask/avc.c avc_audit; current=dN when no domains are named). An access is kept
# without the domain ids and addresses, so that one rule of the policy is one entry.
_AVC_DENIED = re.compile(r'^avc:\s+denied\s+(\{[^}]*\}.*)$')
_AVC_CONTEXT = re.compile(r'\b(scontext|tcontext|tclass)=(\S+)')
AVC_DENIALS_KEPT = 50


def _avc_access(text):
    perms = text[:text.index('}') + 1]
    perms = '{ %s }' % ' '.join(perms.strip('{} ').split())
    context = ' '.join('%s=%s' % pair for pair in _AVC_CONTEXT.findall(text))
    return ('%s %s' % (perms, context)).strip()


_INFO_LOGGED = re.compile(r'^Std\. Loglevel: (All|Errors, warnings and info)\b')


def _analyse_xsm(lines):
    """The XSM part of analyse_dmesg.

    framework is what the log proves: flask, silo, dummy (FLASK disabled at boot, or XSM built and
    a log that keeps INFO lines names no module), or None (the log cannot tell: a FLASK Xen at the
    default loglvl prints only the "XSM Framework" line). xsm_built: True (the XSM Framework line is
    there), False (the log holds the start of boot and no such line: built without XSM), or None.
    """
    xsm = {'framework': None, 'flask_param_unknown': False, 'xsm_built': None, 'lines': [],
           'avc_denied': 0, 'avc_denials': []}
    flask = silo = flask_off = info_logged = boot_start = False
    for line in lines:
        line = line.strip()
        if line.startswith('Xen version '):
            boot_start = True
        denied = _AVC_DENIED.match(line)
        if denied:
            # what the policy refused (in permissive mode: would refuse), each distinct access once
            xsm['avc_denied'] += 1
            access = _avc_access(denied.group(1))
            if access not in xsm['avc_denials'] and len(xsm['avc_denials']) < AVC_DENIALS_KEPT:
                xsm['avc_denials'].append(access)
        if line.startswith('parameter "flask" unknown'):
            xsm['flask_param_unknown'] = True
        elif line.startswith('XSM Framework'):
            xsm['xsm_built'] = True
        elif _FLASK_ACTIVE.match(line):
            if flask and line.startswith('avc:'):
                continue  # one access-vector line is evidence enough
            flask = True
        elif line.startswith('Initialising XSM SILO mode'):
            silo = True
        elif re.match(r'Flask:\s+Disabled at boot', line):
            flask_off = True
        elif _INFO_LOGGED.match(line):
            info_logged = True
            continue
        else:
            continue
        xsm['lines'].append(line)
    if xsm['xsm_built'] is None and boot_start:
        xsm['xsm_built'] = False
    if flask:
        xsm['framework'] = 'flask'
    elif silo:
        xsm['framework'] = 'silo'
    elif flask_off or (xsm['xsm_built'] and info_logged):
        xsm['framework'] = 'dummy'
    return xsm


def analyse_dmesg(text, cmdline=None):
    """What the hypervisor log says about IOMMU, XSM/FLASK, SMT and speculative mitigations.

    cmdline: the booted Xen command line (e.g. xl info's xen_commandline); when None the
    "Command line:" line of the log is used (the ring buffer may have lost it).
    """
    lines = xen_log_lines(text)
    if cmdline is None:
        cmdline = dmesg_cmdline(text)
    tokens = xencmdline.split(cmdline)

    iommu = _analyse_iommu(lines)
    xsm = _analyse_xsm(lines)
    smt = {'enabled': None}
    spec = {'lines': [], 'disabled': False}

    in_spec_block = False
    smt_warning = False

    for line in lines:
        # speculative mitigation block: the header and the indented lines below it
        if line.startswith('Speculative mitigation facilities'):
            in_spec_block = True
            spec['lines'].append(line.strip())
            continue
        if in_spec_block:
            if line.startswith('  ') and line.strip():
                spec['lines'].append(line.strip())
                continue
            in_spec_block = False

        if 'SMT/Hyperthreading' in line or 'smt=<bool>' in line:
            smt_warning = True
            spec['lines'].append(line.strip())

    smt['enabled'] = xencmdline.bool_option(tokens, 'smt')
    if smt['enabled'] is None and smt_warning:
        smt['enabled'] = True

    spec['disabled'] = bool(xencmdline.mitigations_off(tokens))

    return {'iommu': iommu, 'xsm': xsm, 'smt': smt, 'spec_ctrl': spec}


# ---------------------------------------------------------------------------
# xl getenforce
# ---------------------------------------------------------------------------

def getenforce_mode(rc, output):
    """The FLASK mode from `xl getenforce`, which answers in its exit status.

    1 -> enforcing, 0 -> permissive, 255 with "Flask XSM Disabled" -> disabled. Anything
    else (e.g. 255 with "Failed to get enforcing mode") is an error.
    """
    said = (output or '').strip()
    if rc == 1 and 'Enforcing' in said:
        return 'enforcing'
    if rc == 0 and 'Permissive' in said:
        return 'permissive'
    if rc in (255, -1) and 'Disabled' in said:
        return 'disabled'
    raise XenGuardError('xl getenforce gave an answer this collection does not know (rc=%s): %s'
                        % (rc, said or 'no output'), rc=rc, output=said)


def xsm_facts(dmesg_xsm=None, flask_mode=None, tokens=None):
    """Which XSM module this boot runs, from every piece of evidence there is, and that evidence.

    dmesg_xsm: the ``xsm`` part of analyse_dmesg (or None); flask_mode: getenforce_mode's answer
    (or None); tokens: the booted Xen command line as tokens (or None). Returns
    {framework: flask|silo|dummy|unknown, mode: the FLASK mode or None, evidence: [what was used]}.

    `xl getenforce` holds at any log level: it answers Enforcing/Permissive only when FLASK is the
    running module, and "Flask XSM Disabled" (ENOSYS) otherwise (tools/xl/xl_flask.c). The log tells
    SILO (its line prints at the default loglvl) and a Xen built without XSM from the rest; FLASK's own
    "Starting in ... mode" lines are INFO and missing at the default loglvl.
    """
    dmesg_xsm = dmesg_xsm if isinstance(dmesg_xsm, dict) else {}
    evidence = []
    framework = None
    for token in tokens or []:
        if token.startswith('xsm=') or token.startswith('flask='):
            evidence.append('booted command line has %s' % token)
    if flask_mode:
        evidence.append('xl getenforce: %s' % flask_mode)
    logged = dmesg_xsm.get('framework')
    for line in dmesg_xsm.get('lines') or []:
        evidence.append('xl dmesg: %s' % line)
    if flask_mode in ('enforcing', 'permissive'):
        framework = 'flask'
    elif flask_mode is None and logged == 'flask':
        framework = 'flask'
    elif logged in ('silo', 'dummy'):
        framework = logged
    elif dmesg_xsm.get('xsm_built') is False:
        framework = 'dummy'
        evidence.append('xl dmesg holds the start of boot without "XSM Framework": Xen is built without XSM')
    elif dmesg_xsm.get('xsm_built') and flask_mode == 'disabled':
        # SILO announces itself at the warning level, before the XSM Framework line: not SILO either
        framework = 'dummy'
    if framework is None:
        framework = 'unknown'
        if not evidence:
            evidence.append('neither xl getenforce nor xl dmesg was read')
    return {'framework': framework, 'mode': flask_mode or None, 'evidence': evidence}


_CPU_VENDORS = {'GenuineIntel': 'intel', 'AuthenticAMD': 'amd', 'HygonGenuine': 'hygon',
                'CentaurHauls': 'centaur', '  Shanghai  ': 'shanghai'}


def cpu_vendor(cpuinfo=None, dmesg=None):
    """The CPU vendor (intel, amd, hygon, centaur, shanghai, or None when unknown).

    cpuinfo: the text of /proc/cpuinfo ("vendor_id : GenuineIntel"); dmesg: the text of xl dmesg,
    whose "CPU Vendor: Intel, Family ..." line (xen/arch/x86/cpu/common.c:371) is the fallback.
    """
    for line in (cpuinfo or '').splitlines():
        key, sep, value = line.partition(':')
        if sep and key.strip() == 'vendor_id':
            value = value.strip()
            for word, vendor in _CPU_VENDORS.items():
                if value == word.strip():
                    return vendor
            return value.lower() or None
    for line in xen_log_lines(dmesg):
        if line.startswith('CPU Vendor: '):
            name = line[len('CPU Vendor: '):].split(',')[0].strip().lower()
            return None if name in ('', 'unknown') else name
    return None


# The toolstack's environment: libxl reads LIBXL_BOOTLOADER_RESTRICT / LIBXL_BOOTLOADER_USER with getenv()
# (tools/libs/light/libxl_bootloader.c:130 from 4.17.3, XSA-443; libxl_create.c:489 from 4.18). Guests
# started at boot get the environment of the xendomains script, which sources /etc/default/xendomains
# (tools/hotplug/Linux/xendomains.in:60, "@CONFIG_DIR@/@CONFIG_LEAF_DIR@/xendomains"): a variable set
# there reaches xl only when it is exported.
BOOTLOADER_ENV = ('LIBXL_BOOTLOADER_RESTRICT', 'LIBXL_BOOTLOADER_USER')
_SHELL_ASSIGN = re.compile(r'^(export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$')


def exported_variables(text, names=BOOTLOADER_ENV):
    """{name: value} of the variables among names that a sourced shell file exports.

    Understands "export NAME=value", "NAME=value" with a later "export NAME", and "set -a". A
    value is given unquoted; a variable that is not both assigned and exported is not in the
    environment of the commands the file's reader runs, and is left out.
    """
    assigned = {}
    exported = set()
    export_all = False
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        if line in ('set -a', 'set -o allexport'):
            export_all = True
            continue
        if line in ('set +a', 'set +o allexport'):
            export_all = False
            continue
        match = _SHELL_ASSIGN.match(line)
        if match:
            name, value = match.group(2), match.group(3)
            try:
                words = shlex.split(value, comments=True)
            except ValueError:
                words = [value]
            assigned[name] = ' '.join(words)
            if match.group(1) or export_all:
                exported.add(name)
            continue
        if line.startswith('export '):
            exported.update(line.split()[1:])
    return dict((name, assigned[name]) for name in names if name in exported and name in assigned)


# ---------------------------------------------------------------------------
# the runner
# ---------------------------------------------------------------------------

# the pause before `xl info` is asked again after an empty answer
INFO_RETRY_SECONDS = 1


class XlRunner(object):
    """The xl sub-commands the collection reads."""

    def __init__(self, module, required=True):
        self.runner = CommandRunner(module, 'xl', required=required)

    @property
    def available(self):
        return self.runner.available

    @property
    def record(self):
        return self.runner.record

    def run(self, args, **kwargs):
        return self.runner.run(args, **kwargs)

    def info_text(self):
        """The text of `xl info`, asked a second time when the first answer is empty.

        `make bench` saw `xl info` exit 0 with no output while other xl commands ran on the same dom0 (2 of 50
        hosts of one audit run, several audits on one emulated host at once); the second answer is kept,
        empty or not (parse_xl_info then says "printed nothing").
        """
        text = self.run(['info']).stdout
        if not (text or '').strip():
            time.sleep(INFO_RETRY_SECONDS)
            text = self.run(['info']).stdout
        return text

    def info(self):
        return parse_xl_info(self.info_text())

    def dmesg(self):
        return self.run(['dmesg']).stdout

    def getenforce(self):
        result = self.run(['getenforce'], check=False)
        try:
            return getenforce_mode(result.rc, result.stdout or result.stderr)
        except XenGuardError:
            raise XenCommandError(describe_failure(result), cmd=result.cmd, rc=result.rc,
                                  stdout=result.stdout, stderr=result.stderr)

    def list_long(self, domain=None):
        """`xl list -l [domain]` as parsed domains; a domain that does not exist is an error."""
        args = ['list', '-l']
        if domain is not None:
            args.append(str(domain))
        result = self.run(args, check=False)
        if result.rc != 0:
            said = (result.stderr or '') + (result.stdout or '')
            if domain is not None and ('does not exist' in said or 'invalid domain identifier' in said):
                raise XenCommandError('Xen domain %s does not exist (xl said: %s)'
                                      % (domain, said.strip()), cmd=result.cmd, rc=result.rc,
                                      stdout=result.stdout, stderr=result.stderr)
            raise XenCommandError(describe_failure(result), cmd=result.cmd, rc=result.rc,
                                  stdout=result.stdout, stderr=result.stderr)
        return parse_xl_list_long(result.stdout)
