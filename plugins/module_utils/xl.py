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

_IOMMU_LINE = re.compile(
    r'VT-d|\[VT-D\]|AMD-Vi|IVRS|DMAR|IOMMU|I/O virtuali[sz]ation|Interrupt remapping',
    re.IGNORECASE)
# Why Xen turned the IOMMU off by itself (chipset errata, platform quirks, broken tables).
_IOMMU_DISABLED_WHY = [
    re.compile(r'Disabling IOMMU', re.IGNORECASE),
    re.compile(r'(IOMMU|VT-d|AMD-Vi|IVRS|DMAR).*\b(errat(a|um)|quirk)', re.IGNORECASE),
    re.compile(r'\b(errat(a|um)|quirk)\b.*(IOMMU|VT-d|AMD-Vi|IVRS|DMAR)', re.IGNORECASE),
    re.compile(r'AMD-Vi: Error', re.IGNORECASE),
    re.compile(r'No southbridge IO-APIC found in IVRS', re.IGNORECASE),
    re.compile(r'IOMMU.*(not|cannot be) (enabled|supported).*firmware|BIOS bug', re.IGNORECASE),
]


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


def analyse_dmesg(text, cmdline=None):
    """What the hypervisor log says about IOMMU, XSM/FLASK, SMT and speculative mitigations.

    cmdline: the booted Xen command line (e.g. xl info's xen_commandline); when None the
    "Command line:" line of the log is used (the ring buffer may have lost it).
    """
    lines = xen_log_lines(text)
    if cmdline is None:
        cmdline = dmesg_cmdline(text)
    tokens = xencmdline.split(cmdline)

    iommu = {'vendor': 'none', 'enabled': False, 'interrupt_remapping': False,
             'queued_invalidation': None, 'disabled_reason': None, 'lines': []}
    xsm = {'framework': None, 'flask_param_unknown': False}
    smt = {'enabled': None}
    spec = {'lines': [], 'disabled': False}

    intel = amd = False
    xsm_framework_seen = flask_active = flask_off = silo = False
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

        if _IOMMU_LINE.search(line) and not line.startswith('PCI add device'):
            iommu['lines'].append(line.strip())
            if re.search(r'VT-d|\[VT-D\]|\bDMAR\b', line, re.IGNORECASE):
                intel = True
            if re.search(r'AMD-Vi|\bIVRS\b', line, re.IGNORECASE):
                amd = True
            if line.startswith('I/O virtualisation enabled'):
                iommu['enabled'] = True
            elif line.startswith('I/O virtualisation disabled'):
                iommu['enabled'] = False
            if re.match(r'Interrupt remapping enabled', line):
                iommu['interrupt_remapping'] = True
            elif re.match(r'Interrupt remapping disabled', line):
                iommu['interrupt_remapping'] = False
            if 'Queued Invalidation' in line:
                iommu['queued_invalidation'] = 'not enabled' not in line
            if iommu['disabled_reason'] is None:
                for pattern in _IOMMU_DISABLED_WHY:
                    if pattern.search(line):
                        iommu['disabled_reason'] = line.strip()
                        break

        if line.startswith('parameter "flask" unknown'):
            xsm['flask_param_unknown'] = True
        if line.startswith('XSM Framework'):
            xsm_framework_seen = True
        if re.match(r'Flask:\s+Starting in (enforcing|permissive) mode', line) or \
                line.startswith('Flask: Starting in late-load mode') or \
                re.match(r'Flask:\s+Access controls disabled until policy is loaded', line):
            flask_active = True
        if re.match(r'Flask:\s+Disabled at boot', line):
            flask_off = True
        if line.startswith('Initialising XSM SILO mode'):
            silo = True

    if intel:
        iommu['vendor'] = 'intel'
    elif amd:
        iommu['vendor'] = 'amd'
    if iommu['vendor'] != 'intel':
        iommu['queued_invalidation'] = None
    if not iommu['enabled']:
        iommu['interrupt_remapping'] = False

    if flask_active:
        xsm['framework'] = 'flask'
    elif silo:
        xsm['framework'] = 'silo'
    elif xsm_framework_seen or flask_off:
        xsm['framework'] = 'dummy'

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


# ---------------------------------------------------------------------------
# the runner
# ---------------------------------------------------------------------------

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

    def info(self):
        return parse_xl_info(self.run(['info']).stdout)

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
