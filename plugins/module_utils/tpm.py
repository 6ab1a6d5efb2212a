# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's TPM as dom0 sees it, and what dom0's TPM driver and the vTPM manager's config leave of it.

read_details() reads sysfs, ACPI, /proc and modprobe.d (no command runs, nothing is written; every path is
under ``root`` so the tests hand it a recorded tree); tpm_fact() turns what was read into the ``tpm`` fact;
manager_locality() reads a vTPM manager's xl config as Xen's vtpmmgr reads it (xen-vtpmmgr(7): extra=
tpmlocality=, tpmiomem=, tpm2=1; iomem=).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re

# ACPI tables that describe a TPM: TPM2 (TPM 2.0) and TCPA (TPM 1.2).
ACPI_TABLES = {'TPM2': '2.0', 'TCPA': '1.2'}
# ACPI ids of TPM devices: MSFT0101 is a TPM 2.0 (TIS or CRB), PNP0C31 and the vendor ids a TPM 1.2 (TIS).
ACPI_HIDS = {'MSFT0101': '2.0', 'PNP0C31': '1.2', 'ATM1200': '1.2', 'IFX0102': '1.2', 'BCM0101': '1.2',
             'BCM0102': '1.2', 'NSC1200': '1.2', 'ICO0102': '1.2'}
# Linux drivers that talk to a hardware TPM through its memory-mapped interface at 0xfed40000 (the one the
# vTPM manager maps); 'vtpm' is xen-tpmfront, a vTPM attached to dom0, which is no hardware TPM.
HW_DRIVERS = ('tpm_tis', 'tpm_crb')
TPMFRONT_DRIVER = 'vtpm'
# `install NAME <one of these>` in modprobe.d: loading the module does nothing
NOOP_COMMANDS = ('/bin/false', '/bin/true', '/usr/bin/false', '/usr/bin/true')
MODPROBE_DIRS = ('etc/modprobe.d', 'run/modprobe.d', 'lib/modprobe.d', 'usr/lib/modprobe.d')
# The TPM TIS interface: 5 pages from 0xfed40000, one per locality (xen-vtpmmgr(7)).
TIS_BASE_PAGE = 0xfed40
TIS_LOCALITIES = 5


def _read(path, missing=''):
    try:
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8', 'surrogateescape')
    except (IOError, OSError):
        return missing


def _under(root, path):
    return os.path.join(root, path.lstrip('/'))


def read_details(sysfs_dirs, root='/'):
    """What dom0 knows of its TPM besides the device nodes: each /sys/class/tpm/tpmN (version, driver), the
    ACPI tables and devices that describe a TPM, the TPM modules loaded or built in, the modprobe.d lines and
    the kernel command line that may keep them off."""
    chips = {}
    for path in sysfs_dirs:
        driver = os.path.join(path, 'device', 'driver')
        chips[os.path.basename(path)] = {
            'version_major': _read(os.path.join(path, 'tpm_version_major')).strip() or None,
            'driver': os.path.basename(os.path.realpath(driver)) if os.path.exists(driver) else None,
        }
    tables = sorted(name for name in ACPI_TABLES if os.path.exists(_under(root, '/sys/firmware/acpi/tables/' + name)))
    acpi = sorted(os.path.basename(p) for p in glob.glob(_under(root, '/sys/bus/acpi/devices/*'))
                  if os.path.basename(p).split(':')[0] in ACPI_HIDS)
    modules = [line.split()[0] for line in _read(_under(root, '/proc/modules')).splitlines()
               if line.startswith('tpm')]
    release = _read(_under(root, '/proc/sys/kernel/osrelease')).strip()
    builtin = []
    if release:
        for line in _read(_under(root, '/lib/modules/%s/modules.builtin' % release)).splitlines():
            if '/char/tpm/' in line:
                builtin.append(os.path.basename(line.strip()).split('.')[0])
    modprobe = {}
    for directory in MODPROBE_DIRS:
        for path in sorted(glob.glob(_under(root, directory + '/*.conf'))):
            lines = [line.strip() for line in _read(path).splitlines() if 'tpm' in line]
            if lines:
                modprobe['/' + os.path.relpath(path, root)] = lines
    return {'chips': chips, 'acpi_tables': tables, 'acpi_devices': acpi, 'modules': modules,
            'builtin': builtin, 'modprobe': modprobe, 'cmdline': _read(_under(root, '/proc/cmdline'), None)}


def _version_of_major(major):
    return {'1': '1.2', '2': '2.0'}.get(str(major).strip())


def blacklisted(modprobe, cmdline):
    """The TPM modules dom0's kernel will not load: named by `blacklist NAME` or `install NAME /bin/false`
    (or /bin/true) in modprobe.d, or by module_blacklist= / modprobe.blacklist= on the kernel command line.
    Names are compared with '-' read as '_', as modprobe does."""
    names = set()
    for path in sorted(modprobe or {}):
        for line in modprobe[path]:
            words = line.partition('#')[0].split()
            if len(words) >= 2 and words[0] == 'blacklist':
                names.add(words[1].replace('-', '_'))
            elif len(words) >= 3 and words[0] == 'install' and words[2] in NOOP_COMMANDS:
                names.add(words[1].replace('-', '_'))
    for word in (cmdline or '').split():
        key, _sep, value = word.partition('=')
        if key in ('module_blacklist', 'modprobe.blacklist'):
            names.update(v.replace('-', '_') for v in value.split(',') if v)
    return sorted(n for n in names if n.startswith('tpm'))


def tpm_fact(raw):
    """The tpm fact from read_tpm's raw output ({devices, sysfs} and, when read, read_details' keys).

    present: a hardware TPM is known to dom0 - a chip bound to a driver other than xen-tpmfront, or an ACPI
    table or device that describes one (a TPM whose driver is kept off dom0 shows there only).
    version: '2.0', '1.2' or None (unknown), from the chip's tpm_version_major, else from ACPI.
    """
    devices = sorted(set(raw.get('devices') or []))
    details = raw.get('chips')
    chips = []
    for name in sorted(details or {}):
        chip = details[name] or {}
        chips.append({'name': name, 'version': _version_of_major(chip.get('version_major')),
                      'driver': chip.get('driver')})
    hw_chips = [c for c in chips if c['driver'] != TPMFRONT_DRIVER]
    tables = list(raw.get('acpi_tables') or [])
    acpi = list(raw.get('acpi_devices') or [])
    if details is None:
        # only the device nodes and sysfs entries were read (an older reader): what they say
        present = bool(devices or raw.get('sysfs'))
    else:
        present = bool(hw_chips or tables or acpi)
    version = None
    for chip in hw_chips:
        version = version or chip['version']
    for table in tables:
        version = version or ACPI_TABLES.get(table)
    for dev in acpi:
        version = version or ACPI_HIDS.get(dev.split(':')[0])
    loaded = list(raw.get('modules') or [])
    return {
        'present': present,
        'devices': devices,
        'version': version,
        'chips': chips,
        'firmware': {'acpi_tables': tables, 'acpi_devices': acpi},
        'dom0_driver': {
            # a hardware TPM chip bound to a dom0 driver: dom0 talks to the TPM (at locality 0, as Linux does)
            'bound': [c['name'] for c in hw_chips],
            'loaded': loaded,
            'builtin': list(raw.get('builtin') or []),
            'blacklisted': blacklisted(raw.get('modprobe'), raw.get('cmdline')),
        } if details is not None else None,
    }


_LOCALITY = re.compile(r'^tpmlocality=(\d+)$')
_IOMEM_BASE = re.compile(r'^tpmiomem=0x([0-9A-Fa-f]+)$')
_IOMEM = re.compile(r'^\s*([0-9A-Fa-f]+)(?:\s*,\s*([0-9A-Fa-f]+))?(?:@[0-9A-Fa-f]+)?\s*$')


def manager_locality(keys):
    """How a vTPM manager configuration (xl config keys) reaches the TPM, as vtpmmgr reads its extra=:
    {locality, tpm2, base_page, pages: [page numbers iomem= gives it], locality_pages: [the TIS pages of
    those pages, by locality], problems: [...]}. Linux in dom0 uses locality 0 (xen-vtpm(7))."""
    extra = keys.get('extra') or ''
    words = str(extra).split()
    locality, base, problems = 0, TIS_BASE_PAGE, []
    for word in words:
        match = _LOCALITY.match(word)
        if match:
            locality = int(match.group(1))
        match = _IOMEM_BASE.match(word)
        if match:
            base = int(match.group(1), 16) >> 12
    if locality > 4:
        problems.append('tpmlocality=%d is not a TPM locality (0 to 4)' % locality)
    iomem = keys.get('iomem') or []
    if isinstance(iomem, str):
        iomem = [iomem]
    pages = set()
    for entry in iomem:
        match = _IOMEM.match(str(entry))
        if not match:
            problems.append('iomem entry %r is not IOMEM_START,NUM_PAGES in hexadecimal' % entry)
            continue
        start = int(match.group(1), 16)
        count = int(match.group(2) or '1', 16)
        pages.update(range(start, start + min(count, 1 << 20)))
    localities = sorted(p - base for p in pages if base <= p < base + TIS_LOCALITIES)
    return {'locality': locality, 'tpm2': 'tpm2=1' in words, 'base_page': '%x' % base,
            'pages': ['%x' % p for p in sorted(pages)], 'localities_mapped': localities, 'problems': problems}
