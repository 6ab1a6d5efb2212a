# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_pci_assignable against a sysfs tree made from the lab dom0's recorded PCI devices.

The fake xl moves the device's driver link the way xl pci-assignable-add/-remove -r did on the lab host
(0000:00:02.0, the e1000 guest NIC: bound to pciback, then rebound to e1000), and answers a device that is
assigned to a domain the way the lab's xl did ("failed to de-quarantine").
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xenguard.hardening.plugins.modules import xen_pci_assignable as mod
from ansible_collections.xenguard.hardening.tests.unit.helpers import fixture, run_module

GUEST_NIC = '0000:00:02.0'


def make_tree(root, recorded):
    devices = json.loads(fixture('driver-domain', recorded))
    base = root.join('devices')
    drivers = root.join('drivers')
    for address, dev in devices.items():
        d = base.join(address).ensure(dir=True)
        d.join('class').write(dev['class'] + '\n')
        if dev['driver']:
            drivers.join(dev['driver']).ensure(dir=True)
            os.symlink(str(drivers.join(dev['driver'])), str(d.join('driver')))
        for name in dev['net']:
            d.join('net', name).ensure(dir=True)
    return base, drivers


class FakeXl(object):
    def __init__(self, base, drivers, assigned_to_domain=False):
        self.base, self.drivers, self.assigned = base, drivers, assigned_to_domain
        self.calls = []
        self.original = {}

    def rebind(self, address, driver):
        link = self.base.join(address, 'driver')
        if link.check(link=1):
            link.remove()
        shutil.rmtree(str(self.base.join(address, 'net')), ignore_errors=True)
        if driver:
            self.drivers.join(driver).ensure(dir=True)
            os.symlink(str(self.drivers.join(driver)), str(link))
            if driver != 'pciback':
                self.base.join(address, 'net', 'eth1').ensure(dir=True)

    def __call__(self, cmd, **kwargs):
        """AnsibleModule.run_command of the fake host (an instance attribute of the class: not bound)."""
        args = cmd[1:]
        self.calls.append(args)
        if cmd[0].endswith('modprobe'):
            self.drivers.join('pciback').ensure(dir=True)
            return 0, '', ''
        if args[0] == 'pci-assignable-add':
            self.original[args[1]] = os.path.basename(os.readlink(str(self.base.join(args[1], 'driver'))))
            self.rebind(args[1], 'pciback')
            return 0, '', ''
        if args[0] == 'pci-assignable-remove':
            if self.assigned:
                return 1, '', ('libxl: error: libxl_pci.c:906:libxl__device_pci_assignable_remove: failed to '
                               'de-quarantine %s\n' % args[-1])
            self.rebind(args[-1], self.original.get(args[-1], 'e1000'))
            return 0, '', 'libxl: info: Rebinding to driver at /sys/bus/pci/drivers/e1000\n'
        raise AssertionError('unexpected command %r' % cmd)


@pytest.fixture
def host(tmpdir, monkeypatch):
    def make(recorded='sysfs-pci-dom0.json', assigned=False):
        base, drivers = make_tree(tmpdir, recorded)
        xl = FakeXl(base, drivers, assigned)
        conf = tmpdir.join('modprobe.d', 'xenguard-pciback.conf')
        monkeypatch.setattr(mod, 'SYS_PCI_DEVICES', str(base))
        monkeypatch.setattr(mod, 'PCIBACK_CONF', str(conf))
        monkeypatch.setattr(mod, 'PCIBACK_DRIVER_DIR', str(drivers.join('pciback')))
        monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/usr/sbin/' + name)
        monkeypatch.setattr(AnsibleModule, 'run_command', xl)
        return xl, base, conf
    return make


def test_hides_the_guest_nic_and_writes_the_boot_file(host, capsys):
    xl, base, conf = host()
    result = run_module(mod, capsys, {'address': '00:02.0'})
    assert result['changed'] and result['conf_changed']
    assert result['address'] == GUEST_NIC
    assert result['driver_before'] == 'e1000' and result['driver'] == 'pciback'
    assert result['net_before'] == ['eth1']
    # no pciback yet on the recorded host: the module loads it first
    assert result['commands'] == ['modprobe xen-pciback', 'xl pci-assignable-add %s' % GUEST_NIC]
    assert 'options xen-pciback hide=(0000:00:02.0)\n' in conf.read()
    assert 'softdep e1000 pre: xen-pciback\n' in conf.read()
    assert os.path.basename(os.readlink(str(base.join(GUEST_NIC, 'driver')))) == 'pciback'
    # the other e1000 (dom0's control NIC) stays where it is
    assert os.path.basename(os.readlink(str(base.join('0000:00:01.0', 'driver')))) == 'e1000'


def test_second_run_changes_nothing(host, capsys):
    xl, base, conf = host()
    run_module(mod, capsys, {'address': GUEST_NIC})
    text = conf.read()
    again = run_module(mod, capsys, {'address': GUEST_NIC})
    assert not again['changed'] and again['commands'] == []
    assert conf.read() == text and len(xl.calls) == 2


def test_already_assigned_device_recorded_on_the_lab(host, capsys):
    xl, base, conf = host('sysfs-pci-assigned.json')
    result = run_module(mod, capsys, {'address': GUEST_NIC, 'persistent': False})
    assert not result['changed'] and xl.calls == [] and result['driver'] == 'pciback'


def test_check_mode_changes_nothing_and_diffs(host, capsys):
    xl, base, conf = host()
    result = run_module(mod, capsys, {'address': GUEST_NIC}, check_mode=True, diff=True)
    assert result['changed'] and xl.calls == [] and not conf.check()
    assert os.path.basename(os.readlink(str(base.join(GUEST_NIC, 'driver')))) == 'e1000'
    assert result['diff'][0]['before'] == 'e1000\n' and result['diff'][0]['after'] == 'pciback\n'
    assert 'hide=(0000:00:02.0)' in result['diff'][1]['after']


def test_give_back_to_dom0_removes_the_boot_file(host, capsys):
    xl, base, conf = host()
    run_module(mod, capsys, {'address': GUEST_NIC})
    result = run_module(mod, capsys, {'address': GUEST_NIC, 'state': 'dom0'})
    assert result['changed'] and result['driver'] == 'e1000'
    assert result['commands'] == ['xl pci-assignable-remove -r %s' % GUEST_NIC]
    assert not conf.check()


def test_give_back_while_a_domain_has_it(host, capsys):
    xl, base, conf = host('sysfs-pci-assigned.json', assigned=True)
    result = run_module(mod, capsys, {'address': GUEST_NIC, 'state': 'dom0'})
    assert result['failed']
    assert 'failed to de-quarantine' in result['msg'] and 'Shut that domain down first' in result['msg']


@pytest.mark.parametrize('address, said', [
    ('0000:00:09.0', 'There is no PCI device 0000:00:09.0 on this host'),
    ('eth1', 'is not a PCI address'),
    ('00:20.0', 'device number is 00 to 1f'),
    ('', 'is not a PCI address'),
])
def test_bad_addresses_change_nothing(host, capsys, address, said):
    xl, base, conf = host()
    result = run_module(mod, capsys, {'address': address})
    assert result['failed'] and said in result['msg']
    assert xl.calls == [] and not conf.check()
