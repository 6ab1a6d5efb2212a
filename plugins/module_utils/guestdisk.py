# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only look into a guest's disks: can PV-GRUB2 boot this guest?

PV-GRUB2 runs inside the guest and reads the guest's own GRUB configuration from the guest's disks.
Before a guest is moved from pygrub (or a dom0-side kernel) to PV-GRUB2, the collection checks that a
disk of the guest holds such a configuration, and that the kernels it names are there.

How the disk is read, and why it is safe:
- The disk's target comes from the guest configuration, parsed like xl's disk syntax
  (xl-disk-configuration(5), tools/libs/util/libxlu_disk_l.l): raw image files, block devices
  (logical volumes, partitions, whole disks). Other formats (qcow2, vhd, qed), targets a block script
  resolves (iscsi, drbd, ...), disks served by a driver domain and CD-ROMs are not read: the guest is
  reported as not checked.
- The target is opened with O_RDONLY only to read its partition table (MBR with logical partitions,
  or GPT) and the superblocks; no loop device, no mount, no journal replay.
- Files are read with e2fsprogs' debugfs in its default read-only mode with -c (catastrophic mode:
  it does not even read the bitmaps), one file per call, as `cat` and `stat` requests. Only ext2/3/4
  filesystems are read; a partition with another filesystem is named in the reason.
- A running guest's disk can be read this way without disturbing the guest (nothing is written and
  nothing is locked); what is read may be a moment old, and the changed configuration only applies the
  next time the guest is created.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import struct

SECTOR = 512

# Where PV-GRUB2 looks for the guest's menu. Debian's grub-xen images start with an embedded
# configuration that searches every disk and partition for these two files, in this order (checked in
# the images of Debian 12 and 13: `strings grub-x86_64-xen.bin`).
GRUB_CONFIG_PATHS = ('/boot/grub/grub.cfg', '/grub/grub.cfg')

_UNSUPPORTED_FORMATS = ('qcow', 'qcow2', 'vhd', 'qed')
_SCRIPT_PREFIXES = ('iscsi', 'nbd', 'enbd', 'drbd')
_FORMAT_PREFIXES = ('raw', 'qcow', 'qcow2', 'vhd')
_IGNORED_PREFIXES = ('tapdisk', 'tap', 'tap2', 'aio', 'ioemu', 'file', 'phy')
_PREFIX = re.compile(r'^([a-z][a-z0-9]*):')


class DiskSpecError(ValueError):
    """A disk specification xl would refuse."""


def parse_disk_spec(spec):
    """The parts of one xl disk specification that say where its data is.

    Returns {target, format, vdev, script, backend, cdrom}, following libxlu_disk_l.l: keyword
    parameters, the positional order target, format, vdev, access, and the deprecated prefixes
    (phy:, file:, tap:aio:, raw:, qcow2:, drbd:...). `target=` takes the rest of the string.
    """
    text = str(spec)
    disk = {'target': None, 'format': None, 'vdev': None, 'script': None, 'backend': None,
            'cdrom': False}
    had_prefix = False
    positional = []
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos] in ' \t\n':
            pos += 1
        rest = text[pos:]
        if not rest:
            break
        if rest.startswith('target='):
            disk['target'] = rest[len('target='):]
            break
        match = _PREFIX.match(rest)
        # a known prefix is taken whatever follows it; an unknown one is an error when what follows
        # does not start with a letter or digit (xl's scanner rules), else it is part of a word
        known = match is not None and match.group(1) in _FORMAT_PREFIXES + _SCRIPT_PREFIXES + _IGNORED_PREFIXES
        if match and (known or not re.match(r'[a-z0-9]', rest[len(match.group(0)):len(match.group(0)) + 1])):
            prefix = match.group(1)
            if prefix in _FORMAT_PREFIXES:
                disk['format'] = prefix
            elif prefix in _SCRIPT_PREFIXES:
                disk['script'] = 'block-%s' % prefix
            elif prefix not in _IGNORED_PREFIXES:
                raise DiskSpecError('unknown deprecated disk prefix %r in %r' % (prefix + ':', text))
            had_prefix = True
            pos += len(match.group(0))
            continue
        end = text.find(',', pos)
        word = text[pos:] if end < 0 else text[pos:end]
        pos = len(text) if end < 0 else end + 1
        if '=' in word:
            key, value = word.split('=', 1)
            if key in ('format', 'vdev', 'script', 'backend'):
                disk[key] = value
            elif key == 'devtype':
                disk['cdrom'] = value == 'cdrom'
            continue
        if word == 'cdrom':
            disk['cdrom'] = True
            continue
        positional.append(word)
    for word in positional:
        if disk['target'] is None:
            disk['target'] = word
        elif not had_prefix and disk['format'] is None:
            disk['format'] = word
            had_prefix = True  # format given (possibly empty): the next word is the vdev
        elif disk['vdev'] is None:
            if ':' in word:
                word, kind = word.split(':', 1)
                disk['cdrom'] = disk['cdrom'] or kind == 'cdrom'
            disk['vdev'] = word
    disk['format'] = (disk['format'] or 'raw').lower()
    target = disk['target']
    if target and not target.startswith('/') and not disk['script']:
        disk['target'] = '/dev/' + target
    return disk


def unreadable_reason(disk):
    """Why the collection does not read this disk (None when it can)."""
    if disk['cdrom']:
        return 'a CD-ROM'
    if not disk['target']:
        return 'no target'
    if disk['backend'] and disk['backend'] not in ('0', 'Domain-0'):
        return 'served by the backend domain %s, not by dom0' % disk['backend']
    if disk['script']:
        return 'its target is resolved by the block script %s' % disk['script']
    if disk['format'] in _UNSUPPORTED_FORMATS:
        return 'format %s (only raw images and block devices are read)' % disk['format']
    if disk['format'] not in ('raw', 'empty'):
        return 'unknown format %s' % disk['format']
    return None


# ----------------------------------------------------------------------------------------- partitions

def _mbr_entries(sector):
    """The four (type, first LBA, sectors) of an MBR sector, or None without the 0x55AA signature."""
    if len(sector) < SECTOR or sector[510:512] != b'\x55\xaa':
        return None
    entries = []
    for index in range(4):
        raw = sector[446 + 16 * index:446 + 16 * (index + 1)]
        kind = bytearray(raw)[4]
        start, count = struct.unpack('<II', raw[8:16])
        entries.append((kind, start, count))
    return entries


def partitions(read_at):
    """[(name, byte offset, byte size)] of the partitions of a disk, read with read_at(offset, size).

    MBR primary and logical partitions (msdos1-4, msdos5...) and GPT (gpt1...). A disk without a
    partition table gives []."""
    mbr = _mbr_entries(read_at(0, SECTOR))
    if mbr is None:
        return []
    if any(kind == 0xee for kind, _start, _count in mbr):
        return _gpt_partitions(read_at)
    found = []
    for index, (kind, start, count) in enumerate(mbr):
        if kind == 0 or count == 0:
            continue
        if kind in (0x05, 0x0f, 0x85):
            found.extend(_logical_partitions(read_at, start))
            continue
        found.append(('msdos%d' % (index + 1), start * SECTOR, count * SECTOR))
    return found


def _logical_partitions(read_at, extended_start):
    found = []
    ebr = extended_start
    seen = set()
    number = 5
    while ebr not in seen and len(found) < 128:
        seen.add(ebr)
        entries = _mbr_entries(read_at(ebr * SECTOR, SECTOR))
        if entries is None:
            break
        kind, start, count = entries[0]
        if kind and count:
            found.append(('msdos%d' % number, (ebr + start) * SECTOR, count * SECTOR))
            number += 1
        next_kind, next_start, _count = entries[1]
        if next_kind not in (0x05, 0x0f, 0x85) or not next_start:
            break
        ebr = extended_start + next_start
    return found


def _gpt_partitions(read_at):
    header = read_at(SECTOR, SECTOR)
    if header[:8] != b'EFI PART':
        return []
    entries_lba, = struct.unpack('<Q', header[72:80])
    count, size = struct.unpack('<II', header[80:88])
    if size < 128 or count > 1024:
        return []
    table = read_at(entries_lba * SECTOR, count * size)
    found = []
    for index in range(count):
        entry = table[index * size:(index + 1) * size]
        if len(entry) < 128 or entry[:16] == b'\x00' * 16:
            continue
        first, last = struct.unpack('<QQ', entry[32:48])
        found.append(('gpt%d' % (index + 1), first * SECTOR, (last - first + 1) * SECTOR))
    return found


def filesystem_kind(read_at, offset):
    """'ext' for an ext2/3/4 superblock at offset, else the name of another filesystem seen, or None."""
    superblock = read_at(offset + 1024, 1024)
    if len(superblock) >= 58 and superblock[56:58] == b'\x53\xef':
        return 'ext'
    head = read_at(offset, 4)
    if head == b'XFSB':
        return 'xfs'
    if read_at(offset + 0x10040, 8) == b'_BHRfS_M':
        return 'btrfs'
    if read_at(offset + 4086, 10) in (b'SWAPSPACE2', b'SWAP-SPACE'):
        return 'swap'
    if read_at(offset + 3, 8) in (b'mkfs.fat', b'MSDOS5.0') or read_at(offset + 82, 5) == b'FAT32':
        return 'vfat'
    return None


# ----------------------------------------------------------------------------------------- GRUB menu

_LINUX = re.compile(r'^\s*(linux|linux16|multiboot|multiboot2)\s+(\S+)', re.M)


def menu_kernels(text):
    """The kernel paths a grub.cfg boots (`linux` lines), device prefixes like (hd0,msdos1) removed."""
    kernels = []
    for _cmd, path in _LINUX.findall(text or ''):
        path = path.strip('\'"')
        path = re.sub(r'^\([^)]*\)', '', path)
        if path and path not in kernels:
            kernels.append(path)
    return kernels


def debugfs_answer(stdout, stderr):
    """What one read-only `debugfs -c -R <request>` call said: ('ok', stdout), ('absent', message) or
    ('unreadable', message). debugfs exits 0 in every case; its messages are on stderr."""
    lines = [line.strip() for line in (stderr or '').splitlines()
             if line.strip() and not line.startswith('debugfs ') and 'catastrophic mode' not in line]
    for line in lines:
        if 'while trying to open' in line or 'Filesystem not open' in line:
            return 'unreadable', line.replace('debugfs: ', '', 1)
    for line in lines:
        if 'File not found by ext2_lookup' in line:
            return 'absent', line
    return 'ok', stdout


def debugfs_device(path, offset):
    """The device argument for debugfs: the path, with e2fsprogs' ?offset= for a partition inside it."""
    return path if not offset else '%s?offset=%d' % (path, offset)


# ----------------------------------------------------------------------------------- the role's plan

# The PV-GRUB2 images of Debian's grub-xen-host, by guest type.
PVGRUB_IMAGES = {'pv': 'grub-x86_64-xen.bin', 'pvh': 'grub-i386-xen_pvh.bin'}
# Settings that only a dom0-side boot uses; they go when the guest moves to PV-GRUB2.
DOM0_BOOT_KEYS = ('bootloader', 'bootloader_args', 'ramdisk')


def config_guest_type(keys):
    kind = str(keys.get('type') or '').lower()
    if kind in ('pv', 'pvh', 'hvm'):
        return kind
    return 'hvm' if str(keys.get('builder') or '').lower() == 'hvm' else 'pv'


def config_boot(keys):
    """How a configuration boots: pygrub, bootloader (another one), pvgrub, kernel or none."""
    loader = str(keys.get('bootloader') or '').rsplit('/', 1)[-1]
    kernel = str(keys.get('kernel') or '').rsplit('/', 1)[-1]
    if 'pygrub' in loader:
        return 'pygrub'
    if loader:
        return 'bootloader'
    if kernel.startswith('grub-') and 'xen' in kernel:
        return 'pvgrub'
    return 'kernel' if kernel else 'none'


def plan_conversions(guest_configs, guests=(), exclude=(), convert_kernel=False, image_dir='/usr/lib/grub-xen'):
    """Which guest configurations the pvgrub role converts, from xen_facts' guest_configs.

    guests: names (or paths) to consider, empty for every configuration; exclude: names or paths to
    leave. Returns {convert: [...], skipped: [...], unreadable: [...], problems: [...]}: problems are
    inputs the role refuses before it changes anything (a named guest that does not exist, or whose
    configuration cannot be read); unreadable are configurations that cannot be judged, reported and
    left alone.
    """
    plan = {'convert': [], 'skipped': [], 'unreadable': [], 'problems': []}
    by_name = {}
    entries = sorted((guest_configs or {}).items())
    for path, entry in entries:
        keys = (entry or {}).get('keys') or {}
        by_name.setdefault(str(keys.get('name') or ''), []).append(path)
    wanted = set(guests or ())
    for name in sorted(wanted):
        if name not in by_name and name not in (guest_configs or {}):
            plan['problems'].append(
                'the guest %s does not exist: no guest configuration read (%s) has name="%s" or is that path; '
                'check the name, or give xen_facts the directory of its configuration (config_paths)'
                % (name, ', '.join(sorted(n for n in by_name if n)) or 'none', name))
    for path, entry in entries:
        entry = entry or {}
        keys = entry.get('keys') or {}
        name = str(keys.get('name') or '')
        if wanted and name not in wanted and path not in wanted:
            continue
        if name in exclude or path in exclude:
            plan['skipped'].append({'path': path, 'name': name, 'why': 'excluded (xenguard_pvgrub_exclude)'})
            continue
        if entry.get('error'):
            if wanted:
                plan['problems'].append('the configuration of the guest %s cannot be read: %s; fix it or leave '
                                        'the guest out' % (name or path, entry['error']))
            else:
                plan['unreadable'].append({'path': path, 'name': name, 'why': entry['error']})
            continue
        kind = config_guest_type(keys)
        boot = config_boot(keys)
        if kind == 'hvm':
            why = 'an HVM guest (it boots from its firmware)'
        elif keys.get('driver_domain') not in (None, 0, '0') or 'vtpm' in str(keys.get('kernel') or ''):
            why = 'a driver domain or vTPM domain: its boot is the role that made it'
        elif boot == 'pvgrub':
            why = 'already boots through PV-GRUB2'
        elif boot == 'bootloader':
            why = 'boots through the dom0 bootloader %s, which the role does not replace' % keys.get('bootloader')
        elif boot == 'none':
            why = 'has neither a bootloader nor a kernel'
        elif boot == 'kernel' and not convert_kernel:
            why = 'boots a kernel from dom0 (set xenguard_pvgrub_convert_kernel to move it to PV-GRUB2)'
        else:
            why = None
        if why:
            plan['skipped'].append({'path': path, 'name': name, 'why': why})
            continue
        remove = [key for key in DOM0_BOOT_KEYS if key in keys]
        plan['convert'].append({'path': path, 'name': name, 'type': kind, 'boot': boot, 'remove': remove,
                                'kernel': image_dir.rstrip('/') + '/' + PVGRUB_IMAGES[kind]})
    return plan
