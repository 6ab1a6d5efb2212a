# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the console of a lab guest booted through PV-GRUB2 (`xl create -c`): did GRUB run inside the
guest, read the guest's own menu, and boot the kernel from the guest's disk, in that order?"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# GRUB paints its screen with terminal escapes; they go before the text is read.
_ESCAPES = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')

# (stage, pattern) in the order a PV-GRUB2 boot prints them.
STAGES = (
    ('grub', re.compile(r'Welcome to GRUB!')),
    ('menu', re.compile(r'Reading \((xen/xvd[a-z]+[^)]*)\)(/boot/grub/grub\.cfg|/grub/grub\.cfg)')),
    ('entry', re.compile(r"Booting `([^']*)'")),
    ('kernel', re.compile(r'Linux version (\S+)')),
    ('up', re.compile(r'XENGUARD-GUEST-UP (\S+)')),
)


def boot_stages(text):
    """[(stage, what it said)] of the stages seen, each after the one before it."""
    plain = _ESCAPES.sub('', (text or '').replace('\r', ''))
    seen = []
    pos = 0
    for stage, pattern in STAGES:
        match = pattern.search(plain, pos)
        if not match:
            break
        seen.append((stage, match.group(1) if match.groups() else match.group(0)))
        pos = match.end()
    return seen
