# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel file heads built the way real kernel files look, for the tests of guestdisk.kernel_format and
pvgrub_check: a bzImage setup header at the x86 boot protocol's field offsets with a payload compressed by the
real compressor where one is at hand (Python's gzip, lzma, bz2; the zstd and lz4 commands), an ELF header."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import bz2
import gzip
import lzma
import shutil
import struct
import subprocess

# A kernel's text is not compressible to nothing: some bytes that are not all alike.
TEXT = bytes(bytearray((i * 7 + i // 13) % 251 for i in range(4096)))

# The leading bytes of each format, for compressors this machine may lack (lzop is rarely installed):
# the magic is what the code looks at.
MAGIC = {'lzop': b'\x89LZO\x00\r\n\x1a\n', 'zstd': b'\x28\xb5\x2f\xfd', 'lz4': b'\x02\x21\x4c\x18'}


def compressed(kind, data=TEXT):
    """data compressed as a kernel build compresses its payload (lz4 in the legacy frame, -l, as the kernel)."""
    if kind == 'gzip':
        return gzip.compress(data)
    if kind == 'xz':
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
    if kind == 'lzma':
        return lzma.compress(data, format=lzma.FORMAT_ALONE)
    if kind == 'bzip2':
        return bz2.compress(data)
    tool = {'zstd': ['zstd', '-q', '-c'], 'lz4': ['lz4', '-q', '-l', '-c']}.get(kind)
    if tool and shutil.which(tool[0]):
        return subprocess.run(tool, input=data, stdout=subprocess.PIPE, check=True).stdout
    return MAGIC[kind] + data


def elf(data=TEXT):
    """The start of an x86-64 ELF executable (e_ident, e_type ET_EXEC, e_machine EM_X86_64)."""
    return b'\x7fELF\x02\x01\x01' + b'\x00' * 9 + struct.pack('<HHI', 2, 62, 1) + data


def bzimage(payload, setup_sects=27, version=0x020f, payload_offset=0x3b5):
    """A bzImage: setup_sects+1 sectors of real-mode setup holding the setup header (setup_sects at 0x1f1,
    boot flag 0xAA55 at 0x1fe, "HdrS" at 0x202, version at 0x206, payload_offset and payload_length at
    0x248), then the protected-mode code with the compressed kernel payload_offset bytes into it."""
    setup = bytearray((max(setup_sects, 0) or 4) * 512 + 512)
    setup[0:2] = b'MZ'  # an EFI stub kernel starts like a PE file
    setup[0x1f1] = setup_sects
    setup[0x1fe:0x200] = b'\x55\xaa'
    setup[0x202:0x206] = b'HdrS'
    setup[0x206:0x208] = struct.pack('<H', version)
    setup[0x248:0x250] = struct.pack('<II', payload_offset, len(payload))
    return bytes(setup) + b'\x90' * payload_offset + payload + b'\x00' * 64
