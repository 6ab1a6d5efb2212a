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
  it does not even read the bitmaps), one file per call, as `cat` and `stat` requests; a kernel is
  copied with `dump` into a private temporary directory of dom0 to read its first bytes (its format:
  PV-GRUB2 cannot load every kernel), then deleted. Only ext2/3/4 filesystems are read; a partition with
  another filesystem is named in the reason.
- A running guest's disk can be read this way without disturbing the guest (nothing is written and
  nothing is locked); what is read may be a moment old, and the changed configuration only applies the
  next time the guest is created.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re
import struct

from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import domain_type, is_vtpm_stub, xl_true

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
    positional = []
    pos = 0
    while True:
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
        if match and (known or not re.match(r'[a-z0-9]', rest[match.end():])):
            prefix = match.group(1)
            if prefix in _FORMAT_PREFIXES:
                disk['format'] = prefix
            elif prefix in _SCRIPT_PREFIXES:
                disk['script'] = 'block-%s' % prefix
            elif prefix not in _IGNORED_PREFIXES:
                raise DiskSpecError('unknown deprecated disk prefix %r in %r' % (prefix + ':', text))
            # a prefix gives the format (raw when it names none): no positional word is the format then
            disk['format'] = disk['format'] or ''
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
        elif disk['format'] is None:
            disk['format'] = word  # given (possibly empty, not None): the next word is the vdev
        elif disk['vdev'] is None:
            word, _colon, kind = word.partition(':')
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
    if len(sector) < SECTOR or sector[510:] != b'\x55\xaa':
        return None
    entries = []
    for index in range(4):
        raw = sector[446 + 16 * index:]  # the 16 bytes of an entry, and what follows
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
            return found
        kind, start, count = entries[0]
        if kind and count:
            found.append(('msdos%d' % number, (ebr + start) * SECTOR, count * SECTOR))
            number += 1
        next_kind, next_start, _count = entries[1]
        if next_kind not in (0x05, 0x0f, 0x85) or not next_start:
            return found
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
        entry = table[index * size:]  # its size bytes (of which the first 128 are read), and what follows
        if len(entry) < 128 or entry[:16] == b'\x00' * 16:
            continue
        first, last = struct.unpack('<QQ', entry[32:48])
        found.append(('gpt%d' % (index + 1), first * SECTOR, (last - first + 1) * SECTOR))
    return found


def filesystem_kind(read_at, offset):
    """'ext' for an ext2/3/4 superblock at offset, else the name of another filesystem seen, or None."""
    if read_at(offset + 1024 + 56, 2) == b'\x53\xef':  # s_magic of the superblock at 1024
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
    if not text:
        return []
    kernels = []
    for _cmd, path in _LINUX.findall(text):
        path = path.strip('\'"')
        path = re.sub(r'^\([^)]*\)', '', path)
        if path and path not in kernels:
            kernels.append(path)
    return kernels


_ENTRY = re.compile(r'^(menuentry|submenu)\s+(.*)\{\s*$')
_WORD = re.compile(r"""'([^']*)'|"([^"]*)"|(\S+)""")
_SET_DEFAULT = re.compile(r"""^\s*set\s+default=(?:"([^"]*)"|'([^']*)'|(\S*))""", re.M)


def _entry_head(kind, rest):
    """A menu node from the words after menuentry/submenu: its title (the first word) and id."""
    words = [next(w for w in m.groups() if w is not None) for m in _WORD.finditer(rest)]
    ident = None
    for i, word in enumerate(words[:-1]):
        if word in ('$menuentry_id_option', '--id'):
            ident = words[i + 1]
    return {'kind': kind, 'title': words[0] if words else '', 'id': ident, 'kernel': None, 'entries': []}


def menu_tree(text):
    """The entries of a grub.cfg in menu order: [{kind: menuentry|submenu, title, id, kernel, entries}];
    a menuentry's kernel is its first linux/multiboot line's path, a submenu's entries are its own."""
    if not text:
        return []
    entries = []
    stack = []  # the open blocks: menu nodes, {} for the others
    for line in text.splitlines():
        stripped = line.strip()
        head = _ENTRY.match(stripped)
        if head:
            node = _entry_head(head.group(1), head.group(2))
            next((f['entries'] for f in reversed(stack) if f.get('kind') == 'submenu'), entries).append(node)
            stack.append(node)
        elif stripped.endswith('{'):
            stack.append({})  # function name { ... }
        elif stripped.startswith('}'):
            if stack:  # a stray } closes nothing
                stack.pop()
        else:
            found = _LINUX.match(line)
            entry = next((f for f in reversed(stack) if f.get('kind') == 'menuentry'), None)
            if found and entry is not None and entry['kernel'] is None:
                entry['kernel'] = re.sub(r'^\([^)]*\)', '', found.group(2).strip('\'"'))
    return entries


def default_entry(text):
    """(entry, how) of the menu entry GRUB boots when nobody chooses: GRUB's `default` (a number, a title or
    an id, ">" into a submenu), else the first entry. entry is None when the menu has none or the default
    cannot be told from the file (how says why)."""
    entries = menu_tree(text)
    values = [next(v for v in m.groups() if v is not None) for m in _SET_DEFAULT.finditer(text)] if text else []
    values = [v for v in values if 'next_entry' not in v]  # grub-reboot's one-shot choice, not the default
    value = values[-1] if values else '0'
    if '$' in value:
        # GRUB_DEFAULT=saved: the entry is in grubenv, set by grub-set-default; empty, GRUB boots the first
        value, how = '0', 'the first entry (the default is GRUB\'s saved entry, %s, taken as the first)' % value
    else:
        how = 'the default entry (set default="%s")' % value if values else 'the first entry (no default set)'
    level = entries
    for part in (value or '0').split('>'):
        if part.isdigit():
            node = level[int(part)] if int(part) < len(level) else None
        else:
            node = next((e for e in level if part in (e['id'], e['title'])), None)
        if node is None:
            return None, 'the default "%s" names no entry of the menu' % value
        level = node['entries']
    if node['kind'] != 'menuentry':
        return None, 'the default "%s" is a submenu' % value
    return node, how


def debugfs_answer(stdout, stderr):
    """What one read-only `debugfs -c -R <request>` call said: ('ok', stdout), ('absent', message) or
    ('unreadable', message). debugfs exits 0 in every case; its messages are on stderr."""
    # the version banner and blank lines hold none of the phrases looked for; the "<device>: catastrophic mode
    # - not reading inode or group bitmaps" line some versions print names the device, whose path may hold one
    lines = [line.strip() for line in (stderr.splitlines() if stderr else []) if 'catastrophic mode' not in line]
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


# ------------------------------------------------------------------------------------ kernel format

# How much of a kernel file kernel_format needs: a bzImage's payload starts after its setup sectors
# (at most 255 + 1 sectors) plus payload_offset, tens of KiB into the file; the first 1 MiB holds it.
KERNEL_HEAD_KIB = 1024
KERNEL_HEAD_BYTES = KERNEL_HEAD_KIB * 1024

# Compressions by their leading bytes (the formats' own magic numbers).
_MAGICS = (
    ('gzip', b'\x1f\x8b'),
    ('xz', b'\xfd7zXZ\x00'),
    ('lzop', b'\x89LZO\x00\r\n\x1a\n'),
    ('zstd', b'\x28\xb5\x2f\xfd'),
    ('lz4', b'\x02\x21\x4c\x18'),
    ('bzip2', b'BZh'),
    ('lzma', b'\x5d\x00\x00'),
)
_LONGEST_MAGIC = max(len(magic) for _name, magic in _MAGICS)
# What GRUB's file filters decompress (gzio, xzio, lzopio); the Xen loader reads every kernel through them.
_GRUB_DECOMPRESSES = ('gzip', 'xz', 'lzop')

# The kernel formats PV-GRUB2 (GRUB 2.12's Xen loader, grub-core/loader/i386/xen_file.c) loads: an ELF
# kernel, a whole file GRUB decompresses (an ELF is assumed inside: telling would mean decompressing
# it, which a look at the head cannot do), and a bzImage whose payload GRUB decompresses to the ELF it
# needs. A bzImage with a zstd, lz4, bzip2 or lzma payload (Debian 13's kernels are zstd) fails there
# with "not xen image".
PVGRUB_LOADS = frozenset(('elf',) + _GRUB_DECOMPRESSES + tuple('bzImage/' + name for name in _GRUB_DECOMPRESSES))


def _compression(data):
    return next((name for name, magic in _MAGICS if data.startswith(magic)), 'unknown')


def kernel_format(head):
    """The format of a kernel file from its first bytes (KERNEL_HEAD_BYTES of them, or the whole file).

    'elf'; 'gzip', 'xz', 'lzop', 'zstd', ... for a compressed file; 'bzImage/<compression>' for a Linux
    bzImage by the compression of its payload ('bzImage/unknown' for another payload, 'bzImage/old' for
    a boot protocol before 2.08, which has no payload fields, 'bzImage/beyond-head' when the payload
    starts after the bytes given); else 'unknown'. Field offsets: the x86 boot protocol's setup header
    (setup_sects at 0x1f1, "HdrS" at 0x202, version at 0x206, payload_offset and payload_length at 0x248).
    """
    if not head:
        return 'unknown'
    head = bytes(head)
    if head.startswith(b'\x7fELF'):
        return 'elf'
    if len(head) >= 0x250 and head[0x202:0x206] == b'HdrS':
        version, = struct.unpack('<H', head[0x206:0x208])
        if version < 0x0208:
            return 'bzImage/old'
        setup_sects = bytearray(head)[0x1f1] or 4
        payload_offset, payload_length = struct.unpack('<II', head[0x248:0x250])
        start = (setup_sects + 1) * SECTOR + payload_offset
        payload = head[start:start + min(payload_length, _LONGEST_MAGIC)]
        if len(payload) < min(payload_length, _LONGEST_MAGIC):
            return 'bzImage/beyond-head'
        return 'bzImage/' + _compression(payload)
    return _compression(head)


def pvgrub_refusal(fmt):
    """None when PV-GRUB2 loads a kernel of this format (kernel_format), else why not, in words."""
    if fmt in PVGRUB_LOADS:
        return None
    only = 'PV-GRUB2 decompresses gzip, xz and lzop only (GRUB\'s Xen loader)'
    if fmt == 'bzImage/old':
        return 'bzImage of boot protocol older than 2.08: it has no payload field, GRUB\'s Xen loader cannot load it'
    if fmt == 'bzImage/beyond-head':
        return ('bzImage whose payload starts after the first %d KiB read: not checked'
                % KERNEL_HEAD_KIB)
    if fmt == 'bzImage/unknown':
        return 'bzImage with a payload in no known compression: %s' % only
    if fmt.startswith('bzImage/'):
        return '%s-compressed bzImage: %s' % (fmt.partition('/')[2], only)
    if fmt == 'unknown':
        return 'neither an ELF kernel, a bzImage nor a gzip, xz or lzop file'
    return '%s-compressed file: %s' % (fmt, only)


def debugfs_symlink(stat_text):
    """The target of a symbolic link from `debugfs -R "stat PATH"` output ('' when it is another kind of
    file, None for a link whose target debugfs does not print: a slow link)."""
    if not stat_text or not re.search(r'Type:\s+symlink', stat_text):
        return ''
    match = re.search(r'^\s*Fast link dest:\s*"(.*)"\s*$', stat_text, re.M)
    return match.group(1) if match else None


# ----------------------------------------------------------------------------------- the role's plan

# The PV-GRUB2 images of Debian's grub-xen-host, by guest type.
PVGRUB_IMAGES = {'pv': 'grub-x86_64-xen.bin', 'pvh': 'grub-i386-xen_pvh.bin'}
# Settings that only a dom0-side boot uses; they go when the guest moves to PV-GRUB2.
DOM0_BOOT_KEYS = ('bootloader', 'bootloader_args', 'ramdisk')


INVALID_TYPE = ('xl refuses its type=%s / builder=%s (xl_parse.c: type is hvm, pv or pvh, builder hvm or generic, '
                'and the two agree); xl create -n shows it')


def config_guest_type(keys):
    """pv, pvh or hvm as xl reads type= and builder= (xlcfg.domain_type); invalid where xl refuses them."""
    return domain_type(keys) or 'invalid'


def config_boot(keys):
    """How a configuration boots: pygrub, bootloader (another one), pvgrub, kernel or none."""
    loader = posixpath.basename(str(keys.get('bootloader') or ''))
    kernel = posixpath.basename(str(keys.get('kernel') or ''))
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
        elif kind == 'invalid':
            why = INVALID_TYPE % (keys.get('type'), keys.get('builder'))
        elif xl_true(keys.get('driver_domain')) or is_vtpm_stub(keys):
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
            remove = [key for key in DOM0_BOOT_KEYS if key in keys]
            plan['convert'].append({'path': path, 'name': name, 'type': kind, 'boot': boot, 'remove': remove,
                                    'kernel': image_dir.rstrip('/') + '/' + PVGRUB_IMAGES[kind]})
            continue
        plan['skipped'].append({'path': path, 'name': name, 'why': why})
    return plan
