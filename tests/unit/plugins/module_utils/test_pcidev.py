# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pcidev on the lab dom0's recorded PCI devices and xl pci-assignable-list output."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.xenguard.hardening.plugins.module_utils import pcidev
from ansible_collections.xenguard.hardening.plugins.module_utils.runner import XenGuardError
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture


def recorded(name):
    return json.loads(fixture('driver-domain', name))


@pytest.mark.parametrize('text, want', [
    ('0000:00:02.0', '0000:00:02.0'), ('00:02.0', '0000:00:02.0'), ('0000:AF:1f.7', '0000:af:1f.7'),
])
def test_normalise_bdf(text, want):
    assert pcidev.normalise_bdf(text) == want


@pytest.mark.parametrize('text', ['eth1', '0000:00:02', '0000:00:02.8', '00:20.0', None, '0:00:02.0'])
def test_normalise_bdf_refuses(text):
    with pytest.raises(XenGuardError):
        pcidev.normalise_bdf(text)


def test_assignable_list_recorded():
    assert pcidev.parse_assignable_list(fixture('driver-domain', 'dd-xl-pci-assignable-list.txt')) == ['0000:00:02.0']
    assert pcidev.parse_assignable_list('libxl: error: Looks like pciback driver not loaded\n') == []


def test_facts_before_and_after():
    before = pcidev.pci_facts(recorded('sysfs-pci-dom0.json'))
    nic = pcidev.find_device(before, 'eth1')
    assert nic['address'] == '0000:00:02.0' and nic['driver'] == 'e1000' and nic['network'] and not nic['assignable']
    assert pcidev.find_device(before, '00:02.0') is nic
    assert pcidev.find_device(before, 'eth9') is None
    after = pcidev.pci_facts(recorded('sysfs-pci-assigned.json'), '0000:00:02.0 \n')
    nic = pcidev.find_device(after, '0000:00:02.0')
    assert nic['driver'] == 'pciback' and nic['assignable'] and nic['net'] == []
    # a disk controller is not a network device
    assert not pcidev.find_device(after, '0000:00:03.0')['network']


def test_read_sysfs(tmpdir):
    dev = tmpdir.join('0000:00:02.0').ensure(dir=True)
    dev.join('class').write('0x020000\n')
    tmpdir.join('drv', 'e1000').ensure(dir=True)
    dev.join('driver').mksymlinkto(tmpdir.join('drv', 'e1000'))
    dev.join('net', 'eth1').ensure(dir=True)
    tmpdir.join('0000:00:00.0').ensure(dir=True)
    assert pcidev.read_sysfs(str(tmpdir)) == {
        '0000:00:00.0': {'class': None, 'driver': None, 'net': []},
        '0000:00:02.0': {'class': '0x020000', 'driver': 'e1000', 'net': ['eth1']},
        'drv': {'class': None, 'driver': None, 'net': []},
    }


def test_boot_file_round_trip():
    text = pcidev.render_pciback_conf(['0000:00:02.0', '0000:03:00.1'], ['e1000', 'pciback', 'igb'])
    assert pcidev.parse_pciback_conf(text) == (['0000:00:02.0', '0000:03:00.1'], ['e1000', 'igb'])
    assert 'options xen-pciback hide=(0000:00:02.0)(0000:03:00.1)\n' in text
    assert pcidev.render_pciback_conf([], ['e1000']) == ''
    assert pcidev.parse_pciback_conf('options xen_pciback hide=(00:02.0)(junk)\n') == (['0000:00:02.0'], [])


# ----------------------------------------------------------------------------- what make mutation showed unheld

def test_the_kernel_and_modprobe_paths():
    # the kernel's PCI devices, and the file update-initramfs copies (the docs and the role name it)
    assert pcidev.SYS_PCI_DEVICES == '/sys/bus/pci/devices'
    assert pcidev.read_sysfs.__defaults__ == ('/sys/bus/pci/devices',)
    assert pcidev.PCIBACK_CONF == '/etc/modprobe.d/xenguard-pciback.conf'


def test_refusals_say_what_a_pci_address_is():
    with pytest.raises(XenGuardError) as err:
        pcidev.normalise_bdf('eth1')
    assert err.value.msg == ("'eth1' is not a PCI address; give it as DOMAIN:BUS:DEVICE.FUNCTION, for example "
                             "0000:00:02.0 (readlink /sys/class/net/<interface>/device shows the one of a NIC)")
    with pytest.raises(XenGuardError) as err:
        pcidev.normalise_bdf('00:20.0')
    assert err.value.msg == "'00:20.0' is not a PCI address: the device number is 00 to 1f"


def test_assignable_follows_xl_when_xl_was_asked():
    devices = {'0000:00:02.0': {'class': '0x020000', 'driver': 'pciback', 'net': []},
               '0000:00:03.0': {'class': '0x010000', 'driver': None, 'net': []}}
    # not read: bound to pciback means assignable
    assert [d['assignable'] for d in pcidev.pci_facts(devices)['devices']] == [True, False]
    # read: xl's list decides, whatever the driver
    assert [d['assignable'] for d in pcidev.pci_facts(devices, '0000:00:03.0\n')['devices']] == [False, True]
    assert [d['class'] for d in pcidev.pci_facts(devices)['devices']] == ['0x020000', '0x010000']


def test_assignable_list_reads_past_blank_lines_and_messages():
    text = '\nlibxl: warning: something\n0000:00:02.0 \n\n00:03.0 0\n'
    assert pcidev.parse_assignable_list(text) == ['0000:00:02.0', '0000:00:03.0']
    assert pcidev.parse_assignable_list(None) == [] and pcidev.parse_assignable_list('') == []


def test_boot_file_reads_past_a_bad_item_and_is_written_whole():
    assert pcidev.parse_pciback_conf('options xen-pciback hide=(junk)(00:02.0)(0000:03:00.1)\n') == (
        ['0000:00:02.0', '0000:03:00.1'], [])
    assert pcidev.parse_pciback_conf(None) == ([], [])
    assert pcidev.render_pciback_conf(['0000:00:02.0'], ['e1000']) == (
        '# Managed by xenguard.hardening (xen_pci_assignable): PCI devices dom0 leaves to pciback\n'
        '# for passthrough to a domain. Changes here need update-initramfs -u.\n'
        'options xen-pciback hide=(0000:00:02.0)\n'
        'softdep e1000 pre: xen-pciback\n')
