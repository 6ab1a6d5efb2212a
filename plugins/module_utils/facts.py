# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fact assembly of xen_facts: ansible_facts.xen computed from what was read on a dom0.

Nothing here runs a command or opens a file. xenguard.hardening.xen_facts reads (xl, xenstore-ls, ip, /proc,
the configuration files) and hands the raw outputs to assemble(); the unit and agreement tests hand it
recorded output of real hosts, so they judge the facts the module returns, not a copy of its code.

The raw outputs, each key optional (a part whose raw output is absent and not in errors is returned as
None: it was not gathered):

    xl_info        text of `xl info`. None (tests over a recorded log alone): info is empty and the command
                   line is the one the log printed ("Command line:")
    dmesg          text of `xl dmesg`
    getenforce     {rc, stdout, stderr, cmd} of `xl getenforce` (it answers in its exit status)
    xl_list_long   text of `xl list -l`
    xenstore_ls    text of `xenstore-ls -f -p /local/domain`
    tpm            {devices: [/dev/tpm*...], sysfs: [/sys/class/tpm/tpm*...]} and tpm.read_details' keys
    guest_configs  {files: {path: bytes, or None when unreadable}, missing: {config_paths entry: reason}}
    xl_conf        {path, exists, data: bytes, or None when unreadable}
    xenstored      {pid, exe, comm, argv, configs: {path: (text, error)}} of the running daemon, or
                   {not_found: reason}
    network        {ip_addr: text of `ip -j -d addr show`, ipv6_conf: {interface: {key: text}}}
    pci            {sysfs: {address: {class, driver, net}}, assignable: text of `xl pci-assignable-list` or None}
    cpuinfo        text of /proc/cpuinfo
    xendomains     {path, text} of the xendomains defaults file (read with the xl_conf part)
    boot           {xen_cfg: {path, exists, data: bytes, or None when unreadable}, grub_files: {path: exists},
                   packages: {microcode package: installed}, and (each optional) dpkg_status: bytes of dpkg's
                   status file, os_release: text of /etc/os-release, kernel_release: `uname -r`,
                   boot_image_record: text of the reboot role's record, stubdom_image_record: text of
                   xen_stubdom_image's record, stubdom_image_stat: {kernel|rootfs: [size, mtime_ns] or None}
                   of the images in the directory that record names, microcode_policy: {packages, rc, stdout,
                   stderr} of `apt-cache policy` over the microcode packages not installed, or None}
    errors         {part: reason} for the parts that could not be read
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.xenguard.hardening.plugins.module_utils import dom0net, netsplit, pcidev, safefile, stubdom, tpm, xenstored
from ansible_collections.xenguard.hardening.plugins.module_utils.controls import evaluate, summarise
from ansible_collections.xenguard.hardening.plugins.module_utils.grubcfg import GrubConfigError, XenCfg
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import (
    CommandResult,
    XenCommandError,
    XenGuardError,
    describe_failure,
)
from ansible_collections.xenguard.hardening.plugins.module_utils.xencmdline import split as split_xen_cmdline
from ansible_collections.xenguard.hardening.plugins.module_utils.xenstore import backends, parse_xenstore_ls
from ansible_collections.xenguard.hardening.plugins.module_utils.xl import (
    analyse_dmesg,
    cpu_vendor,
    dmesg_cmdline,
    exported_variables,
    getenforce_mode,
    parse_xl_info,
    parse_xl_list_long,
    xen_version,
    xsm_facts,
)
from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import XlConfig, XlConfigSyntaxError

# The parts of the facts a caller may gather (xl info is always read), in the order they are computed.
PARTS = ('dmesg', 'flask', 'domains', 'backends', 'tpm', 'guest_configs', 'xl_conf', 'xenstored', 'network',
         'boot', 'pci', 'controls')
# Which raw output each part is computed from.
RAW_OF = {'dmesg': 'dmesg', 'flask': 'getenforce', 'domains': 'xl_list_long', 'backends': 'xenstore_ls',
          'tpm': 'tpm', 'guest_configs': 'guest_configs', 'xl_conf': 'xl_conf', 'xenstored': 'xenstored',
          'network': 'network', 'boot': 'boot', 'pci': 'pci'}
# The files GRUB's handling of Xen boot options needs (the boot part says whether each exists).
GRUB_FILES = ('/boot/grub/grub.cfg', '/usr/sbin/update-grub', '/etc/grub.d/20_linux_xen')
# The CPU microcode packages whose installation the boot part reports (ucode=scan loads them).
MICROCODE_PACKAGES = ('intel-microcode', 'amd64-microcode')
# The packages whose installed version the boot part reports (boot.installed, from dpkg's status file): what
# the roles install or build from, so that a re-run need not ask dpkg or apt. Xen's hypervisor packages
# (xen-hypervisor-<branch>-amd64) by their prefix.
INSTALLED_PACKAGES = MICROCODE_PACKAGES + ('grub-xen-host', 'grub-xen-bin', 'qemu-system-xen', 'xenstore-utils',
                                           'busybox', 'busybox-static')
INSTALLED_PREFIXES = ('xen-hypervisor-',)


def empty_facts(reason):
    """The facts of a host that is not a Xen dom0 (nothing was read)."""
    return {
        'is_dom0': False, 'reason': reason, 'version': None, 'info': {}, 'cmdline': [],
        'dmesg': None, 'flask': None, 'domains': [], 'backends': {'vif': [], 'vbd': [], 'vtpm': []},
        'tpm': None, 'guest_configs': {}, 'xl_conf': None, 'controls': [],
        'xsm': None, 'cpu': None, 'toolstack_env': None, 'xenstored': None, 'network': None, 'boot': None, 'pci': None,
        'controls_summary': summarise([]), 'errors': {},
    }


def config_file(path, data):
    """{keys, error} of one xl configuration file from its bytes (None: it could not be read); a file that
    cannot be judged gets an error, not keys."""
    entry = {'keys': {}, 'error': None}
    if data is None:
        entry['error'] = 'cannot read the file'
        return entry
    odd = safefile.describe_non_utf8(path, data)
    if odd:
        entry['error'] = ('%s; the collection judges only UTF-8 configuration files, fix or remove that byte'
                          % odd)
        return entry
    try:
        entry['keys'] = XlConfig.parse(data.decode('utf-8'), source=path).as_dict()
    except XlConfigSyntaxError as exc:
        entry['error'] = str(exc)
    return entry


def _flask(raw, info, warnings):
    answer = raw['getenforce']
    rc, stdout, stderr = answer.get('rc'), answer.get('stdout') or '', answer.get('stderr') or ''
    try:
        return {'mode': getenforce_mode(rc, stdout or stderr)}
    except XenGuardError:
        result = CommandResult(answer.get('cmd') or ['xl', 'getenforce'], rc, stdout, stderr)
        raise XenCommandError(describe_failure(result), cmd=result.cmd, rc=rc, stdout=stdout, stderr=stderr)


def _tpm(raw, info, warnings):
    return tpm.tpm_fact(raw['tpm'])


def _guest_configs(raw, info, warnings):
    read = raw['guest_configs']
    facts = dict((path, config_file(path, data)) for path, data in (read.get('files') or {}).items())
    for path, reason in (read.get('missing') or {}).items():
        warnings.append('config_paths entry %s names no guest configuration: %s; the controls over guest '
                        'configurations say unknown until it is fixed' % (path, reason))
        facts[path] = {'keys': {}, 'error': 'config_paths entry names nothing: %s' % reason}
    return facts


def _xl_conf(raw, info, warnings):
    read = raw['xl_conf']
    entry = {'path': read['path'], 'keys': {}, 'error': None}
    if read.get('exists'):
        entry.update(config_file(read['path'], read.get('data')))
    return entry


def _xenstored(raw, info, warnings):
    read = raw['xenstored']
    if 'not_found' in read:
        return xenstored.not_found(read['not_found'])
    configs = read.get('configs') or {}
    return xenstored.daemon_facts(read['pid'], read.get('exe'), read.get('comm'), read['argv'], xen_version(info),
                                  lambda path: configs.get(path, (None, None)))


def network_fact(ip_addr, ipv6_conf):
    """The network fact from `ip -j -d addr show` and {interface: {key: text}} of /proc/sys/net/ipv6/conf."""
    interfaces = dom0net.parse_ip_addr(ip_addr)
    ipv6 = ipv6_conf or {}
    for iface in interfaces:
        values = ipv6.get(iface['name'])
        # no IPv6 on this interface (or in this kernel): None
        iface['ipv6'] = None if values is None else dom0net.parse_ipv6_conf(values)
    return {'interfaces': interfaces}


def _network(raw, info, warnings):
    fact = network_fact(raw['network']['ip_addr'], raw['network'].get('ipv6_conf'))
    fact.update(netsplit_fact(raw['network'], warnings))
    return fact


def netsplit_fact(read, warnings):
    """sockets (listening, None when /proc/net was not read), nftables (base chains, None with nft_error when
    nft gave none) and split (the network_split role's declaration or None) from read_network_split's reads."""
    tables = read.get('proc_net')
    fact = {'sockets': netsplit.listening_sockets(tables) if tables and any(
        v is not None for v in tables.values()) else None, 'nftables': None, 'nft_error': read.get('nft_error'),
        'split': None}
    try:
        if read.get('nft_ruleset') is not None:
            fact['nftables'] = netsplit.parse_nft_ruleset(read['nft_ruleset'])
    except netsplit.NetsplitParseError as exc:
        fact['nft_error'] = str(exc)
    try:
        fact['split'] = netsplit.parse_declaration(read.get('split_declaration'))
    except netsplit.NetsplitParseError as exc:
        warnings.append('%s; it is ignored: run the network_split role again to rewrite it' % exc)
    return fact


def xen_cfg_fact(path, exists, data):
    """The boot part's xen_cfg: the tokens GRUB_CMDLINE_XEN_DEFAULT and GRUB_CMDLINE_XEN hold in the file
    (as xen_boot_options reads them), or the error that keeps them from being judged (cmdline None)."""
    entry = {'path': path, 'exists': bool(exists), 'cmdline': None, 'cmdline_xen': [], 'error': None}
    if data is None:
        entry['error'] = 'cannot read the file'
        return entry
    odd = safefile.describe_non_utf8(path, data)
    if odd:
        entry['error'] = odd
        return entry
    try:
        cfg = XenCfg(data.decode('utf-8'))
    except GrubConfigError as exc:
        entry['error'] = exc.msg + (' (line %d)' % exc.line if exc.line else '')
        return entry
    entry['cmdline'] = list(cfg.tokens)
    entry['cmdline_xen'] = list(cfg.other_tokens)
    return entry


def parse_dpkg_status(data, names=(), prefixes=()):
    """{package: {version, source_version, architecture}} of the packages of NAMES (or starting with one of
    PREFIXES) that dpkg's status file (bytes or text) records as installed. source_version is what
    `dpkg-query -f '${source:Version}'` prints: the version in the Source field's parentheses, else the
    package's own. A package listed for two architectures keeps the first installed one."""
    if isinstance(data, bytes):
        data = data.decode('utf-8', 'replace')
    names = frozenset(names)
    prefixes = tuple(prefixes)
    found = {}
    for stanza in (data or '').split('\n\n'):
        stanza = stanza.strip('\n')
        if not stanza.startswith('Package:'):
            continue
        name = stanza[len('Package:'):stanza.find('\n') if '\n' in stanza else len(stanza)].strip()
        if name in found or not (name in names or (prefixes and name.startswith(prefixes))):
            continue
        fields = {}
        for line in stanza.split('\n'):
            if line[:1] in (' ', '\t') or ':' not in line:
                continue  # a continuation line of a multi-line field
            key, _sep, value = line.partition(':')
            fields[key.strip().lower()] = value.strip()
        status = fields.get('status', '').split()
        if len(status) != 3 or status[2] != 'installed' or not fields.get('version'):
            continue  # removed with its configuration left, half-installed, ...
        source = fields.get('source', '')
        source_version = source.partition('(')[2].partition(')')[0].strip() if '(' in source else ''
        found[name] = {'version': fields['version'], 'source_version': source_version or fields['version'],
                       'architecture': fields.get('architecture')}
    return found


def parse_os_release(text):
    """{id, version_id, version_codename} of /etc/os-release (None for what it does not say)."""
    values = {}
    for line in (text or '').splitlines():
        key, sep, value = line.strip().partition('=')
        if sep and key in ('ID', 'VERSION_ID', 'VERSION_CODENAME'):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
                value = value[1:-1]
            values[key.lower()] = value
    return dict((key, values.get(key) or None) for key in ('id', 'version_id', 'version_codename'))


def parse_apt_policy(text, packages):
    """{package: candidate version, or None when apt has none} of `apt-cache policy PACKAGE...` for PACKAGES
    (a package apt does not know at all is not printed: None too)."""
    found = dict((name, None) for name in packages)
    current = None
    for line in (text or '').splitlines():
        if line[:1] not in (' ', '\t') and line.rstrip().endswith(':'):
            current = line.strip()[:-1].split(':')[0]
        elif current in found and line.strip().startswith('Candidate:'):
            value = line.split(':', 1)[1].strip()
            found[current] = None if value in ('', '(none)') else value
    return found


def json_record(text, what, warnings):
    """A JSON object the collection recorded on the host (None when absent; a warning when unreadable)."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        warnings.append('%s is not JSON (%s); it is ignored and the role that wrote it decides again' % (what, exc))
        return None
    if not isinstance(value, dict):
        warnings.append('%s is not a JSON object; it is ignored and the role that wrote it decides again' % what)
        return None
    return value


def _boot(raw, info, warnings):
    read = raw['boot']
    cfg = read['xen_cfg']
    fact = {'xen_cfg': xen_cfg_fact(cfg['path'], cfg.get('exists'), cfg.get('data')),
            'grub_files': dict(read.get('grub_files') or {}),
            'packages': dict(read.get('packages') or {}),
            'installed': None, 'os': None, 'kernel_release': read.get('kernel_release'),
            'boot_image': None, 'stubdom_image': None, 'microcode_candidates': None}
    policy = read.get('microcode_policy')
    if policy and policy.get('rc') == 0:
        fact['microcode_candidates'] = parse_apt_policy(policy.get('stdout'), policy.get('packages') or [])
    stubdom_record = json_record(read.get('stubdom_image_record'), stubdom.STATE_FILE, warnings)
    if read.get('dpkg_status') is not None:
        record_packages = sorted(((stubdom_record or {}).get('key') or {}).get('packages') or {}) \
            if isinstance((stubdom_record or {}).get('key'), dict) else []
        every = parse_dpkg_status(read['dpkg_status'], set(INSTALLED_PACKAGES) | set(record_packages),
                                  INSTALLED_PREFIXES)
        fact['installed'] = dict((name, value) for name, value in every.items()
                                 if name in INSTALLED_PACKAGES or name.startswith(INSTALLED_PREFIXES))
        fact['stubdom_image'] = stubdom.recorded_image(
            stubdom_record, dict((name, value['version']) for name, value in every.items()),
            read.get('stubdom_image_stat'))
    if read.get('os_release') is not None:
        fact['os'] = parse_os_release(read['os_release'])
    fact['boot_image'] = json_record(read.get('boot_image_record'), 'the reboot role\'s record of the committed '
                                     'hypervisor image', warnings)
    return fact


PART_BUILDERS = {
    'dmesg': lambda raw, info, warnings: analyse_dmesg(raw['dmesg'], cmdline=_booted(raw, info)),
    'flask': _flask,
    'domains': lambda raw, info, warnings: parse_xl_list_long(raw['xl_list_long']),
    'backends': lambda raw, info, warnings: backends(parse_xenstore_ls(raw['xenstore_ls'])),
    'tpm': _tpm,
    'guest_configs': _guest_configs,
    'xl_conf': _xl_conf,
    'xenstored': _xenstored,
    'network': _network,
    'boot': _boot,
    'pci': lambda raw, info, warnings: pcidev.pci_facts(raw['pci']['sysfs'], raw['pci'].get('assignable')),
}


def _booted(raw, info):
    """The booted command line as text: xl info's, or (no xl info) None, so the log's own is used."""
    if raw.get('xl_info') is None:
        return None
    return info.get('xen_commandline')


class PartUnavailable(Exception):
    """Raised by any use of a part that could not be read: the check using it says unknown, naming why."""


def _refuse(part, reason):
    def refuse(*args, **kwargs):
        raise PartUnavailable('%s could not be read: %s' % (part, reason))
    return refuse


def unavailable(part, reason):
    """A stand-in for a part that failed: every look into it raises PartUnavailable naming the part.

    Controls are evaluated over it, so each control that needs the part says unknown with the reason
    (the evaluation turns an exception of a check into unknown), and the others are judged as usual.
    """
    base = list if part == 'domains' else dict
    names = ('__iter__', '__len__', '__getitem__', '__contains__', '__bool__', '__nonzero__')
    if base is dict:
        names += ('get', 'keys', 'items', 'values')
    attrs = dict((name, _refuse(part, reason)) for name in names)
    return type('Unavailable', (base,), attrs)()


def controls(facts, errors):
    """The result of every control over the facts, each part in errors standing for 'could not be read'."""
    view = dict(facts)
    for part, reason in errors.items():
        view[part] = unavailable(part, reason)
    return list(evaluate(view))


def reason_of(exc):
    """What an exception says, for errors and warnings: the collection's own message, else its type too."""
    if isinstance(exc, XenGuardError):
        return exc.msg
    return '%s: %s' % (type(exc).__name__, exc)


def assemble(raw, parts=PARTS, evaluated_on=None):
    """(facts, warnings): ansible_facts.xen of a dom0 from its raw outputs (see the module's docstring).

    parts: the parts asked for (xen_facts' gather); a part not asked for is None. A part whose reading
    (raw['errors']) or computing failed is None with the reason in errors and a warning; the controls that
    need it say unknown. evaluated_on: the date the controls judge expiries on (default today).
    """
    errors = dict(raw.get('errors') or {})
    info = parse_xl_info(raw['xl_info']) if raw.get('xl_info') is not None else {}
    booted = info.get('xen_commandline', '') if raw.get('xl_info') is not None else dmesg_cmdline(raw.get('dmesg'))
    facts = {
        'is_dom0': True,
        'reason': '',
        'version': xen_version(info),
        'info': info,
        'cmdline': split_xen_cmdline(booted),
        'errors': {},
    }
    if evaluated_on:
        facts['evaluated_on'] = evaluated_on
    for part in PARTS:
        facts[part] = None
    facts['controls_summary'] = None
    facts['toolstack_env'] = None
    facts['xsm'] = None

    warnings = []
    for part in PARTS:
        if part == 'controls' or part not in parts:
            continue
        try:
            if part in errors:
                raise _ReadFailed(errors[part])
            if raw.get(RAW_OF[part]) is None:
                continue  # not read: not gathered
            facts[part] = PART_BUILDERS[part](raw, info, warnings)
        except Exception as exc:  # one part failing must not lose the others: say why, go on
            facts['errors'][part] = reason_of(exc)
            warnings.append('xen_facts could not read %s: %s; the controls that need it say unknown'
                            % (part, reason_of(exc)))
    if facts['dmesg'] is not None or facts['flask'] is not None:
        facts['xsm'] = xsm_facts((facts['dmesg'] or {}).get('xsm'), (facts['flask'] or {}).get('mode'),
                                 facts['cmdline'])
    facts['cpu'] = {'vendor': cpu_vendor(raw.get('cpuinfo'), raw.get('dmesg'))}
    if 'xl_conf' in parts and raw.get('xendomains') is not None:
        facts['toolstack_env'] = {'path': raw['xendomains']['path'],
                                  'exported': exported_variables(raw['xendomains'].get('text'))}
    if 'controls' in parts:
        facts['controls'] = controls(facts, facts['errors'])
        facts['controls_summary'] = summarise(facts['controls'])
    return facts, warnings


class _ReadFailed(XenGuardError):
    """A part whose reading failed: its reason as the reader gave it."""

    def __init__(self, reason):
        super(_ReadFailed, self).__init__(reason)
