# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""guestdisk.kernel_format and pvgrub_refusal on heads built the way real kernel files look (kernel_heads: a
bzImage setup header at the real field offsets with a really compressed payload, an ELF header, a gzip stream)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import gzip

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import guestdisk
from ansible_collections.xenguard.hardening.tests.unit.kernel_heads import TEXT, bzimage, compressed, elf


@pytest.mark.parametrize('kind', ['gzip', 'xz', 'lzop'])
def test_bzimage_payloads_grub_decompresses_are_loadable(kind):
    fmt = guestdisk.kernel_format(bzimage(compressed(kind)))
    assert fmt == 'bzImage/' + kind
    assert guestdisk.pvgrub_refusal(fmt) is None


@pytest.mark.parametrize('kind', ['zstd', 'lz4', 'bzip2', 'lzma'])
def test_bzimage_payloads_grub_does_not_decompress_are_refused(kind):
    fmt = guestdisk.kernel_format(bzimage(compressed(kind)))
    assert fmt == 'bzImage/' + kind
    assert guestdisk.pvgrub_refusal(fmt) == ('%s-compressed bzImage: PV-GRUB2 decompresses gzip, xz and lzop only '
                                             "(GRUB's Xen loader)" % kind)


def test_debian13_zstd_kernel_is_refused_debian12_xz_is_loaded():
    """Debian 12's kernels are xz bzImages (PV-GRUB2 boots them), Debian 13's are zstd (\"not xen image\")."""
    assert guestdisk.pvgrub_refusal(guestdisk.kernel_format(bzimage(compressed('xz'), setup_sects=39))) is None
    zstd = guestdisk.kernel_format(bzimage(compressed('zstd'), setup_sects=39, payload_offset=0x4e0))
    assert zstd == 'bzImage/zstd'
    assert guestdisk.pvgrub_refusal(zstd).startswith('zstd-compressed bzImage')


def test_setup_sects_zero_means_four():
    head = bzimage(compressed('xz'), setup_sects=0)
    assert guestdisk.kernel_format(head) == 'bzImage/xz'
    # read as 0 setup sectors the payload would be looked for 2 KiB too early
    assert head[512 + 0x3b5:512 + 0x3b5 + 6] != b'\xfd7zXZ\x00'


def test_unknown_payload_and_old_protocol():
    assert guestdisk.kernel_format(bzimage(TEXT)) == 'bzImage/unknown'
    assert 'no known compression' in guestdisk.pvgrub_refusal('bzImage/unknown')
    old = bzimage(compressed('gzip'), version=0x0207)
    assert guestdisk.kernel_format(old) == 'bzImage/old'
    assert 'older than 2.08' in guestdisk.pvgrub_refusal('bzImage/old')


def test_payload_past_the_head_is_not_taken_as_loadable():
    head = bzimage(compressed('xz'), payload_offset=2 * 1024 * 1024)[:guestdisk.KERNEL_HEAD_BYTES]
    assert guestdisk.kernel_format(head) == 'bzImage/beyond-head'
    assert 'not checked' in guestdisk.pvgrub_refusal('bzImage/beyond-head')


def test_real_offsets_need_the_first_tens_of_kib():
    head = bzimage(compressed('xz'), setup_sects=63, payload_offset=0x9000)
    assert len(head) > 64 * 1024 and len(head) < guestdisk.KERNEL_HEAD_BYTES
    assert guestdisk.kernel_format(head) == 'bzImage/xz'
    assert guestdisk.kernel_format(head[:0x9000]) == 'bzImage/beyond-head'


def test_elf_and_whole_file_compression():
    assert guestdisk.kernel_format(elf()) == 'elf'
    assert guestdisk.kernel_format(gzip.compress(elf())) == 'gzip'
    assert guestdisk.kernel_format(compressed('xz', elf())) == 'xz'
    for fmt in ('elf', 'gzip', 'xz', 'lzop'):
        assert guestdisk.pvgrub_refusal(fmt) is None and fmt in guestdisk.PVGRUB_LOADS
    assert guestdisk.kernel_format(compressed('zstd', elf())) == 'zstd'
    assert guestdisk.pvgrub_refusal('zstd') == ("zstd-compressed file: PV-GRUB2 decompresses gzip, xz and lzop only "
                                                "(GRUB's Xen loader)")


@pytest.mark.parametrize('head', [b'', b'k', b'#!/bin/sh\n', b'\x00' * 4096, b'MZ' + b'\x00' * 1024])
def test_anything_else_is_unknown_and_refused(head):
    assert guestdisk.kernel_format(head) == 'unknown'
    assert guestdisk.pvgrub_refusal('unknown') == 'neither an ELF kernel, a bzImage nor a gzip, xz or lzop file'


def test_debugfs_symlink():
    assert guestdisk.debugfs_symlink('Inode: 14   Type: regular    Mode:  0644\n') == ''
    assert guestdisk.debugfs_symlink('Inode: 15   Type: symlink    Mode:  0777\nFast link dest: "boot/vmlinuz-6"\n') \
        == 'boot/vmlinuz-6'
    assert guestdisk.debugfs_symlink('Inode: 16   Type: symlink    Mode:  0777\nBLOCKS:\n(0):1234\n') is None


def test_refusals_word_for_word():
    assert guestdisk.pvgrub_refusal('bzImage/old') == ("bzImage of boot protocol older than 2.08: it has no payload "
                                                       "field, GRUB's Xen loader cannot load it")
    assert guestdisk.pvgrub_refusal('bzImage/beyond-head') == (
        'bzImage whose payload starts after the first 1024 KiB read: not checked')
    assert guestdisk.pvgrub_refusal('bzImage/unknown') == (
        "bzImage with a payload in no known compression: PV-GRUB2 decompresses gzip, xz and lzop only (GRUB's "
        "Xen loader)")
    assert guestdisk.KERNEL_HEAD_BYTES == 1024 * 1024
    assert guestdisk.PVGRUB_LOADS == frozenset(['elf', 'gzip', 'xz', 'lzop', 'bzImage/gzip', 'bzImage/xz',
                                                'bzImage/lzop'])


def test_setup_header_bounds():
    """The setup header ends at 0x250: a head cut there is a bzImage whose payload was not read, one byte
    shorter is no bzImage; protocol 2.08 is the first with the payload fields."""
    head = bzimage(compressed('xz'))
    assert guestdisk.kernel_format(head[:0x250]) == 'bzImage/beyond-head'
    assert guestdisk.kernel_format(head[:0x24f]) == 'unknown'
    assert guestdisk.kernel_format(bzimage(compressed('xz'), version=0x0208)) == 'bzImage/xz'
    assert guestdisk.kernel_format(bzimage(compressed('xz'), version=0x0207)) == 'bzImage/old'
    assert guestdisk.kernel_format(bytearray(bzimage(compressed('gzip')))) == 'bzImage/gzip'
    assert guestdisk.kernel_format(None) == 'unknown'


def test_payload_cut_short_by_the_head():
    """The longest magic (lzop's, 9 bytes) is enough to tell a payload; fewer bytes of it are not."""
    lzop = compressed('lzop')
    head = bzimage(lzop)
    start = 28 * 512 + 0x3b5
    assert head[start:start + 9] == b'\x89LZO\x00\r\n\x1a\n'
    assert guestdisk.kernel_format(head[:start + 9]) == 'bzImage/lzop'
    assert guestdisk.kernel_format(head[:start + 8]) == 'bzImage/beyond-head'
    # a payload shorter than the magic is read whole
    assert guestdisk.kernel_format(bzimage(b'\x1f\x8b')[:start + 2]) == 'bzImage/gzip'
    assert guestdisk.kernel_format(bzimage(b'\x1f')[:start + 1]) == 'bzImage/unknown'


def test_debugfs_symlink_of_nothing():
    assert guestdisk.debugfs_symlink('') == ''
    assert guestdisk.debugfs_symlink(None) == ''
    # debugfs 1.47's stat of a fast link: the target on its own line, spaces around it kept
    stat = ('Inode: 13   Type: symlink    Mode:  0777   Flags: 0x0\nGeneration: 0    Version: 0x00000000\n'
            'Size: 27\n  Fast link dest: "boot/vmlinuz-6.1.0-27-amd64" \n')
    assert guestdisk.debugfs_symlink(stat) == 'boot/vmlinuz-6.1.0-27-amd64'
