# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""guestdisk's disk readers on their own: xl disk specifications, the partition tables sfdisk writes (and the
odd ones it does not: loops, bad sizes), the superblocks the collection recognises, and debugfs's answers as
the real debugfs gives them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import struct
import subprocess

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import guestdisk

SBIN = os.pathsep.join(['/usr/sbin', '/sbin', os.environ.get('PATH', '')])


def _tool(name):
    return shutil.which(name, path=SBIN)


needs_sfdisk = pytest.mark.skipif(not _tool('sfdisk'), reason='needs sfdisk (fdisk)')
needs_e2fs = pytest.mark.skipif(not (_tool('mkfs.ext4') and _tool('debugfs')),
                                reason='needs mkfs.ext4 and debugfs (e2fsprogs)')


def spec(text, **expected):
    """parse_disk_spec(text), all of it: the defaults updated with expected."""
    disk = {'target': None, 'format': 'raw', 'vdev': None, 'script': None, 'backend': None, 'cdrom': False}
    disk.update(expected)
    assert guestdisk.parse_disk_spec(text) == disk, text


# ----------------------------------------------------------------------------------------- disk specs

def test_positional_specs():
    spec('/srv/g.img,raw,xvda,w', target='/srv/g.img', vdev='xvda')
    spec('/srv/g.img,QCOW2,xvda', target='/srv/g.img', format='qcow2', vdev='xvda')
    spec('/srv/g.img,,xvda', target='/srv/g.img', vdev='xvda')
    spec('/srv/g.img', target='/srv/g.img')
    spec('', format='raw')
    spec(',raw,xvda', target='', vdev='xvda')  # an empty target stays empty: "no target"
    spec('/srv/cd.iso,,hdc:cdrom', target='/srv/cd.iso', vdev='hdc', cdrom=True)
    spec('/srv/g.img,raw,xvda:disk,w', target='/srv/g.img', vdev='xvda')
    spec('/srv/cd.iso,raw,hdc,r,cdrom', target='/srv/cd.iso', vdev='hdc', cdrom=True)


def test_blanks_before_each_word_are_skipped():
    spec('  \t\n/srv/g.img, raw,\txvda', target='/srv/g.img', vdev='xvda')
    spec(' \t target=/srv/a b.img', target='/srv/a b.img')


def test_keyword_specs():
    spec('format=qcow2, vdev=xvdb, access=rw, target=/srv/g.qcow2', target='/srv/g.qcow2', format='qcow2',
         vdev='xvdb')
    spec('vdev=xvda, script=block-iscsi, target=iqn.2001-04.com.example:disk', vdev='xvda',
         script='block-iscsi', target='iqn.2001-04.com.example:disk')
    spec('backend=dd, vdev=xvdc, target=/dev/vg/x', backend='dd', vdev='xvdc', target='/dev/vg/x')
    spec('devtype=cdrom, vdev=hdc, target=/srv/cd.iso', vdev='hdc', cdrom=True, target='/srv/cd.iso')
    spec('devtype=disk, vdev=xvda, target=/srv/g.img', vdev='xvda', target='/srv/g.img')
    spec('cdrom, vdev=hdc, target=/srv/cd.iso', vdev='hdc', cdrom=True, target='/srv/cd.iso')
    # a keyword does not end the positional words; a value keeps its own "="
    spec('access=r, /srv/g.img, raw, backend=dom=1, xvda', target='/srv/g.img', backend='dom=1', vdev='xvda')
    # a CD-ROM said by devtype stays one whatever its vdev says
    spec('devtype=cdrom, /srv/cd.iso, raw, hdc', target='/srv/cd.iso', vdev='hdc', cdrom=True)
    spec('target=/srv/a,b.img', target='/srv/a,b.img')


@pytest.mark.parametrize('prefix,expected', [
    ('raw:', {}), ('qcow:', {'format': 'qcow'}), ('qcow2:', {'format': 'qcow2'}), ('vhd:', {'format': 'vhd'}),
    ('tapdisk:', {}), ('tap:', {}), ('tap2:', {}), ('aio:', {}), ('ioemu:', {}), ('file:', {}), ('phy:', {}),
    ('tap:aio:', {}), ('tap2:vhd:', {'format': 'vhd'}),
])
def test_deprecated_prefixes(prefix, expected):
    """A prefix says the format or nothing; after it, the next positional word is the vdev, not the format."""
    spec(prefix + '/srv/g.img,xvda,w', target='/srv/g.img', vdev='xvda', **expected)


@pytest.mark.parametrize('prefix', ['iscsi', 'nbd', 'enbd', 'drbd'])
def test_script_prefixes_keep_the_target_as_written(prefix):
    spec(prefix + ':res0,xvdb,w', script='block-' + prefix, target='res0', vdev='xvdb')


def test_relative_target_is_under_dev():
    spec('vg/g,raw,xvda', target='/dev/vg/g', vdev='xvda')
    spec('XenVG/g1,raw,xvda', target='/dev/XenVG/g1', vdev='xvda')
    spec('phy:sdb1,xvda', target='/dev/sdb1', vdev='xvda')


def test_unknown_prefix():
    with pytest.raises(guestdisk.DiskSpecError) as err:
        guestdisk.parse_disk_spec('bogus:/srv/g.img,xvda,w')
    assert str(err.value) == "unknown deprecated disk prefix 'bogus:' in 'bogus:/srv/g.img,xvda,w'"
    with pytest.raises(guestdisk.DiskSpecError, match="'x1:'"):
        guestdisk.parse_disk_spec('x1:,xvda')
    # followed by a letter or digit it is no prefix but part of the word (a file name with a colon)
    spec('host:disk1,raw,xvda', target='/dev/host:disk1', vdev='xvda')
    spec('/srv/img:9,raw,xvda', target='/srv/img:9', vdev='xvda')


def test_unreadable_reasons():
    def why(text):
        return guestdisk.unreadable_reason(guestdisk.parse_disk_spec(text))

    assert why('/srv/g.img,raw,xvda') is None
    assert why('/srv/g.img,empty,xvda') is None
    assert why('backend=0, vdev=xvda, target=/srv/g.img') is None
    assert why('backend=Domain-0, vdev=xvda, target=/srv/g.img') is None
    assert why('/srv/cd.iso,raw,hdc:cdrom') == 'a CD-ROM'
    assert why(',raw,hdc:cdrom') == 'a CD-ROM'
    assert why(',raw,xvda') == 'no target'
    assert why('backend=dd, script=block-drbd, vdev=xvda, target=r') == 'served by the backend domain dd, not by dom0'
    assert why('drbd:r,xvda') == 'its target is resolved by the block script block-drbd'
    for fmt in ('qcow', 'qcow2', 'vhd', 'qed'):
        assert why('script=block-x, /srv/g,%s,xvda' % fmt) == 'its target is resolved by the block script block-x'
        assert why('/srv/g,%s,xvda' % fmt) == 'format %s (only raw images and block devices are read)' % fmt
    assert why('/srv/g,vmdk,xvda') == 'unknown format vmdk'


# ----------------------------------------------------------------------------------------- partitions

def reader(data):
    data = bytes(data)

    def read_at(offset, size):
        return data[offset:offset + size]
    return read_at


def mbr(*entries):
    """A boot sector with up to four (type, first LBA, sectors) entries and the 0x55AA signature."""
    sector = bytearray(512)
    for index, (kind, start, count) in enumerate(entries):
        sector[446 + 16 * index + 4] = kind
        sector[446 + 16 * index + 8:446 + 16 * index + 16] = struct.pack('<II', start, count)
    sector[510:512] = b'\x55\xaa'
    return sector


def disk(sectors, size=None):
    """A disk image from {LBA: sector bytes}."""
    image = bytearray(512 * (size or max(sectors) + 2))
    for lba, data in sectors.items():
        image[lba * 512:lba * 512 + len(data)] = data
    return image


def _sfdisk(tmp_path, layout):
    image = tmp_path / 'disk.img'
    subprocess.run(['truncate', '-s', '12M', str(image)], check=True)
    subprocess.run([_tool('sfdisk'), '-q', str(image)], input=layout, text=True, check=True)
    listed = json.loads(subprocess.run([_tool('sfdisk'), '-J', str(image)], stdout=subprocess.PIPE, check=True,
                                       text=True).stdout)['partitiontable']

    def read_at(offset, size):
        with open(str(image), 'rb') as handle:
            handle.seek(offset)
            return handle.read(size)
    return read_at, listed


@needs_sfdisk
def test_mbr_with_logical_partitions_as_sfdisk_writes_it(tmp_path):
    read_at, listed = _sfdisk(tmp_path, 'label: dos\nstart=2048, size=4096, type=83\nstart=8192, type=5\n'
                                        'start=10240, size=2048, type=83\nstart=14336, size=2048, type=82\n'
                                        'start=18432, size=1024, type=7\n')
    expected = [('msdos' + p['node'][len(str(tmp_path / 'disk.img')):], p['start'] * 512, p['size'] * 512)
                for p in listed['partitions'] if p['type'] != '5']
    assert expected == [('msdos1', 2048 * 512, 4096 * 512), ('msdos5', 10240 * 512, 2048 * 512),
                        ('msdos6', 14336 * 512, 2048 * 512), ('msdos7', 18432 * 512, 1024 * 512)]
    assert guestdisk.partitions(read_at) == expected


@needs_sfdisk
def test_gpt_as_sfdisk_writes_it(tmp_path):
    """Entry 2 left empty: the third entry is gpt3, as the kernel names it."""
    read_at, listed = _sfdisk(tmp_path, 'label: gpt\nstart=2048, size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n'
                                        '3: start=8192, size=2048, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F\n')
    expected = [('gpt' + p['node'][len(str(tmp_path / 'disk.img')):], p['start'] * 512, p['size'] * 512)
                for p in listed['partitions']]
    assert expected == [('gpt1', 2048 * 512, 4096 * 512), ('gpt3', 8192 * 512, 2048 * 512)]
    assert guestdisk.partitions(read_at) == expected


def test_no_partition_table():
    assert guestdisk.partitions(reader(b'')) == []
    assert guestdisk.partitions(reader(b'\x00' * 4096)) == []
    # the signature at the end of a sector cut short is no table
    assert guestdisk.partitions(reader(mbr((0x83, 1, 8))[:511])) == []
    assert guestdisk.partitions(reader(mbr((0x83, 1, 8))[:512])) == [('msdos1', 512, 8 * 512)]
    sector = mbr((0x83, 1, 8))
    sector[511] = 0
    assert guestdisk.partitions(reader(sector)) == []


def test_primary_slots_keep_their_numbers():
    """An empty slot (no type, or no sectors) is skipped, the others keep the number of their slot."""
    image = mbr((0, 0, 0), (0x83, 2048, 100), (0x83, 4096, 0), (0x0c, 8192, 300))
    image[446 + 4] = 0
    assert guestdisk.partitions(reader(image)) == [('msdos2', 2048 * 512, 100 * 512), ('msdos4', 8192 * 512, 300 * 512)]
    assert guestdisk.partitions(reader(mbr((0, 2048, 100), (0x83, 4096, 10)))) == [('msdos2', 4096 * 512, 10 * 512)]


@pytest.mark.parametrize('extended', [0x05, 0x0f, 0x85])
def test_logical_partition_chain(extended):
    """Each EBR: its partition relative to itself, the next EBR relative to the extended partition's start."""
    sectors = {0: mbr((0x83, 2048, 100), (extended, 4000, 9000)),
               4000: mbr((0x83, 10, 20), (extended, 100, 50)),
               4100: mbr((0, 0, 0), (extended, 300, 50)),  # EBRs with no partition: no number taken
               4300: mbr((0, 1, 5), (extended, 400, 50)),
               4400: mbr((0x83, 1, 0), (extended, 500, 50)),
               4500: mbr((0x82, 5, 7))}
    assert guestdisk.partitions(reader(disk(sectors))) == [
        ('msdos1', 2048 * 512, 100 * 512), ('msdos5', 4010 * 512, 20 * 512), ('msdos6', 4505 * 512, 7 * 512)]


def test_primary_after_the_extended_partition():
    sectors = {0: mbr((0x05, 100, 900), (0x83, 1000, 8)), 100: mbr((0x83, 1, 2))}
    assert guestdisk.partitions(reader(disk(sectors))) == [('msdos5', 101 * 512, 2 * 512), ('msdos2', 1000 * 512, 8 * 512)]


def test_logical_chain_ends():
    # a link that is no extended entry, or points at the start again, ends the chain
    sectors = {0: mbr((0x05, 100, 900)), 100: mbr((0x83, 1, 2), (0x83, 50, 10)), 150: mbr((0x83, 1, 2))}
    assert guestdisk.partitions(reader(disk(sectors))) == [('msdos5', 101 * 512, 2 * 512)]
    sectors = {0: mbr((0x05, 100, 900)), 100: mbr((0x83, 1, 2), (0x05, 0, 10))}
    assert guestdisk.partitions(reader(disk(sectors))) == [('msdos5', 101 * 512, 2 * 512)]
    # a loop is followed once
    sectors = {0: mbr((0x05, 100, 900)), 100: mbr((0x83, 1, 2), (0x05, 50, 10)), 150: mbr((0x83, 1, 3), (0x05, 50, 1))}
    assert guestdisk.partitions(reader(disk(sectors))) == [('msdos5', 101 * 512, 2 * 512), ('msdos6', 151 * 512, 3 * 512)]
    # an EBR without its signature ends the chain
    sectors = {0: mbr((0x05, 100, 900)), 100: mbr((0x83, 1, 2), (0x05, 50, 10)), 150: mbr((0x83, 1, 3))[:510]}
    assert guestdisk.partitions(reader(disk(sectors))) == [('msdos5', 101 * 512, 2 * 512)]
    # an extended partition with no EBR at all holds nothing
    assert guestdisk.partitions(reader(disk({0: mbr((0x05, 100, 900))}))) == []


def test_logical_partitions_stop_at_128():
    sectors = {0: mbr((0x05, 1, 100000))}
    for n in range(200):
        sectors[1 + 2 * n] = mbr((0x83, 1, 1), (0x05, 2 * n + 2, 2))
    found = guestdisk.partitions(reader(disk(sectors)))
    assert len(found) == 128
    assert found[0] == ('msdos5', 2 * 512, 512) and found[-1] == ('msdos132', 256 * 512, 512)


def gpt(entries, count=128, size=128, lba=2):
    """A protective MBR, a GPT header and its entry array: entries are (type GUID bytes, first, last) or None."""
    header = bytearray(512)
    header[:8] = b'EFI PART'
    header[72:80] = struct.pack('<Q', lba)
    header[80:88] = struct.pack('<II', count, size)
    table = bytearray(count * size)
    for index, entry in enumerate(entries):
        if entry:
            kind, first, last = entry
            table[index * size:index * size + 16] = kind
            table[index * size + 32:index * size + 48] = struct.pack('<QQ', first, last)
    return disk({0: mbr((0xee, 1, 0xffffffff)), 1: header, lba: table}, size=lba + 1 + len(table) // 512)


LINUX_GUID = bytes(bytearray(range(1, 17)))


def test_gpt_tables():
    assert guestdisk.partitions(reader(gpt([(LINUX_GUID, 34, 133), None, (LINUX_GUID, 200, 200)]))) == [
        ('gpt1', 34 * 512, 100 * 512), ('gpt3', 200 * 512, 512)]
    # the protective entry in any slot says GPT
    image = gpt([(LINUX_GUID, 34, 133)])
    image[0:512] = mbr((0x83, 1, 2), (0xee, 1, 0xffffffff))
    assert guestdisk.partitions(reader(image)) == [('gpt1', 34 * 512, 100 * 512)]
    # larger entries, at another LBA
    assert guestdisk.partitions(reader(gpt([None, (LINUX_GUID, 64, 127)], count=4, size=256, lba=40))) == [
        ('gpt2', 64 * 512, 64 * 512)]
    # the header's limits: entries of 128 bytes or more, at most 1024 of them
    assert guestdisk.partitions(reader(gpt([(LINUX_GUID, 34, 133)], count=1024))) == [('gpt1', 34 * 512, 100 * 512)]
    assert guestdisk.partitions(reader(gpt([(LINUX_GUID, 34, 133)], count=1025))) == []
    assert guestdisk.partitions(reader(gpt([(LINUX_GUID, 34, 133)], count=4, size=127))) == []


def test_gpt_damaged():
    image = gpt([(LINUX_GUID, 34, 133)])
    image[512:520] = b'EFI PARX'
    assert guestdisk.partitions(reader(image)) == []
    # an entry array cut short by the end of the disk: the whole entries only
    image = gpt([(LINUX_GUID, 34, 133), (LINUX_GUID, 200, 200)], count=4)
    assert guestdisk.partitions(reader(image[:2 * 512 + 128 + 127])) == [('gpt1', 34 * 512, 100 * 512)]
    assert guestdisk.partitions(reader(image[:2 * 512 + 256])) == [('gpt1', 34 * 512, 100 * 512),
                                                                   ('gpt2', 200 * 512, 512)]


# ----------------------------------------------------------------------------------------- filesystems

def at(offset, *pieces):
    """An image with (position, bytes) pieces placed offset bytes into it."""
    image = bytearray(offset + 0x10100)
    for position, data in pieces:
        image[offset + position:offset + position + len(data)] = data
    return reader(image)


@pytest.mark.parametrize('offset', [0, 1048576])
def test_filesystem_signatures(offset):
    kind = guestdisk.filesystem_kind
    assert kind(at(offset, (1024 + 56, b'\x53\xef')), offset) == 'ext'
    assert kind(at(offset, (0, b'XFSB')), offset) == 'xfs'
    assert kind(at(offset, (0x10040, b'_BHRfS_M')), offset) == 'btrfs'
    assert kind(at(offset, (4086, b'SWAPSPACE2')), offset) == 'swap'
    assert kind(at(offset, (4086, b'SWAP-SPACE')), offset) == 'swap'
    assert kind(at(offset, (3, b'mkfs.fat')), offset) == 'vfat'
    assert kind(at(offset, (3, b'MSDOS5.0')), offset) == 'vfat'
    assert kind(at(offset, (82, b'FAT32   ')), offset) == 'vfat'
    assert kind(at(offset), offset) is None
    # the ext magic is looked for in the superblock, not elsewhere
    assert kind(at(offset, (56, b'\x53\xef')), offset) is None
    # a disk that ends right after the magic
    assert kind(reader(bytearray(1024 + 56) + b'\x53\xef'), 0) == 'ext'


@needs_e2fs
def test_filesystems_as_their_tools_write_them(tmp_path):
    image = tmp_path / 'ext.img'
    subprocess.run([_tool('mkfs.ext4'), '-q', '-F', str(image), '4M'], check=True)
    assert guestdisk.filesystem_kind(reader(image.read_bytes()), 0) == 'ext'
    if _tool('mkswap'):
        swap = tmp_path / 'swap.img'
        subprocess.run(['truncate', '-s', '1M', str(swap)], check=True)
        subprocess.run([_tool('mkswap'), '-q', str(swap)], check=True, stdout=subprocess.DEVNULL)
        assert guestdisk.filesystem_kind(reader(swap.read_bytes()), 0) == 'swap'


# ----------------------------------------------------------------------------------------- debugfs

def test_debugfs_answers():
    """What debugfs 1.47.0 printed on stderr (exit 0 every time) for `-c -R 'cat PATH'`."""
    banner = 'debugfs 1.47.0 (5-Feb-2023)\n'
    assert guestdisk.debugfs_answer('set timeout=1\n', banner) == ('ok', 'set timeout=1\n')
    assert guestdisk.debugfs_answer('x', '') == ('ok', 'x')
    assert guestdisk.debugfs_answer('x', None) == ('ok', 'x')
    assert guestdisk.debugfs_answer('', banner + '/nope: File not found by ext2_lookup \n') == (
        'absent', '/nope: File not found by ext2_lookup')
    said = banner + 'debugfs: Bad magic number in super-block while trying to open z.img\ncat: Filesystem not open\n'
    assert guestdisk.debugfs_answer('', said) == (
        'unreadable', 'Bad magic number in super-block while trying to open z.img')
    assert guestdisk.debugfs_answer('', banner + 'cat: Filesystem not open\n') == (
        'unreadable', 'cat: Filesystem not open')
    # only debugfs's own prefix goes, not the same words in the device's name
    assert guestdisk.debugfs_answer('', 'debugfs: No such file or directory while trying to open /srv/debugfs: 1\n') == (
        'unreadable', 'No such file or directory while trying to open /srv/debugfs: 1')
    # a filesystem that cannot be opened is said so before a file it does not find
    assert guestdisk.debugfs_answer('', '/x: File not found by ext2_lookup\ncat: Filesystem not open\n')[0] == 'unreadable'


def test_debugfs_catastrophic_mode_line_is_no_error():
    """Some debugfs versions print "<device>: catastrophic mode - ..." with -c: the device's name is the guest
    image's, whatever words it has."""
    device = '/srv/while trying to open, File not found by ext2_lookup.img'
    said = '%s: catastrophic mode - not reading inode or group bitmaps\n' % device
    assert guestdisk.debugfs_answer('menu', said) == ('ok', 'menu')


@needs_e2fs
def test_debugfs_answers_of_the_real_debugfs(tmp_path):
    root = tmp_path / 'root'
    (root / 'boot' / 'grub').mkdir(parents=True)
    (root / 'boot' / 'grub' / 'grub.cfg').write_text('set timeout=1\n')
    image = tmp_path / 'fs.img'
    subprocess.run([_tool('mkfs.ext4'), '-q', '-F', '-d', str(root), str(image), '4M'], check=True)
    (tmp_path / 'zero.img').write_bytes(b'\x00' * 65536)

    def ask(request, device):
        done = subprocess.run([_tool('debugfs'), '-c', '-R', request, device], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, check=False)
        return guestdisk.debugfs_answer(done.stdout, done.stderr)

    assert ask('cat /boot/grub/grub.cfg', str(image)) == ('ok', 'set timeout=1\n')
    state, said = ask('cat /grub/grub.cfg', str(image))
    assert (state, said) == ('absent', '/grub/grub.cfg: File not found by ext2_lookup')
    state, said = ask('cat /boot/grub/grub.cfg', str(tmp_path / 'zero.img'))
    assert state == 'unreadable' and said.startswith('Bad magic number in super-block while trying to open ')
    state, said = ask('cat /boot/grub/grub.cfg', str(tmp_path / 'none.img'))
    assert state == 'unreadable' and said.startswith('No such file or directory while trying to open ')


def test_debugfs_device():
    assert guestdisk.debugfs_device('/dev/vg/g', 0) == '/dev/vg/g'
    assert guestdisk.debugfs_device('/srv/g.img', 1048576) == '/srv/g.img?offset=1048576'
