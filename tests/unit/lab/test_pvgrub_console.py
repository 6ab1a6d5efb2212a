# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PV-GRUB2 boot as the fleet scenario reads it, on the console of a real boot in the lab (Debian 12,
Xen 4.17.5, `xl create -c` of a guest the pvgrub role converted)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.xenguard.hardening.tests.lab.pvgrub_console import boot_stages
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture

CONSOLE = 'debian12-xen-4.17/xl-create-c.pvgrub2-guest-console.txt'


def test_recorded_boot_goes_through_every_stage_in_order():
    assert boot_stages(fixture(CONSOLE)) == [
        ('grub', 'Welcome to GRUB!'),
        ('menu', 'xen/xvda'),
        ('entry', 'xenguard lab guest pvg1'),
        ('kernel', '6.1.0-50-amd64'),
        ('up', 'pvg1'),
    ]


def test_a_pygrub_boot_or_a_stage_out_of_order_stops_the_list():
    text = fixture(CONSOLE)
    # pygrub in dom0 prints no GRUB banner in the guest console: the guest's kernel comes first
    kernel_only = text[text.index('[    0.000000] Linux version'):]
    assert boot_stages(kernel_only) == []
    no_menu = text.replace('Reading (xen/xvda)/boot/grub/grub.cfg', 'error: no such device')
    assert [pair[0] for pair in boot_stages(no_menu)] == ['grub']
    assert boot_stages('') == []
